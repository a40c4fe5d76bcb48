package tileserve

import (
	"errors"
	"math"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tuiles/tuiles/catalog"
)

// checkPathError fails unless err is a *PathError for part and text
// wrapping want, or is nil when want is nil.
func checkPathError(t *testing.T, err, want error, part, text string) {
	t.Helper()
	if want == nil {
		if err != nil {
			t.Fatalf("err = %v", err)
		}
		return
	}
	var pe *PathError
	if !errors.As(err, &pe) || !errors.Is(err, want) {
		t.Fatalf("err = %#v, want a *PathError wrapping %v", err, want)
	}
	if pe.Part != part || pe.Text != text {
		t.Errorf("Part %q Text %q, want %q %q", pe.Part, pe.Text, part, text)
	}
	if !utf8.ValidString(pe.Error()) || len(pe.Error()) > 200 {
		t.Errorf("Error() = %q", pe.Error())
	}
}

func TestSplitPath(t *testing.T) {
	for _, c := range []struct {
		name    string
		escaped string
		want    []string
		err     error
		text    string
	}{
		{"root", "/", []string{""}, nil, ""},
		{"empty", "", []string{""}, nil, ""},
		{"no leading slash", "tms/1.0.0", []string{"tms", "1.0.0"}, nil, ""},
		{"trailing slash", "/tms/1.0.0/", []string{"tms", "1.0.0", ""}, nil, ""},
		{"escapes decoded", "/eaux%20%26%20for%C3%AAts/%41", []string{"eaux & forêts", "A"}, nil, ""},
		{"literal UTF-8 and space", "/café au lait", []string{"café au lait"}, nil, ""},
		{"bad escape", "/a/%zz/b", nil, ErrMalformedSegment, "%zz"},
		{"truncated escape", "/a/b%2", nil, ErrMalformedSegment, "b%2"},
		{"empty segment", "/a//b", nil, ErrEmptySegment, ""},
		{"empty before the last", "/a/b//", nil, ErrEmptySegment, ""},
		{"dot", "/a/./b", nil, ErrInvalidSegment, "."},
		{"dot dot", "/a/../b", nil, ErrInvalidSegment, ".."},
		{"escaped dot dot", "/a/%2e%2E/b", nil, ErrInvalidSegment, ".."},
		{"escaped slash", "/a%2Fb/c", nil, ErrInvalidSegment, "a/b"},
		{"escaped backslash", "/a%5cb", nil, ErrInvalidSegment, `a\b`},
		{"literal backslash", `/a\..\b`, nil, ErrInvalidSegment, `a\..\b`},
		{"NUL", "/a%00", nil, ErrInvalidSegment, "a\x00"},
		{"newline", "/a%0a", nil, ErrInvalidSegment, "a\n"},
		{"DEL", "/a%7F", nil, ErrInvalidSegment, "a\x7f"},
		// The first fault wins.
		{"bad escape after a dot segment", "/../%zz", nil, ErrInvalidSegment, ".."},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := SplitPath(c.escaped)
			checkPathError(t, err, c.err, "", c.text)
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("SplitPath(%q) = %q, want %q", c.escaped, got, c.want)
			}
		})
	}
}

