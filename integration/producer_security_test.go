package integration

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Producer A cannot read, change or delete producer B's objects by any
// route, and sees none of them in lists; without a token nothing is
// served.
func TestProducerIsolation(t *testing.T) {
	dir := t.TempDir()
	p, cfg := producerServer(t, dir)
	alice := newToken(t, cfg, "alice", "")
	bob := newToken(t, cfg, "bob", "")

	// Alice's objects: a dataset (with its job), a style, a publication.
	body, ct := form(t, map[string]string{"name": "deps"}, shapefileZip(t, dir, "deps", "code_region = '53'"))
	status, created := call(t, p.base, alice, http.MethodPost, "/api/v1/datasets", body, ct)
	if status != http.StatusAccepted {
		t.Fatalf("upload: %d %v", status, created)
	}
	if j := waitJob(t, p.base, alice, created["job"]); j["status"] != "succeeded" {
		t.Fatalf("job: %v", j)
	}
	ds, job := idOf(created["dataset"]), idOf(created["job"])
	if status, _ := call(t, p.base, alice, http.MethodPut, "/api/v1/styles/red", strings.NewReader(redSLD), "application/vnd.ogc.sld+xml"); status != http.StatusCreated {
		t.Fatal(status)
	}
	pubBody, _ := json.Marshal(map[string]any{"name": "alice-deps", "dataset": ds, "styles": []string{"red"}})
	status, pub := call(t, p.base, alice, http.MethodPost, "/api/v1/publications", bytes.NewReader(pubBody), "application/json")
	if status != http.StatusCreated {
		t.Fatalf("publish: %d %v", status, pub)
	}
	pid := idOf(pub)

	newBody := func() (*bytes.Reader, string) {
		b, c := form(t, nil, shapefileZip(t, t.TempDir(), "x", "code_region = '53'"))
		var buf bytes.Buffer
		_, _ = buf.ReadFrom(b)
		return bytes.NewReader(buf.Bytes()), c
	}
	pubJSON, _ := json.Marshal(map[string]any{"name": "alice-deps", "dataset": ds})
	routes := []struct {
		method, path string
		body         func() (*bytes.Reader, string)
	}{
		{http.MethodGet, fmt.Sprintf("/api/v1/datasets/%d", ds), nil},
		{http.MethodDelete, fmt.Sprintf("/api/v1/datasets/%d", ds), nil},
		{http.MethodPost, fmt.Sprintf("/api/v1/datasets/%d/versions", ds), newBody},
		{http.MethodGet, fmt.Sprintf("/api/v1/jobs/%d", job), nil},
		{http.MethodGet, "/api/v1/styles/red", nil},
		{http.MethodDelete, "/api/v1/styles/red", nil},
		{http.MethodGet, fmt.Sprintf("/api/v1/publications/%d", pid), nil},
		{http.MethodPut, fmt.Sprintf("/api/v1/publications/%d", pid), func() (*bytes.Reader, string) { return bytes.NewReader(pubJSON), "application/json" }},
		{http.MethodDelete, fmt.Sprintf("/api/v1/publications/%d", pid), nil},
	}
	for _, rt := range routes {
		t.Run("bob "+rt.method+" "+rt.path, func(t *testing.T) {
			var b *bytes.Reader
			ct := ""
			if rt.body != nil {
				b, ct = rt.body()
			} else {
				b = bytes.NewReader(nil)
			}
			if status, v := call(t, p.base, bob, rt.method, rt.path, b, ct); status != http.StatusNotFound {
				t.Errorf("bob: %d %v, want 404", status, v)
			}
			b.Seek(0, 0) //nolint:errcheck
			if status, _ := call(t, p.base, "", rt.method, rt.path, b, ct); status != http.StatusUnauthorized {
				t.Errorf("no token: %d, want 401", status)
			}
			b.Seek(0, 0) //nolint:errcheck
			if status, _ := call(t, p.base, "tuiles_forged", rt.method, rt.path, b, ct); status != http.StatusUnauthorized {
				t.Errorf("a forged token: %d, want 401", status)
			}
		})
	}
	// Bob's lists hold nothing of Alice's; Bob's own style of the same
	// name is his.
	for _, list := range []string{"datasets", "jobs", "styles", "publications"} {
		status, v := call(t, p.base, bob, http.MethodGet, "/api/v1/"+list, nil, "")
		if items, _ := v[list].([]any); status != http.StatusOK || len(items) != 0 {
			t.Errorf("bob's %s: %d %v", list, status, v)
		}
	}
	if status, _ := call(t, p.base, bob, http.MethodPut, "/api/v1/styles/red", strings.NewReader(redSLD), "application/vnd.ogc.sld+xml"); status != http.StatusCreated {
		t.Errorf("bob's own red style: %d", status)
	}
	// Bob cannot publish Alice's dataset under his name either.
	steal, _ := json.Marshal(map[string]any{"name": "stolen", "dataset": ds})
	if status, v := call(t, p.base, bob, http.MethodPost, "/api/v1/publications", bytes.NewReader(steal), "application/json"); status != http.StatusNotFound {
		t.Errorf("bob publishes alice's dataset: %d %v", status, v)
	}
	// Everything of Alice's is intact.
	if status, _ := call(t, p.base, alice, http.MethodGet, fmt.Sprintf("/api/v1/publications/%d", pid), nil, ""); status != http.StatusOK {
		t.Errorf("alice's publication after bob's attempts: %d", status)
	}
	if status, _, _ := fetch(t, http.MethodGet, p.base+"/tiles/alice-deps/WebMercatorQuad/8/125/88.png", "", nil); status != http.StatusOK {
		t.Errorf("alice's layer after bob's attempts: %d", status)
	}
	if strings.Contains(p.logs.String(), alice) || strings.Contains(p.logs.String(), bob) {
		t.Error("a token reached the log")
	}
}

