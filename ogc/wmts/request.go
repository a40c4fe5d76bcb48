package wmts

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/tuiles/tuiles/catalog"
	"github.com/tuiles/tuiles/ogc/ows"
	"github.com/tuiles/tuiles/ogc/tileserve"
	"github.com/tuiles/tuiles/tiling"
)

// Locators name the request parameter an exception is about. The KVP names
// are used for RESTful requests too, so a client gets the same answer
// whichever encoding it chose.
const (
	locLayer         = "LAYER"
	locStyle         = "STYLE"
	locFormat        = "FORMAT"
	locTileMatrixSet = "TILEMATRIXSET"
	locTileMatrix    = "TILEMATRIX"
	locTileRow       = "TILEROW"
	locTileCol       = "TILECOL"
)

// tileRequest is a GetTile request as the client wrote it, before it is
// checked against the catalog.
type tileRequest struct {
	layer, style, set, matrix, row, col string
	// format is a media type in KVP requests and a file extension in
	// RESTful ones.
	format string
	rest   bool
}

// parseQuery reads a raw query string. A malformed one (bad escapes) is
// refused rather than half-read, so that a typo is not silently dropped.
func parseQuery(raw string) (ows.KVP, error) {
	q, err := url.ParseQuery(raw)
	if err != nil {
		return nil, &ows.Error{Code: ows.CodeInvalidParameterValue, Status: http.StatusBadRequest,
			Message: "the query string is malformed", Err: err}
	}
	return ows.ParseKVP(q), nil
}

// single returns the value of key, trimmed, or "" when it is absent. A
// parameter given twice with different values is ambiguous and refused;
// the same value twice is tolerated, since some clients append SERVICE or
// VERSION to a URL that already holds them.
func single(kvp ows.KVP, key string) (string, error) {
	vs := kvp[key]
	if len(vs) == 0 {
		return "", nil
	}
	v := strings.TrimSpace(vs[0])
	for _, o := range vs[1:] {
		if strings.TrimSpace(o) != v {
			return "", ows.InvalidParameter(key, "parameter %s is given %d times with different values", key, len(vs))
		}
	}
	return v, nil
}

// required is single for a parameter that must be present and non-empty.
func required(kvp ows.KVP, key string) (string, error) {
	v, err := single(kvp, key)
	if err != nil {
		return "", err
	}
	if v == "" {
		return "", ows.MissingParameter(key)
	}
	return v, nil
}

// parseKVPTile reads the parameters of a KVP GetTile request (07-057r7
// table 19), checking presence in the order of the standard.
func parseKVPTile(kvp ows.KVP) (tileRequest, error) {
	version, err := required(kvp, "VERSION")
	if err != nil {
		return tileRequest{}, err
	}
	if version != Version {
		return tileRequest{}, ows.InvalidParameter("VERSION", "VERSION must be %s, not %q", Version, tileserve.Clip(version))
	}
	var req tileRequest
	for _, p := range []struct {
		key string
		dst *string
	}{
		{locLayer, &req.layer},
		{locStyle, &req.style},
		{locFormat, &req.format},
		{locTileMatrixSet, &req.set},
		{locTileMatrix, &req.matrix},
		{locTileRow, &req.row},
		{locTileCol, &req.col},
	} {
		v, err := single(kvp, p.key)
		if err != nil {
			return tileRequest{}, err
		}
		// STYLE is mandatory, but clients that know of no style send it
		// empty (the WMS habit); an empty STYLE names the default style.
		if v == "" && !(p.key == locStyle && kvp.Has(locStyle)) {
			return tileRequest{}, ows.MissingParameter(p.key)
		}
		*p.dst = v
	}
	return req, nil
}

