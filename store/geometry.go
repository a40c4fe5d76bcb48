package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/twpayne/go-geom"
	"github.com/twpayne/go-geom/encoding/wkb"
	"github.com/twpayne/go-geom/encoding/wkbcommon"
)

// GeoPackage geometry blobs (GeoPackage 1.3, §2.1.3): a header followed by
// ISO WKB.
//
//	magic "GP" | version 0 | flags | srs_id int32 | envelope | WKB
//
// flags: bit 0 byte order of the header (1 little endian), bits 1-3 the
// envelope indicator (0 none, 1 xy, 2 xyz, 3 xym, 4 xyzm), bit 4 empty
// geometry, bit 5 extended (non-standard) geometry type.

const (
	gpHeaderSize   = 8
	flagLittle     = 0x01
	flagEmpty      = 0x10
	flagExtended   = 0x20
	envelopeShift  = 1
	envelopeMask   = 0x07
	maxWKBDepth    = 32
	wkbHeaderBytes = 5
)

// errGeometry marks blobs that are not valid GeoPackage geometries.
var errGeometry = errors.New("invalid GeoPackage geometry")

// envelopeDoubles is the number of doubles an envelope indicator announces,
// or -1 for an invalid indicator.
func envelopeDoubles(indicator int) int {
	switch indicator {
	case 0:
		return 0
	case 1:
		return 4
	case 2, 3:
		return 6
	case 4:
		return 8
	}
	return -1
}

// envelope is a 2D rectangle; ok is false when the geometry is empty.
type envelope struct {
	minX, minY, maxX, maxY float64
	ok                     bool
}

func (e *envelope) add(x, y float64) {
	if math.IsNaN(x) || math.IsNaN(y) {
		return
	}
	if !e.ok {
		*e = envelope{x, y, x, y, true}
		return
	}
	e.minX = math.Min(e.minX, x)
	e.minY = math.Min(e.minY, y)
	e.maxX = math.Max(e.maxX, x)
	e.maxY = math.Max(e.maxY, y)
}

func (e *envelope) union(o envelope) {
	if o.ok {
		e.add(o.minX, o.minY)
		e.add(o.maxX, o.maxY)
	}
}

func (e envelope) intersects(minX, minY, maxX, maxY float64) bool {
	return e.ok && e.minX <= maxX && e.maxX >= minX && e.minY <= maxY && e.maxY >= minY
}

// geometryEnvelope computes the 2D envelope of g from its coordinates
// (go-geom's Bounds panics on nested collections).
func geometryEnvelope(g geom.T) envelope {
	var e envelope
	if gc, ok := g.(*geom.GeometryCollection); ok {
		for _, c := range gc.Geoms() {
			e.union(geometryEnvelope(c))
		}
		return e
	}
	fc, stride := g.FlatCoords(), g.Stride()
	if stride < 2 {
		return e
	}
	for i := 0; i+1 < len(fc); i += stride {
		e.add(fc[i], fc[i+1])
	}
	return e
}

// encodeGeometry writes g as a GeoPackage blob, little-endian, with an xy
// envelope except for points (whose envelope is the point itself, so GDAL
// omits it too). A nil g encodes as nil (SQL NULL).
func encodeGeometry(g geom.T, srsID int32) ([]byte, error) {
	if g == nil {
		return nil, nil
	}
	body, err := wkb.Marshal(g, wkb.NDR, wkbcommon.WKBOptionEmptyPointHandling(wkbcommon.EmptyPointHandlingNaN))
	if err != nil {
		return nil, fmt.Errorf("encode geometry: %w", err)
	}
	flags := byte(flagLittle)
	env := geometryEnvelope(g)
	_, isPoint := g.(*geom.Point)
	withEnvelope := env.ok && !isPoint
	if !env.ok {
		flags |= flagEmpty
	}
	size := gpHeaderSize + len(body)
	if withEnvelope {
		flags |= 1 << envelopeShift
		size += 32
	}
	out := make([]byte, 0, size)
	out = append(out, 'G', 'P', 0, flags)
	out = binary.LittleEndian.AppendUint32(out, uint32(srsID))
	if withEnvelope {
		for _, v := range [4]float64{env.minX, env.maxX, env.minY, env.maxY} {
			out = binary.LittleEndian.AppendUint64(out, math.Float64bits(v))
		}
	}
	return append(out, body...), nil
}

