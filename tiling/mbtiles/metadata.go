package mbtiles

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"mime"
	"slices"
	"strconv"
	"strings"
)

// Metadata is the content of the metadata table. The zero value of a field
// means the key is absent.
type Metadata struct {
	// Name is required by the specification; Create defaults it to the file
	// name.
	Name string
	// Format is the tile format: png, jpg (or jpeg), webp, pbf (or mvt), or
	// an IETF media type for other formats. Required.
	Format string
	// Bounds is west, south, east, north in WGS84 degrees, whatever the tile
	// matrix set of the tiles. All zeros means absent (see HasBounds).
	Bounds [4]float64
	// Center is longitude, latitude and zoom. All zeros means absent.
	Center [3]float64
	// MinZoom and MaxZoom: when the file lacks the keys (MBTiles 1.1),
	// Metadata reports the zoom levels present in the tiles table.
	MinZoom, MaxZoom int
	Attribution      string
	Description      string
	// Type is "baselayer" or "overlay".
	Type    string
	Version string
	// JSON is the raw value of the json key, which holds vector_layers for
	// pbf tiles.
	JSON string
	// TileMatrixSet is the OGC identifier of the tiles' tile matrix set,
	// stored under the tile_matrix_set key; "" means WebMercatorQuad.
	TileMatrixSet string
	// Extra holds every other key (such as scheme). It may not repeat a key
	// that has a field above.
	Extra map[string]string
}

// HasBounds tells whether the bounds key was given.
func (m Metadata) HasBounds() bool { return m.Bounds != [4]float64{} }

// HasCenter tells whether the center key was given.
func (m Metadata) HasCenter() bool { return m.Center != [3]float64{} }

// Metadata keys with a field in Metadata.
const (
	keyName          = "name"
	keyFormat        = "format"
	keyBounds        = "bounds"
	keyCenter        = "center"
	keyMinZoom       = "minzoom"
	keyMaxZoom       = "maxzoom"
	keyAttribution   = "attribution"
	keyDescription   = "description"
	keyType          = "type"
	keyVersion       = "version"
	keyJSON          = "json"
	keyTileMatrixSet = "tile_matrix_set"
	// keyScheme is not a field: it is outside the specification, but a few
	// tools write scheme=xyz for files whose rows count from the top, and
	// honouring it costs nothing.
	keyScheme = "scheme"
)

// isFieldKey tells whether Metadata has a field for key k, in which case k
// may not appear in Extra.
func isFieldKey(k string) bool {
	switch k {
	case keyName, keyFormat, keyBounds, keyCenter, keyMinZoom, keyMaxZoom,
		keyAttribution, keyDescription, keyType, keyVersion, keyJSON, keyTileMatrixSet:
		return true
	}
	return false
}

// clone returns m with its own Extra map, so a Store never shares its map
// with callers.
func (m Metadata) clone() Metadata {
	if m.Extra != nil {
		m.Extra = maps.Clone(m.Extra)
	}
	return m
}

// zoomPresence tells which zoom keys parseMetadata found, so the caller can
// fill the others from the tiles table.
type zoomPresence struct{ min, max bool }

// parseMetadata reads the rows of the metadata table. It accepts what
// MBTiles 1.1 writers produce (missing keys, spaces in lists) but rejects
// values it cannot read, naming the key.
func parseMetadata(rows map[string]string) (Metadata, zoomPresence, error) {
	var m Metadata
	var zp zoomPresence
	for k, v := range rows {
		var err error
		switch k {
		case keyName:
			m.Name = v
		case keyFormat:
			m.Format = strings.TrimSpace(v)
		case keyBounds:
			var f []float64
			f, err = parseFloats(v, 4, 4)
			if err == nil {
				copy(m.Bounds[:], f)
				err = checkBounds(m.Bounds)
			}
		case keyCenter:
			// The zoom is optional in practice: some writers give lon,lat.
			var f []float64
			f, err = parseFloats(v, 2, 3)
			copy(m.Center[:], f)
		case keyMinZoom:
			m.MinZoom, err = parseZoom(v)
			zp.min = true
		case keyMaxZoom:
			m.MaxZoom, err = parseZoom(v)
			zp.max = true
		case keyAttribution:
			m.Attribution = v
		case keyDescription:
			m.Description = v
		case keyType:
			m.Type = strings.TrimSpace(v)
		case keyVersion:
			m.Version = v
		case keyJSON:
			m.JSON = v
			if strings.TrimSpace(v) != "" && !json.Valid([]byte(v)) {
				err = fmt.Errorf("not valid JSON")
			}
		case keyTileMatrixSet:
			m.TileMatrixSet = strings.TrimSpace(v)
		default:
			if m.Extra == nil {
				m.Extra = make(map[string]string)
			}
			m.Extra[k] = v
		}
		if err != nil {
			return Metadata{}, zp, fmt.Errorf("metadata key %q = %q: %w", k, shorten(v), err)
		}
	}
	if zp.min && zp.max && m.MinZoom > m.MaxZoom {
		return Metadata{}, zp, fmt.Errorf("metadata minzoom %d is greater than maxzoom %d", m.MinZoom, m.MaxZoom)
	}
	return m, zp, nil
}

// parseFloats reads a comma-separated list of between lo and hi finite
// numbers, spaces allowed around them.
func parseFloats(s string, lo, hi int) ([]float64, error) {
	parts := strings.Split(s, ",")
	if len(parts) < lo || len(parts) > hi {
		if lo == hi {
			return nil, fmt.Errorf("want %d comma-separated numbers, got %d", lo, len(parts))
		}
		return nil, fmt.Errorf("want %d to %d comma-separated numbers, got %d", lo, hi, len(parts))
	}
	out := make([]float64, len(parts))
	for i, p := range parts {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("%q is not a finite number", strings.TrimSpace(p))
		}
		out[i] = f
	}
	return out, nil
}