// parseRESTTile reads {layer}/{style}/{set}/{matrix}/{row}/{col}.{ext},
// already split into unescaped, checked segments.
func parseRESTTile(segs []string) (tileRequest, error) {
	col, ext, ok := tileserve.CutExt(segs[5])
	if !ok {
		return tileRequest{}, &ows.Error{Code: ows.CodeInvalidParameterValue, Locator: locFormat, Status: http.StatusBadRequest,
			Message: fmt.Sprintf("the tile %q has no file extension", tileserve.Clip(segs[5]))}
	}
	return tileRequest{layer: segs[0], style: segs[1], set: segs[2], matrix: segs[3], row: segs[4], col: col, format: ext, rest: true}, nil
}

// resolvedTile is a GetTile request checked against the catalog.
type resolvedTile struct {
	layer   *catalog.Layer
	tileset *catalog.Tileset
	format  tiling.Format
	key     tiling.Key
}

// resolveTile checks every part of req against the catalog, in the order
// of the standard's parameters, and builds the tile key. Whether the tile
// lies inside the matrix and the layer's limits is left to tileserve.Fetch,
// the one place that decides it.
func resolveTile(cat *catalog.Catalog, req tileRequest) (resolvedTile, error) {
	l, ok := cat.LayerFor(catalog.WMTS, req.layer)
	if !ok || len(l.Tilesets) == 0 {
		return resolvedTile{}, &ows.Error{Code: ows.CodeInvalidParameterValue, Locator: locLayer, Status: http.StatusBadRequest,
			Message: fmt.Sprintf("unknown layer %q", tileserve.Clip(req.layer)), Err: catalog.ErrUnknownLayer}
	}
	style, ok := lookupStyle(l, req.style)
	if !ok {
		return resolvedTile{}, ows.InvalidParameter(locStyle, "layer %s has no style %q", l.Name, tileserve.Clip(req.style))
	}
	var f tiling.Format
	if req.rest {
		f, ok = l.Format(req.format)
	} else {
		f, ok = l.FormatByMediaType(req.format)
	}
	if !ok {
		return resolvedTile{}, ows.InvalidParameter(locFormat, "layer %s has no format %q (it has %s)", l.Name, tileserve.Clip(req.format), formatList(l, req.rest))
	}
	ts, ok := l.Tileset(req.set)
	if !ok {
		return resolvedTile{}, ows.InvalidParameter(locTileMatrixSet, "layer %s has no tile matrix set %q", l.Name, tileserve.Clip(req.set))
	}
	_, z, ok := ts.Set.Matrix(req.matrix)
	if !ok {
		return resolvedTile{}, ows.InvalidParameter(locTileMatrix, "tile matrix set %s has no tile matrix %q", ts.Set.ID, tileserve.Clip(req.matrix))
	}
	row, err := tileserve.ParseIndex(locTileRow, req.row)
	if err != nil {
		return resolvedTile{}, pathError(err)
	}
	col, err := tileserve.ParseIndex(locTileCol, req.col)
	if err != nil {
		return resolvedTile{}, pathError(err)
	}
	return resolvedTile{
		layer:   l,
		tileset: ts,
		format:  f,
		key: tiling.Key{
			Layer:         l.Name,
			TileMatrixSet: ts.Set.ID,
			Z:             z,
			Col:           col,
			Row:           row,
			Format:        f.Name,
			Style:         style,
		},
	}, nil
}

// lookupStyle returns the name of the style req names, "" and "default"
// meaning the first. The guard against a layer with no style keeps a
// hand-built catalog from panicking the handler.
func lookupStyle(l *catalog.Layer, name string) (string, bool) {
	if len(l.Styles) == 0 {
		return "default", name == "" || name == "default"
	}
	s, ok := l.Style(name)
	return s.Name, ok
}

// formatList names the formats of l the way the request should have.
func formatList(l *catalog.Layer, ext bool) string {
	names := make([]string, len(l.Formats))
	for i, f := range l.Formats {
		names[i] = f.MediaType
		if ext {
			names[i] = f.Ext
		}
	}
	return strings.Join(names, ", ")
}

