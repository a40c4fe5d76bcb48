package tiling

import "strings"

// Format is a tile encoding as it appears in URLs and capabilities.
type Format struct {
	// Name is the canonical short name: png, jpeg, webp or pbf.
	Name string
	// Ext is the file extension used in REST URLs.
	Ext string
	// MediaType is the Content-Type of a tile and the WMTS Format value.
	MediaType string
	// Vector is true for Mapbox Vector Tiles.
	Vector bool
	// Opaque formats cannot carry transparency (JPEG).
	Opaque bool
}

// The formats tuiles serves.
var (
	PNG  = Format{Name: "png", Ext: "png", MediaType: "image/png"}
	JPEG = Format{Name: "jpeg", Ext: "jpeg", MediaType: "image/jpeg", Opaque: true}
	WebP = Format{Name: "webp", Ext: "webp", MediaType: "image/webp"}
	MVT  = Format{Name: "pbf", Ext: "pbf", MediaType: "application/vnd.mapbox-vector-tile", Vector: true}
)

// Formats lists every known format.
func Formats() []Format { return []Format{PNG, JPEG, WebP, MVT} }

// FormatByName finds a format by name, extension or alias (jpg, mvt),
// case-insensitively.
func FormatByName(name string) (Format, bool) {
	switch strings.ToLower(name) {
	case "png", "png8", "png32":
		return PNG, true
	case "jpg", "jpeg":
		return JPEG, true
	case "webp":
		return WebP, true
	case "pbf", "mvt":
		return MVT, true
	}
	return Format{}, false
}

// FormatByMediaType finds a format by its media type, ignoring parameters
// and case (image/png; mode=8bit, application/x-protobuf).
func FormatByMediaType(mt string) (Format, bool) {
	if i := strings.IndexByte(mt, ';'); i >= 0 {
		mt = mt[:i]
	}
	switch strings.ToLower(strings.TrimSpace(mt)) {
	case "image/png":
		return PNG, true
	case "image/jpeg", "image/jpg":
		return JPEG, true
	case "image/webp":
		return WebP, true
	case "application/vnd.mapbox-vector-tile", "application/x-protobuf", "application/vnd.mvt":
		return MVT, true
	}
	return Format{}, false
}
