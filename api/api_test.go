package api

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Every route is in the OpenAPI document, which is valid JSON.
func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	var doc struct {
		OpenAPI string                    `json:"openapi"`
		Paths   map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(openAPIDoc, &doc); err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("api.go")
	if err != nil {
		t.Fatal(err)
	}
	routes := regexp.MustCompile(`"(GET|POST|PUT|DELETE) /api/v1(/[^"]*)"`).FindAllStringSubmatch(string(src), -1)
	if len(routes) < 15 {
		t.Fatalf("found %d routes", len(routes))
	}
	for _, r := range routes {
		method, path := strings.ToLower(r[1]), r[2]
		if _, ok := doc.Paths[path][method]; !ok {
			t.Errorf("%s %s is not in openapi.json", r[1], path)
		}
	}
}

func TestSafeName(t *testing.T) {
	for name, ok := range map[string]bool{
		"roads.zip": true, "dem.tif": true, "Départements 2024.gpkg": true,
		"": false, "../x.zip": false, "a/b.zip": false, `a\b.zip`: false, ".hidden": false, "/etc/passwd": false, "..": false,
	} {
		if _, err := safeName(name); (err == nil) != ok {
			t.Errorf("safeName(%q): %v", name, err)
		}
	}
}

func zipBytes(t testing.TB, entries map[string]string) []byte {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for name, content := range entries {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = w.Write([]byte(content))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestUnzip(t *testing.T) {
	dir := t.TempDir()
	archive := filepath.Join(dir, "a.zip")
	if err := os.WriteFile(archive, zipBytes(t, map[string]string{"roads/roads.shp": "x", "roads/roads.dbf": "y"}), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	if err := unzip(context.Background(), archive, out, 100); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(out, "roads", "roads.shp")); err != nil || string(b) != "x" {
		t.Errorf("extracted %q, %v", b, err)
	}
	for name, entries := range map[string]map[string]string{
		"slip":     {"../evil.shp": "x"},
		"absolute": {"/tmp/evil.shp": "x"},
		"too big":  {"a.geojson": strings.Repeat("x", 101)},
	} {
		archive := filepath.Join(dir, name+".zip")
		if err := os.WriteFile(archive, zipBytes(t, entries), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := unzip(context.Background(), archive, filepath.Join(dir, "out-"+name), 100); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "evil.shp")); err == nil {
		t.Error("an entry escaped")
	}
}

// Whatever the archive, unzip writes nothing outside its directory and
// never panics.
func FuzzUnzip(f *testing.F) {
	f.Add(zipBytes(f, map[string]string{"a.shp": "x"}))
	f.Add(zipBytes(f, map[string]string{"../a.shp": "x"}))
	f.Add(zipBytes(f, map[string]string{"d/e/f.geojson": "{}"}))
	f.Add([]byte("PK\x03\x04 not really"))
	f.Fuzz(func(t *testing.T, data []byte) {
		root := t.TempDir()
		archive := filepath.Join(root, "in.zip")
		if err := os.WriteFile(archive, data, 0o644); err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(root, "out")
		_ = unzip(context.Background(), archive, out, 1<<20)
		entries, _ := os.ReadDir(root)
		for _, e := range entries {
			if e.Name() != "in.zip" && e.Name() != "out" {
				t.Fatalf("unzip wrote %s outside its directory", e.Name())
			}
		}
	})
}
