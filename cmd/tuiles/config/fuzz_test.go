package config

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoad feeds arbitrary bytes to the loader as a configuration file: it
// must never panic, and every refusal must be a list of problems that name
// the file and say something.
func FuzzLoad(f *testing.F) {
	for _, seed := range []string{
		"",
		"server: {listen: \":8080\"}\n",
		"layers:\n  - name: a\n    data: {mbtiles: \"a-{set}.mbtiles\"}\n    tiles: {sets: [LAMB93, WebMercatorQuad], formats: [png], max_age: 1h, missing: empty, background: \"#fff\", bounds: [-5, 41, 9, 51]}\n",
		"layers:\n  - name: a\n    data: {mbtiles: a-{set}.mbtiles}\n",
		"tile_matrix_sets: [WebMercatorQuad, nope.json]\nx-anchor: &a {title: t}\nservice: *a\n",
		"layers: [{name: \"bad name\", colour: red}]\n",
		"- a\n- b\n",
		"server: {cors_origins: [], public_url: 'ftp://x'}\n",
		"a: b: c:\n\t- [\n",
		"layers:\n  - name: a\n    tiles:\n      max_age: -1s\n      background: #fff\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "tuiles.yaml")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Load(path)
		if err == nil {
			return
		}
		var ps Problems
		if !errors.As(err, &ps) || len(ps) == 0 {
			t.Fatalf("error is not a list of problems: %v", err)
		}
		for _, p := range ps {
			if p.File != path || p.Msg == "" {
				t.Fatalf("problem without file or message: %+v", p)
			}
		}
	})
}