// outOfRange turns Fetch's ErrOutOfRange into a TileOutOfRange exception
// whose locator names the parameter at fault: the row or column outside
// the matrix or the layer's limits, or the matrix when the layer has no
// tiles at that zoom level.
func outOfRange(ts *catalog.Tileset, k tiling.Key, req tileRequest, cause error) *ows.Error {
	e := &ows.Error{Code: ows.CodeTileOutOfRange, Status: http.StatusBadRequest, Err: cause}
	m, ok := ts.Set.Level(k.Z)
	if !ok {
		e.Locator = locTileMatrix
		e.Message = fmt.Sprintf("tile matrix %s is not in tile matrix set %s", tileserve.Clip(req.matrix), ts.Set.ID)
		return e
	}
	switch {
	case k.Row >= m.MatrixHeight:
		e.Locator = locTileRow
		e.Message = fmt.Sprintf("TileRow %d is outside tile matrix %s of %s (rows 0 to %d)", k.Row, m.ID, ts.Set.ID, m.MatrixHeight-1)
		return e
	case k.Col >= m.MatrixWidth:
		e.Locator = locTileCol
		e.Message = fmt.Sprintf("TileCol %d is outside tile matrix %s of %s (columns 0 to %d)", k.Col, m.ID, ts.Set.ID, m.MatrixWidth-1)
		return e
	}
	r, ok := ts.Limit(k.Z)
	switch {
	case !ok:
		e.Locator = locTileMatrix
		e.Message = fmt.Sprintf("layer %s has no tiles in tile matrix %s of %s", k.Layer, m.ID, ts.Set.ID)
	case k.Row < r.MinRow || k.Row > r.MaxRow:
		e.Locator = locTileRow
		e.Message = fmt.Sprintf("TileRow %d is outside the limits of layer %s in tile matrix %s of %s (rows %d to %d)", k.Row, k.Layer, m.ID, ts.Set.ID, r.MinRow, r.MaxRow)
	case k.Col < r.MinCol || k.Col > r.MaxCol:
		e.Locator = locTileCol
		e.Message = fmt.Sprintf("TileCol %d is outside the limits of layer %s in tile matrix %s of %s (columns %d to %d)", k.Col, k.Layer, m.ID, ts.Set.ID, r.MinCol, r.MaxCol)
	default:
		e.Message = "tile out of range"
	}
	return e
}

// sections is the set of capabilities sections to include (OWS 06-121r9
// table 7).
type sections uint8

const (
	sectionServiceIdentification sections = 1 << iota
	sectionServiceProvider
	sectionOperationsMetadata
	sectionContents
	sectionThemes
)

func allSections() sections {
	return sectionServiceIdentification | sectionServiceProvider | sectionOperationsMetadata | sectionContents | sectionThemes
}

func (s sections) has(o sections) bool { return s&o != 0 }

// Media types of the capabilities document.
const (
	mediaTypeXML     = "application/xml"
	mediaTypeTextXML = "text/xml"
)

// capabilitiesRequest is a parsed KVP GetCapabilities request.
type capabilitiesRequest struct {
	sections  sections
	mediaType string
}