// gpHeader is the parsed fixed part of a GeoPackage blob.
type gpHeader struct {
	srsID    int32
	empty    bool
	envelope envelope // from the header, when it has one
	wkb      []byte
}

func parseHeader(b []byte) (gpHeader, error) {
	var h gpHeader
	if len(b) < gpHeaderSize || b[0] != 'G' || b[1] != 'P' {
		return h, fmt.Errorf("%w: no GP magic", errGeometry)
	}
	if b[2] != 0 {
		return h, fmt.Errorf("%w: version %d", errGeometry, b[2])
	}
	flags := b[3]
	if flags&flagExtended != 0 {
		return h, fmt.Errorf("%w: extended geometry types are not supported", errGeometry)
	}
	var order binary.ByteOrder = binary.BigEndian
	if flags&flagLittle != 0 {
		order = binary.LittleEndian
	}
	h.srsID = int32(order.Uint32(b[4:8]))
	h.empty = flags&flagEmpty != 0
	ind := int(flags>>envelopeShift) & envelopeMask
	n := envelopeDoubles(ind) * 8
	if n < 0 {
		return h, fmt.Errorf("%w: envelope indicator %d", errGeometry, ind)
	}
	if len(b) < gpHeaderSize+n {
		return h, fmt.Errorf("%w: truncated envelope", errGeometry)
	}
	if n > 0 {
		f := func(i int) float64 { return math.Float64frombits(order.Uint64(b[gpHeaderSize+8*i:])) }
		// The envelope order is minx, maxx, miny, maxy[, ...].
		h.envelope = envelope{minX: f(0), maxX: f(1), minY: f(2), maxY: f(3)}
		// Writers put NaN envelopes on empty geometries.
		h.envelope.ok = !h.empty && !math.IsNaN(h.envelope.minX) && !math.IsNaN(h.envelope.minY)
	}
	h.wkb = b[gpHeaderSize+n:]
	return h, nil
}

// decodeGeometry reads a GeoPackage blob; nil or empty input is NULL and
// decodes to a nil geometry.
func decodeGeometry(b []byte) (geom.T, error) {
	if len(b) == 0 {
		return nil, nil
	}
	h, err := parseHeader(b)
	if err != nil {
		return nil, err
	}
	return decodeWKB(h.wkb)
}

// decodeWKB checks the structure of ISO WKB before go-geom reads it: go-geom
// allocates whatever element count the input claims, so a corrupt or hostile
// blob could otherwise ask for gigabytes.
func decodeWKB(b []byte) (geom.T, error) {
	end, err := checkWKB(b, 0, 0)
	if err != nil {
		return nil, err
	}
	if end != len(b) {
		return nil, fmt.Errorf("%w: %d trailing bytes after WKB", errGeometry, len(b)-end)
	}
	// Points, the commonest geometry, skip go-geom's reader and its
	// allocations; checkWKB vouched for the length.
	var order binary.ByteOrder = binary.BigEndian
	if b[0] == 1 {
		order = binary.LittleEndian
	}
	if code := order.Uint32(b[1:]); code%1000 == wkbcommon.PointID {
		layout := [...]geom.Layout{geom.XY, geom.XYZ, geom.XYM, geom.XYZM}[code/1000]
		flat := make([]float64, layout.Stride())
		for i := range flat {
			flat[i] = math.Float64frombits(order.Uint64(b[wkbHeaderBytes+8*i:]))
		}
		return geom.NewPointFlatMaybeEmpty(layout, flat), nil
	}
	g, err := wkb.Unmarshal(b, wkbcommon.WKBOptionEmptyPointHandling(wkbcommon.EmptyPointHandlingNaN))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errGeometry, err)
	}
	return g, nil
}

