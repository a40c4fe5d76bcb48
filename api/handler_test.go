package api

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/tuiles/tuiles/producer"
)

// Bad requests get 400 (or 401, 404) with a JSON error saying what is
// wrong, before anything is stored.
func TestBadRequests(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	cat, err := producer.Open(ctx, filepath.Join(dir, "producer.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer cat.Close()
	token, _, err := cat.CreateToken(ctx, "alice", "", "")
	if err != nil {
		t.Fatal(err)
	}
	a, _ := cat.Authenticate(ctx, token)
	d, j, _ := cat.CreateDataset(ctx, a, "roads", producer.Vector)
	_ = cat.StartJob(ctx, j.ID)
	if _, err := cat.FinishJob(ctx, j.ID, producer.Version{Location: "dataset_1"}, nil); err != nil {
		t.Fatal(err)
	}
	o := Options{Catalog: cat, DataDir: dir, MaxUploadBytes: 1 << 20}
	h := NewHandler(o, NewRunner(o))
	pub := func(body string) string {
		return strings.ReplaceAll(body, "DS", strconv.FormatInt(d.ID, 10))
	}
	for _, tc := range []struct {
		name, method, path, body, contentType string
		noToken                               bool
		status                                int
		want                                  string
	}{
		{"no token", "GET", "/api/v1/datasets", "", "", true, 401, "needs a token"},
		{"unknown route", "GET", "/api/v1/nothing", "", "", false, 404, "no such API resource"},
		{"id not a number", "GET", "/api/v1/datasets/abc", "", "", false, 400, `"abc" is not an id`},
		{"malformed JSON", "POST", "/api/v1/publications", "{", "application/json", false, 400, "the JSON body"},
		{"unknown field", "POST", "/api/v1/publications", `{"name":"x","dataset":DS,"colour":"red"}`, "application/json", false, 400, "unknown field"},
		{"bad layer name", "POST", "/api/v1/publications", `{"name":"1 bad","dataset":DS}`, "application/json", false, 400, "name"},
		{"service not offered", "POST", "/api/v1/publications", `{"name":"x","dataset":DS,"services":["wcs"]}`, "application/json", false, 400, `service "wcs"`},
		{"bad format", "POST", "/api/v1/publications", `{"name":"x","dataset":DS,"format":"gif"}`, "application/json", false, 400, `format "gif"`},
		{"bad zoom", "POST", "/api/v1/publications", `{"name":"x","dataset":DS,"max_zoom":40}`, "application/json", false, 400, "max_zoom 40"},
		{"unknown style", "POST", "/api/v1/publications", `{"name":"x","dataset":DS,"styles":["nope"]}`, "application/json", false, 400, `style "nope"`},
		{"unknown tile matrix set", "POST", "/api/v1/publications", `{"name":"x","dataset":DS,"tile_matrix_sets":["Nope"]}`, "application/json", false, 400, `tile matrix set "Nope"`},
		{"upload without a file name", "POST", "/api/v1/datasets?name=x", "{}", "application/geo+json", false, 400, "has no name"},
		{"upload with a path", "POST", "/api/v1/datasets?name=x&filename=../x.geojson", "{}", "application/geo+json", false, 400, "plain name"},
		{"upload without a dataset name", "POST", "/api/v1/datasets?filename=x.geojson", "{}", "application/geo+json", false, 400, "give the dataset a name"},
		{"upload of no data file", "POST", "/api/v1/datasets?name=x&filename=notes.txt", "hello", "text/plain", false, 400, "no data file"},
		{"multipart without files", "POST", "/api/v1/datasets", "--b\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nx\r\n--b--\r\n", "multipart/form-data; boundary=b", false, 400, "no file in the upload"},
		{"invalid style", "PUT", "/api/v1/styles/s", "<nope", "application/vnd.ogc.sld+xml", false, 400, "s.sld"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(tc.method, tc.path, strings.NewReader(pub(tc.body)))
			if tc.contentType != "" {
				req.Header.Set("Content-Type", tc.contentType)
			}
			if !tc.noToken {
				req.Header.Set("Authorization", "Bearer "+token)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			var body struct{ Error string }
			_ = json.Unmarshal(w.Body.Bytes(), &body)
			if w.Code != tc.status || !strings.Contains(body.Error, tc.want) {
				t.Errorf("%d %s; want %d with %q", w.Code, w.Body.String(), tc.status, tc.want)
			}
		})
	}
	if ps, _ := cat.Publications(ctx, a); len(ps) != 0 {
		t.Errorf("bad requests published %d layers", len(ps))
	}
	if ds, _ := cat.Datasets(ctx, a); len(ds) != 1 {
		t.Errorf("bad uploads made datasets: %d", len(ds))
	}
}