// parseCapabilitiesRequest reads AcceptVersions, Sections and
// AcceptFormats (OWS 06-121r9 section 7). UpdateSequence is accepted and
// ignored: a server that does not implement it always answers the full
// document (07-057r7 section 7.1.1.1).
func parseCapabilitiesRequest(kvp ows.KVP) (capabilitiesRequest, error) {
	cr := capabilitiesRequest{sections: allSections(), mediaType: mediaTypeXML}
	versions, err := single(kvp, "ACCEPTVERSIONS")
	if err != nil {
		return cr, err
	}
	if versions != "" {
		found := false
		for _, v := range strings.Split(versions, ",") {
			if strings.TrimSpace(v) == Version {
				found = true
				break
			}
		}
		if !found {
			return cr, &ows.Error{Code: ows.CodeVersionNegotiation, Status: http.StatusBadRequest,
				Message: fmt.Sprintf("this server supports WMTS %s only, not %s", Version, tileserve.Clip(versions))}
		}
	}
	list, err := single(kvp, "SECTIONS")
	if err != nil {
		return cr, err
	}
	if list != "" {
		cr.sections = 0
		for _, name := range strings.Split(list, ",") {
			name = strings.TrimSpace(name)
			switch {
			case name == "":
			case strings.EqualFold(name, "All"):
				cr.sections |= allSections()
			case strings.EqualFold(name, "ServiceIdentification"):
				cr.sections |= sectionServiceIdentification
			case strings.EqualFold(name, "ServiceProvider"):
				cr.sections |= sectionServiceProvider
			case strings.EqualFold(name, "OperationsMetadata"):
				cr.sections |= sectionOperationsMetadata
			case strings.EqualFold(name, "Contents"):
				cr.sections |= sectionContents
			case strings.EqualFold(name, "Themes"):
				cr.sections |= sectionThemes
			default:
				return cr, ows.InvalidParameter("SECTIONS", "unknown section %q", tileserve.Clip(name))
			}
		}
	}
	// Old clients ask with FORMAT; OWS 1.1 says AcceptFormats. Neither may
	// refuse the answer: without an acceptable type, the default is sent.
	for _, key := range []string{"ACCEPTFORMATS", "FORMAT"} {
		v, err := single(kvp, key)
		if err != nil {
			return cr, err
		}
		if v == "" {
			continue
		}
		for _, mt := range strings.Split(v, ",") {
			mt, _, _ = strings.Cut(mt, ";")
			switch strings.ToLower(strings.TrimSpace(mt)) {
			case mediaTypeXML:
				cr.mediaType = mediaTypeXML
				return cr, nil
			case mediaTypeTextXML:
				cr.mediaType = mediaTypeTextXML
				return cr, nil
			}
		}
	}
	return cr, nil
}

// pathError words the path errors of tileserve as WMTS exceptions, the
// same for both encodings: a path that cannot be read is
// InvalidParameterValue, and a bad TileRow or TileCol is located by its KVP
// name. Signs, exponents, spaces and numbers beyond int are malformed; a
// well-formed number outside the matrix is TileOutOfRange, which Fetch
// reports.
func pathError(err error) error {
	var pe *tileserve.PathError
	if !errors.As(err, &pe) {
		return err
	}
	switch pe.Err {
	case tileserve.ErrMalformedSegment:
		return badPath("malformed path segment %q", tileserve.Clip(pe.Text))
	case tileserve.ErrEmptySegment:
		return badPath("empty path segment")
	case tileserve.ErrInvalidSegment:
		return badPath("invalid path segment %q", tileserve.Clip(pe.Text))
	case tileserve.ErrEmptyIndex:
		return ows.MissingParameter(pe.Part)
	case tileserve.ErrMalformedIndex:
		return ows.InvalidParameter(pe.Part, "%s %q is not a non-negative integer", pe.Part, tileserve.Clip(pe.Text))
	case tileserve.ErrIndexTooLarge:
		return &ows.Error{Code: ows.CodeInvalidParameterValue, Locator: pe.Part, Status: http.StatusBadRequest,
			Message: fmt.Sprintf("%s %s is too large", pe.Part, tileserve.Clip(pe.Text)), Err: err}
	}
	return err
}

func badPath(format string, args ...any) *ows.Error {
	return &ows.Error{Code: ows.CodeInvalidParameterValue, Status: http.StatusBadRequest, Message: fmt.Sprintf(format, args...)}
}

func noResource() *ows.Error {
	return &ows.Error{Code: ows.CodeNoApplicableCode, Status: http.StatusNotFound, Message: "no WMTS resource at this path"}
}

func errNoCatalog() *ows.Error {
	return &ows.Error{Code: ows.CodeNoApplicableCode, Status: http.StatusServiceUnavailable, Message: "no catalog is loaded"}
}