// Hostile uploads are refused, and a failed job leaves no dataset
// version and no data behind.
func TestProducerUploadSafety(t *testing.T) {
	dir := t.TempDir()
	// Uploads of 4 MiB at most: archives may unpack to ten times that.
	p, cfg := producerServer(t, dir, ", max_upload_bytes: 4194304")
	token := newToken(t, cfg, "alice", "")
	zipOf := func(name string, entries func(zw *zip.Writer)) string {
		path := filepath.Join(dir, name)
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		zw := zip.NewWriter(f)
		entries(zw)
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
		f.Close()
		return path
	}
	slip := zipOf("slip.zip", func(zw *zip.Writer) {
		w, _ := zw.Create("../../escaped.geojson")
		_, _ = w.Write([]byte(`{"type":"FeatureCollection","features":[]}`))
	})
	link := zipOf("link.zip", func(zw *zip.Writer) {
		h := &zip.FileHeader{Name: "passwd.geojson"}
		h.SetMode(os.ModeSymlink | 0o777)
		w, _ := zw.CreateHeader(h)
		_, _ = w.Write([]byte("/etc/passwd"))
	})
	bomb := zipOf("bomb.zip", func(zw *zip.Writer) {
		w, _ := zw.CreateHeader(&zip.FileHeader{Name: "big.geojson", Method: zip.Deflate})
		zeros := make([]byte, 1<<20)
		for range 64 { // 64 MiB of zeros: a few hundred kB zipped
			_, _ = w.Write(zeros)
		}
	})
	cases := []struct {
		name, file string
		status     int
		want       string
	}{
		{"zip-slip", slip, http.StatusBadRequest, "leaves the archive"},
		{"symbolic link", link, http.StatusBadRequest, "link"},
		{"zip bomb", bomb, http.StatusBadRequest, "zip bomb"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body, ct := form(t, map[string]string{"name": "x" + strings.ReplaceAll(c.name, " ", "")[:4]}, c.file)
			status, v := call(t, p.base, token, http.MethodPost, "/api/v1/datasets", body, ct)
			if status != c.status || !strings.Contains(fmt.Sprint(v["error"]), c.want) {
				t.Errorf("%d %v, want %d with %q", status, v, c.status, c.want)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "escaped.geojson")); err == nil {
		t.Error("zip-slip wrote outside the upload directory")
	}
	// A mislabelled file: text named .shp. The job fails; the dataset has
	// no version and is not publishable; no table is left in the store.
	fake := filepath.Join(dir, "roads.shp")
	if err := os.WriteFile(fake, []byte("this is not a shapefile\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	body, ct := form(t, map[string]string{"name": "roads"}, fake)
	status, created := call(t, p.base, token, http.MethodPost, "/api/v1/datasets", body, ct)
	if status != http.StatusAccepted {
		t.Fatalf("upload: %d %v", status, created)
	}
	j := waitJob(t, p.base, token, created["job"])
	if j["status"] != "failed" || j["error"] == "" || strings.Contains(fmt.Sprint(j["error"]), dir) {
		t.Errorf("job of a mislabelled file: %v", j)
	}
	_, d := call(t, p.base, token, http.MethodGet, fmt.Sprintf("/api/v1/datasets/%d", idOf(created["dataset"])), nil, "")
	if d["status"] != "failed" || d["version"] != 0.0 {
		t.Errorf("dataset after a failed job: %v", d)
	}
	pub, _ := json.Marshal(map[string]any{"name": "roads", "dataset": idOf(created["dataset"])})
	if status, v := call(t, p.base, token, http.MethodPost, "/api/v1/publications", bytes.NewReader(pub), "application/json"); status != http.StatusConflict {
		t.Errorf("publishing a failed dataset: %d %v", status, v)
	}
	if _, err := os.Stat(filepath.Join(dir, "data", "store.gpkg")); err == nil {
		if out := tool(t, "ogrinfo", "-q", filepath.Join(dir, "data", "store.gpkg")); strings.Contains(out, "dataset_") {
			t.Errorf("a failed job left a table: %s", out)
		}
	}
	// An upload over the limit.
	huge := filepath.Join(dir, "huge.geojson")
	if err := os.WriteFile(huge, bytes.Repeat([]byte(" "), 5<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	body, ct = form(t, map[string]string{"name": "huge"}, huge)
	if status, v := call(t, p.base, token, http.MethodPost, "/api/v1/datasets", body, ct); status != http.StatusRequestEntityTooLarge {
		t.Errorf("a 5 MiB upload over a 4 MiB limit: %d %v", status, v)
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "data", "uploads"))
	if len(entries) != 0 {
		t.Errorf("uploads left behind: %v", entries)
	}
	// Oversized bodies: a style over the SLD limit.
	big := strings.Repeat("x", 11<<20)
	if status, _ := call(t, p.base, token, http.MethodPut, "/api/v1/styles/big", strings.NewReader(big), "application/vnd.ogc.sld+xml"); status != http.StatusRequestEntityTooLarge {
		t.Errorf("an 11 MiB style: %d", status)
	}
}
