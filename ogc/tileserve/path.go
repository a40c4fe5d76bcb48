package tileserve

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/tuiles/tuiles/catalog"
)

// The request-path grammar every tile protocol reads the same way: path
// segments, file extensions and tile indexes. What a protocol answers to a
// path it cannot read is its own (TMS and XYZ answer 404 for a number too
// big for any matrix, WMTS 400 InvalidParameterValue with a locator), so
// these functions choose no status: they return a *PathError wrapping one
// of the sentinels below, and each protocol's error adapter words it.
var (
	// ErrMalformedSegment is a path segment whose %-escapes do not decode.
	ErrMalformedSegment = errors.New("malformed path segment")
	// ErrEmptySegment is an empty segment before the last one ("a//b").
	ErrEmptySegment = errors.New("empty path segment")
	// ErrInvalidSegment is a dot segment, or one holding a slash, a
	// backslash or a control character once unescaped.
	ErrInvalidSegment = errors.New("invalid path segment")
	// ErrNoExtension is a tile path without a file extension to name its
	// format.
	ErrNoExtension = errors.New("no file extension")
	// ErrEmptyIndex is an empty zoom level, column or row.
	ErrEmptyIndex = errors.New("empty tile index")
	// ErrMalformedIndex is a tile index that is not plain decimal digits.
	ErrMalformedIndex = errors.New("tile index is not a non-negative integer")
	// ErrIndexTooLarge is a well-formed tile index too big to be in any
	// matrix.
	ErrIndexTooLarge = errors.New("tile index too large")
)

// PathError reports a part of a request path that names no resource.
type PathError struct {
	// Part names the index at fault ("z", "x", "y", or a protocol's
	// parameter such as TILEROW); it is empty for a path segment or an
	// extension.
	Part string
	// Text is the text at fault, not clipped, so that each protocol
	// shortens and quotes it its own way: still escaped for
	// ErrMalformedSegment, unescaped otherwise, and empty for
	// ErrEmptySegment and ErrEmptyIndex.
	Text string
	// Err is one of the sentinels of this package; protocols switch on it.
	Err error
}

func (e *PathError) Error() string {
	msg := "tileserve: " + e.Err.Error()
	if e.Part != "" {
		msg = "tileserve: " + e.Part + ": " + e.Err.Error()
	}
	if e.Text != "" {
		msg += fmt.Sprintf(" (%q)", Clip(e.Text))
	}
	return msg
}

func (e *PathError) Unwrap() error { return e.Err }

// SplitPath splits an escaped URL path (url.URL.EscapedPath) into
// unescaped segments, without the leading empty one; the last segment is
// empty when the path ends in a slash. Splitting before unescaping keeps
// %2F inside its segment, and checking segments after unescaping catches
// %2e%2e, so no spelling of a path can name something outside the tile
// space. Nothing here reaches a file system, but a cache keyed by these
// strings might.
func SplitPath(escaped string) ([]string, error) {
	raw := strings.Split(strings.TrimPrefix(escaped, "/"), "/")
	segs := make([]string, len(raw))
	for i, s := range raw {
		u, err := url.PathUnescape(s)
		if err != nil {
			return nil, &PathError{Text: s, Err: ErrMalformedSegment}
		}
		if u == "" && i != len(raw)-1 {
			return nil, &PathError{Err: ErrEmptySegment}
		}
		if u == "." || u == ".." || strings.ContainsAny(u, "/\\") || hasControl(u) {
			return nil, &PathError{Text: u, Err: ErrInvalidSegment}
		}
		segs[i] = u
	}
	return segs, nil
}

func hasControl(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f {
			return true
		}
	}
	return false
}

// CutExt splits the last segment of a tile path, "12.png", at its last dot.
// ok is false when there is no extension: no dot, or nothing after it.
func CutExt(s string) (name, ext string, ok bool) {
	i := strings.LastIndexByte(s, '.')
	if i < 0 || i == len(s)-1 {
		return s, "", false
	}
	return s[:i], s[i+1:], true
}

// ParseIndex reads a tile index (zoom level, column or row) named part.
// Only plain decimal digits are accepted: signs, spaces, exponents and
// fractions would each let several spellings name one tile and one cache
// entry. A number beyond int is ErrIndexTooLarge; whether a smaller one
// lies inside a matrix is for the caller, which knows the matrix.
func ParseIndex(part, s string) (int, error) {
	if s == "" {
		return 0, &PathError{Part: part, Err: ErrEmptyIndex}
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, &PathError{Part: part, Text: s, Err: ErrMalformedIndex}
		}
	}
	v, err := strconv.Atoi(s)
	if err != nil {
		// Digits only, so the one way to fail is a number beyond int.
		return 0, &PathError{Part: part, Text: s, Err: ErrIndexTooLarge}
	}
	return v, nil
}

// maxIndex bounds the indexes of a TilePath well above any matrix (tiling
// caps sides at 2^30) and below int overflow.
const maxIndex = 1 << 40

// TilePath is the tail {z}/{x}/{y}.{ext} of a TMS or XYZ tile URL, read
// but not yet checked against a tile matrix set. Y is as the URL has it:
// which end rows count from is the protocol's business.
type TilePath struct {
	Z, X, Y int
	Ext     string
}

// ParseTilePath reads the last three segments of a TMS or XYZ tile path.
// It checks the extension, then z, x and y, and reports the first fault.
// An index above 2^40 is ErrIndexTooLarge: it is out of range in every
// tile matrix set, so these protocols need not look one up to say so.
func ParseTilePath(z, x, yExt string) (TilePath, error) {
	y, ext, ok := CutExt(yExt)
	if !ok {
		return TilePath{}, &PathError{Text: yExt, Err: ErrNoExtension}
	}
	tp := TilePath{Ext: ext}
	for _, p := range []struct {
		part, text string
		dst        *int
	}{{"z", z, &tp.Z}, {"x", x, &tp.X}, {"y", y, &tp.Y}} {
		v, err := ParseIndex(p.part, p.text)
		if err == nil && v > maxIndex {
			err = &PathError{Part: p.part, Text: p.text, Err: ErrIndexTooLarge}
		}
		if err != nil {
			return TilePath{}, err
		}
		*p.dst = v
	}
	return tp, nil
}

// Clip shortens request text echoed in messages and logs to 64 bytes, so
// a hostile request cannot swell an error document or a log line. It cuts
// on a rune boundary so the message stays valid UTF-8.
func Clip(s string) string {
	const maxLen = 64
	if len(s) <= maxLen {
		return s
	}
	i := maxLen
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "…"
}

// DefaultStyle is the style a request for a tile of l gets when its
// protocol cannot name one (TMS, XYZ): the layer's first, or "" for a
// layer without styles.
func DefaultStyle(l *catalog.Layer) string {
	if len(l.Styles) == 0 {
		return ""
	}
	return l.Styles[0].Name
}