// checkWKB walks one WKB geometry starting at off and returns the offset
// just after it, verifying that every count fits in the remaining bytes.
func checkWKB(b []byte, off, depth int) (int, error) {
	if depth > maxWKBDepth {
		return 0, fmt.Errorf("%w: geometry nested deeper than %d", errGeometry, maxWKBDepth)
	}
	if len(b)-off < wkbHeaderBytes {
		return 0, fmt.Errorf("%w: truncated WKB", errGeometry)
	}
	var order binary.ByteOrder
	switch b[off] {
	case 0:
		order = binary.BigEndian
	case 1:
		order = binary.LittleEndian
	default:
		return 0, fmt.Errorf("%w: WKB byte order %d", errGeometry, b[off])
	}
	code := order.Uint32(b[off+1:])
	dims, kind := code/1000, code%1000
	if dims > 3 {
		return 0, fmt.Errorf("%w: WKB type %d is not ISO WKB", errGeometry, code)
	}
	stride := 2
	switch dims {
	case 1, 2:
		stride = 3
	case 3:
		stride = 4
	}
	off += wkbHeaderBytes
	count := func() (int, error) {
		if len(b)-off < 4 {
			return 0, fmt.Errorf("%w: truncated WKB", errGeometry)
		}
		n := int(order.Uint32(b[off:]))
		off += 4
		return n, nil
	}
	points := func() error {
		n, err := count()
		if err != nil {
			return err
		}
		if n > (len(b)-off)/(8*stride) {
			return fmt.Errorf("%w: WKB claims %d points in %d bytes", errGeometry, n, len(b)-off)
		}
		off += n * 8 * stride
		return nil
	}
	switch kind {
	case wkbcommon.PointID:
		if len(b)-off < 8*stride {
			return 0, fmt.Errorf("%w: truncated WKB point", errGeometry)
		}
		return off + 8*stride, nil
	case wkbcommon.LineStringID:
		return off, points()
	case wkbcommon.PolygonID:
		n, err := count()
		if err != nil {
			return 0, err
		}
		if n > (len(b)-off)/4 {
			return 0, fmt.Errorf("%w: WKB claims %d rings in %d bytes", errGeometry, n, len(b)-off)
		}
		for range n {
			if err := points(); err != nil {
				return 0, err
			}
		}
		return off, nil
	case wkbcommon.MultiPointID, wkbcommon.MultiLineStringID, wkbcommon.MultiPolygonID, wkbcommon.GeometryCollectionID:
		n, err := count()
		if err != nil {
			return 0, err
		}
		if n > (len(b)-off)/wkbHeaderBytes {
			return 0, fmt.Errorf("%w: WKB claims %d parts in %d bytes", errGeometry, n, len(b)-off)
		}
		for range n {
			if off, err = checkWKB(b, off, depth+1); err != nil {
				return 0, err
			}
		}
		return off, nil
	default:
		return 0, fmt.Errorf("%w: unsupported WKB geometry type %d (curves and surfaces are not supported)", errGeometry, code)
	}
}

// blobEnvelope returns the 2D envelope of a blob, reading the header when it
// carries one and decoding only points or envelope-less blobs otherwise.
// It backs the ST_MinX… SQL functions the R-tree triggers call.
func blobEnvelope(b []byte) (envelope, error) {
	h, err := parseHeader(b)
	if err != nil {
		return envelope{}, err
	}
	if h.empty {
		return envelope{}, nil
	}
	if h.envelope.ok {
		return h.envelope, nil
	}
	// Points carry no envelope: read x and y straight from the WKB.
	if w := h.wkb; len(w) >= wkbHeaderBytes+16 && (w[0] == 0 || w[0] == 1) {
		var order binary.ByteOrder = binary.BigEndian
		if w[0] == 1 {
			order = binary.LittleEndian
		}
		if order.Uint32(w[1:])%1000 == wkbcommon.PointID {
			x := math.Float64frombits(order.Uint64(w[5:]))
			y := math.Float64frombits(order.Uint64(w[13:]))
			var e envelope
			e.add(x, y)
			return e, nil
		}
	}
	g, err := decodeWKB(h.wkb)
	if err != nil {
		return envelope{}, err
	}
	return geometryEnvelope(g), nil
}
