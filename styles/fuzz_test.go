package styles

import (
	"errors"
	"testing"
)

// FuzzParse checks that Parse never panics and that every error it returns
// is a located *Error of one of the two kinds.
func FuzzParse(f *testing.F) {
	f.Add([]byte(sld10(`<Rule><PointSymbolizer/></Rule>`)))
	f.Fuzz(func(t *testing.T, data []byte) {
		sld, err := Parse("fuzz.sld", data)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || !(errors.Is(err, ErrInvalid) || errors.Is(err, ErrUnsupported)) {
				t.Fatalf("unexpected error type %T: %v", err, err)
			}
			return
		}
		if len(sld.Layers) == 0 {
			t.Fatal("no layers and no error")
		}
	})
}