// checkBounds rejects bounds that cannot be WGS84 degrees. West may exceed
// east (a box across the antimeridian), so only latitudes are ordered.
func checkBounds(b [4]float64) error {
	w, s, e, n := b[0], b[1], b[2], b[3]
	if w < -180 || w > 180 || e < -180 || e > 180 || s < -90 || s > 90 || n < -90 || n > 90 {
		return fmt.Errorf("outside -180,-90,180,90 (bounds are WGS84 longitude and latitude)")
	}
	if s > n {
		return fmt.Errorf("south %g is north of north %g", s, n)
	}
	return nil
}

// parseZoom reads a zoom level. Writers that store numbers as REAL give
// "4.0", which is accepted when integral.
func parseZoom(s string) (int, error) {
	s = strings.TrimSpace(s)
	z, err := strconv.Atoi(s)
	if err != nil {
		f, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil || f != math.Trunc(f) || math.Abs(f) > 64 {
			return 0, fmt.Errorf("not an integer zoom level")
		}
		z = int(f)
	}
	if z < 0 || z > 64 {
		return 0, fmt.Errorf("zoom level out of range 0-64")
	}
	return z, nil
}

// contentType maps a format value to the media type of the decoded tiles.
func contentType(format string) (string, error) {
	switch strings.ToLower(strings.TrimSpace(format)) {
	case "png":
		return "image/png", nil
	case "jpg", "jpeg":
		return "image/jpeg", nil
	case "webp":
		return "image/webp", nil
	case "pbf", "mvt":
		return "application/vnd.mapbox-vector-tile", nil
	case "":
		return "", fmt.Errorf("metadata has no format")
	}
	// MBTiles 1.3 allows "an IETF media type for other formats".
	if strings.Contains(format, "/") {
		if mt, _, err := mime.ParseMediaType(format); err == nil {
			return mt, nil
		}
	}
	return "", fmt.Errorf("metadata key \"format\" = %q: unknown format (want png, jpg, jpeg, webp, pbf, mvt or a media type)", format)
}

// sniffFormat guesses the format value from tile bytes, for MBTiles 1.1
// files that lack the format key.
func sniffFormat(data []byte) string {
	switch {
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		return "png"
	case bytes.HasPrefix(data, []byte{0xff, 0xd8, 0xff}):
		return "jpg"
	case len(data) >= 12 && string(data[:4]) == "RIFF" && string(data[8:12]) == "WEBP":
		return "webp"
	case isGzip(data):
		// Raster formats are never gzipped in MBTiles; vector tiles are.
		return "pbf"
	}
	return ""
}

// pairs encodes m as metadata rows, after checking it can be read back.
func (m Metadata) pairs() ([][2]string, error) {
	if _, err := contentType(m.Format); err != nil {
		return nil, err
	}
	if m.MinZoom < 0 || m.MaxZoom < 0 || m.MinZoom > m.MaxZoom {
		return nil, fmt.Errorf("metadata minzoom %d and maxzoom %d: want 0 <= minzoom <= maxzoom", m.MinZoom, m.MaxZoom)
	}
	if m.HasBounds() {
		if err := checkBounds(m.Bounds); err != nil {
			return nil, fmt.Errorf("metadata bounds %v: %w", m.Bounds, err)
		}
	}
	if strings.TrimSpace(m.JSON) != "" && !json.Valid([]byte(m.JSON)) {
		return nil, fmt.Errorf("metadata json: not valid JSON")
	}
	for k := range m.Extra {
		if isFieldKey(k) {
			return nil, fmt.Errorf("metadata Extra repeats key %q, which has its own field", k)
		}
	}
	out := [][2]string{{keyFormat, m.Format}}
	add := func(k, v string) {
		if v != "" {
			out = append(out, [2]string{k, v})
		}
	}
	add(keyName, m.Name)
	if m.HasBounds() {
		add(keyBounds, joinFloats(m.Bounds[:]))
	}
	if m.HasCenter() {
		// The specification gives the zoom of center as an integer.
		add(keyCenter, joinFloats(m.Center[:2])+","+strconv.Itoa(int(math.Round(m.Center[2]))))
	}
	add(keyMinZoom, strconv.Itoa(m.MinZoom))
	add(keyMaxZoom, strconv.Itoa(m.MaxZoom))
	add(keyAttribution, m.Attribution)
	add(keyDescription, m.Description)
	add(keyType, m.Type)
	add(keyVersion, m.Version)
	add(keyJSON, m.JSON)
	add(keyTileMatrixSet, m.TileMatrixSet)
	for _, k := range slices.Sorted(maps.Keys(m.Extra)) {
		out = append(out, [2]string{k, m.Extra[k]})
	}
	return out, nil
}

func joinFloats(f []float64) string {
	s := make([]string, len(f))
	for i, v := range f {
		s[i] = strconv.FormatFloat(v, 'f', -1, 64)
	}
	return strings.Join(s, ",")
}

// rowsFromTop tells whether the scheme key says rows count from the top.
func rowsFromTop(m Metadata) bool {
	return strings.EqualFold(strings.TrimSpace(m.Extra[keyScheme]), "xyz")
}

// shorten keeps error messages readable when a value is a large document.
func shorten(s string) string {
	const limit = 60
	if len(s) <= limit {
		return s
	}
	return s[:limit] + "..."
}