// FuzzSplitPath checks what the protocols rely on: whatever the input,
// every segment is safe to use as a name, only the last may be empty, and
// a refusal is a *PathError. The seed corpus is in
// testdata/fuzz/FuzzSplitPath.
func FuzzSplitPath(f *testing.F) {
	f.Fuzz(func(t *testing.T, escaped string) {
		segs, err := SplitPath(escaped)
		if err != nil {
			var pe *PathError
			if !errors.As(err, &pe) {
				t.Fatalf("%q: %T %v", escaped, err, err)
			}
			return
		}
		if len(segs) == 0 {
			t.Fatalf("%q: no segment", escaped)
		}
		for i, s := range segs {
			if s == "" && i != len(segs)-1 || s == "." || s == ".." || strings.ContainsAny(s, `/\`) || hasControl(s) {
				t.Fatalf("%q: segment %d is %q", escaped, i, s)
			}
		}
	})
}

func TestCutExt(t *testing.T) {
	for _, c := range []struct {
		in, name, ext string
		ok            bool
	}{
		{"12.png", "12", "png", true},
		{"0.png.png", "0.png", "png", true},
		{".png", "", "png", true},
		{"12", "12", "", false},
		{"12.", "12.", "", false},
		{"", "", "", false},
	} {
		name, ext, ok := CutExt(c.in)
		if name != c.name || ext != c.ext || ok != c.ok {
			t.Errorf("CutExt(%q) = %q, %q, %v; want %q, %q, %v", c.in, name, ext, ok, c.name, c.ext, c.ok)
		}
	}
}

func TestParseIndex(t *testing.T) {
	maxInt := strconv.Itoa(math.MaxInt)
	for _, c := range []struct {
		in   string
		want int
		err  error
	}{
		{"0", 0, nil},
		{"7", 7, nil},
		{"007", 7, nil},
		{maxInt, math.MaxInt, nil},
		{"", 0, ErrEmptyIndex},
		{"-1", 0, ErrMalformedIndex},
		{"-0", 0, ErrMalformedIndex},
		{"+1", 0, ErrMalformedIndex},
		{" 1", 0, ErrMalformedIndex},
		{"1 ", 0, ErrMalformedIndex},
		{"1.0", 0, ErrMalformedIndex},
		{"1e3", 0, ErrMalformedIndex},
		{"0x1", 0, ErrMalformedIndex},
		{"1_000", 0, ErrMalformedIndex},
		{"١", 0, ErrMalformedIndex}, // an Arabic-Indic digit
		{maxInt + "0", 0, ErrIndexTooLarge},
		{"99999999999999999999", 0, ErrIndexTooLarge},
	} {
		t.Run(c.in, func(t *testing.T) {
			got, err := ParseIndex("TILEROW", c.in)
			text := c.in
			if c.err == ErrEmptyIndex {
				text = ""
			}
			checkPathError(t, err, c.err, "TILEROW", text)
			if got != c.want {
				t.Errorf("ParseIndex(%q) = %d, want %d", c.in, got, c.want)
			}
		})
	}
}

func TestParseTilePath(t *testing.T) {
	const big = "99999999999999999999"
	for _, c := range []struct {
		name       string
		z, x, yExt string
		want       TilePath
		err        error
		part, text string
	}{
		{"tile", "3", "4", "5.png", TilePath{Z: 3, X: 4, Y: 5, Ext: "png"}, nil, "", ""},
		{"last dot", "0", "0", "0.png.png", TilePath{}, ErrMalformedIndex, "y", "0.png"},
		{"2^40 is still read", "1099511627776", "0", "0.pbf", TilePath{Z: 1 << 40, Ext: "pbf"}, nil, "", ""},
		{"above 2^40", "0", "1099511627777", "0.png", TilePath{}, ErrIndexTooLarge, "x", "1099511627777"},
		{"beyond int", "0", "0", big + ".png", TilePath{}, ErrIndexTooLarge, "y", big},
		{"no extension", "a", "b", "c", TilePath{}, ErrNoExtension, "", "c"},
		{"empty extension", "0", "0", "0.", TilePath{}, ErrNoExtension, "", "0."},
		{"extension before indexes", "a", "0", "0", TilePath{}, ErrNoExtension, "", "0"},
		{"z before x and y", "a", "b", "c.png", TilePath{}, ErrMalformedIndex, "z", "a"},
		{"x before y", "1", "-1", "c.png", TilePath{}, ErrMalformedIndex, "x", "-1"},
		{"empty z", "", "0", "0.png", TilePath{}, ErrEmptyIndex, "z", ""},
		{"empty y", "0", "0", ".png", TilePath{}, ErrEmptyIndex, "y", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseTilePath(c.z, c.x, c.yExt)
			checkPathError(t, err, c.err, c.part, c.text)
			if got != c.want {
				t.Errorf("ParseTilePath = %+v, want %+v", got, c.want)
			}
		})
	}
}

func TestClip(t *testing.T) {
	a64 := strings.Repeat("a", 64)
	for _, c := range []struct{ in, want string }{
		{"", ""},
		{"short", "short"},
		{a64, a64},
		{a64 + "b", a64 + "…"},
		{strings.Repeat("é", 40), strings.Repeat("é", 32) + "…"},
		// Byte 64 is inside an "é": the cut moves back to its start.
		{"a" + strings.Repeat("é", 40), "a" + strings.Repeat("é", 31) + "…"},
	} {
		got := Clip(c.in)
		if got != c.want || !utf8.ValidString(got) {
			t.Errorf("Clip(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestDefaultStyle(t *testing.T) {
	if got := DefaultStyle(&catalog.Layer{}); got != "" {
		t.Errorf("no styles: %q", got)
	}
	l := &catalog.Layer{Styles: []catalog.Style{{Name: "day"}, {Name: "night"}}}
	if got := DefaultStyle(l); got != "day" {
		t.Errorf("DefaultStyle = %q, want the first", got)
	}
}
