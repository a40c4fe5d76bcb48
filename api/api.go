// Package api serves the producer API under /api/v1: producers, identified
// by API tokens, upload vector and raster data as datasets (processed by
// jobs), manage SLD styles, and publish datasets as layers of the server's
// services, with no restart. JSON in and out; the OpenAPI document is at
// /api/v1/openapi.json.
package api

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/tuiles/tuiles/producer"
)

// Prefix is where the API is mounted.
const Prefix = "/api/v1/"

// DefaultMaxUploadBytes bounds one upload (all its files together).
const DefaultMaxUploadBytes = 1 << 30

// Options configure the API.
type Options struct {
	// Catalog holds producers, tokens, datasets, styles, publications and
	// jobs.
	Catalog *producer.Catalog
	// DataDir holds the producer store (store.gpkg), converted rasters
	// (rasters/), style files (styles/), rendered caches (cache/) and
	// uploads being processed (uploads/).
	DataDir string
	// PublicURL is the server's base URL for the service URLs answered;
	// empty means it is rebuilt from each request (see ows.BaseURL).
	PublicURL string
	// MaxUploadBytes bounds one upload; 0 means DefaultMaxUploadBytes.
	// Unzipped archives may hold at most ten times as much.
	MaxUploadBytes int64
	// Changed is called after a change of what is published (a
	// publication made, changed or removed, a published dataset's new
	// version): it rebuilds the server's catalog, and the change is live
	// when it returns.
	Changed func(ctx context.Context) error
	Logger  *slog.Logger
}

// Handler is the API's HTTP handler, to mount at Prefix.
type Handler struct {
	o    Options
	mux  *http.ServeMux
	jobs *Runner
}

// NewHandler returns the API handler; jobs process the uploads.
func NewHandler(o Options, jobs *Runner) *Handler {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.MaxUploadBytes <= 0 {
		o.MaxUploadBytes = DefaultMaxUploadBytes
	}
	h := &Handler{o: o, mux: http.NewServeMux(), jobs: jobs}
	h.mux.HandleFunc("GET /api/v1/openapi.json", h.openAPI)
	h.route("GET /api/v1/me", h.me)
	h.route("GET /api/v1/datasets", list("datasets", o.Catalog.Datasets))
	h.route("POST /api/v1/datasets", h.createDataset)
	h.route("GET /api/v1/datasets/{id}", one(o.Catalog.Dataset))
	h.route("POST /api/v1/datasets/{id}/versions", h.newVersion)
	h.route("DELETE /api/v1/datasets/{id}", h.deleteDataset)
	h.route("GET /api/v1/jobs", list("jobs", o.Catalog.Jobs))
	h.route("GET /api/v1/jobs/{id}", one(o.Catalog.Job))
	h.route("GET /api/v1/styles", list("styles", o.Catalog.Styles))
	h.route("GET /api/v1/styles/{name}", h.getStyle)
	h.route("PUT /api/v1/styles/{name}", h.putStyle)
	h.route("DELETE /api/v1/styles/{name}", h.deleteStyle)
	h.route("GET /api/v1/publications", h.listPublications)
	h.route("POST /api/v1/publications", h.createPublication)
	h.route("GET /api/v1/publications/{id}", h.getPublication)
	h.route("PUT /api/v1/publications/{id}", h.updatePublication)
	h.route("DELETE /api/v1/publications/{id}", h.deletePublication)
	h.mux.HandleFunc("/api/v1/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no such API resource: %s %s", r.Method, r.URL.Path)
	})
	return h
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mux.ServeHTTP(w, r)
}

// list answers {key: [...]} with the objects fn lists for the actor.
func list[T any](key string, fn func(context.Context, producer.Actor) ([]T, error)) apiFunc {
	return func(w http.ResponseWriter, r *http.Request, a producer.Actor) error {
		v, err := fn(r.Context(), a)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, map[string]any{key: v})
		return nil
	}
}

// one answers the object of the route's {id} that fn finds for the actor.
func one[T any](fn func(context.Context, producer.Actor, int64) (T, error)) apiFunc {
	return func(w http.ResponseWriter, r *http.Request, a producer.Actor) error {
		id, err := pathID(r)
		if err != nil {
			return err
		}
		v, err := fn(r.Context(), a, id)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, v)
		return nil
	}
}

// apiFunc is a handler of an authenticated route.
type apiFunc func(w http.ResponseWriter, r *http.Request, a producer.Actor) error

// route registers an authenticated route: the bearer token names the
// actor; errors are answered as JSON with the status their kind calls for.
func (h *Handler) route(pattern string, f apiFunc) {
	h.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		a, err := h.authenticate(r)
		if err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="tuiles"`)
			writeError(w, http.StatusUnauthorized, "%v", err)
			return
		}
		if err := f(w, r, a); err != nil {
			h.fail(w, r, err)
		}
	})
}

func (h *Handler) authenticate(r *http.Request) (producer.Actor, error) {
	auth := r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(auth, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return producer.Actor{}, errors.New("this API needs a token: Authorization: Bearer TOKEN (tuiles token create)")
	}
	a, err := h.o.Catalog.Authenticate(r.Context(), strings.TrimSpace(token))
	if err != nil {
		return producer.Actor{}, err
	}
	return a, nil
}

// badRequest marks an error of the request itself.
type badRequest struct{ msg string }

func (e badRequest) Error() string { return e.msg }

func badf(format string, args ...any) error { return badRequest{fmt.Sprintf(format, args...)} }

// tooLarge marks an upload over the limits.
type tooLarge struct{ msg string }

func (e tooLarge) Error() string { return e.msg }

func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	var bad badRequest
	var large tooLarge
	var maxBytes *http.MaxBytesError
	switch {
	case errors.As(err, &bad):
		writeError(w, http.StatusBadRequest, "%s", bad.msg)
	case errors.As(err, &large):
		writeError(w, http.StatusRequestEntityTooLarge, "%s", large.msg)
	case errors.As(err, &maxBytes):
		writeError(w, http.StatusRequestEntityTooLarge, "the upload is larger than %d bytes", maxBytes.Limit)
	case errors.Is(err, producer.ErrNotFound):
		writeError(w, http.StatusNotFound, "%v", err)
	case errors.Is(err, producer.ErrConflict), errors.Is(err, producer.ErrInUse):
		writeError(w, http.StatusConflict, "%v", err)
	default:
		h.o.Logger.Error("api request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		writeError(w, http.StatusInternalServerError, "internal error: %v", err)
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func writeError(w http.ResponseWriter, status int, format string, args ...any) {
	writeJSON(w, status, map[string]string{"error": fmt.Sprintf(format, args...)})
}

// pathID reads the {id} of a route.
func pathID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, badf("%q is not an id", r.PathValue("id"))
	}
	return id, nil
}

// readJSON decodes a small JSON body strictly.
func readJSON(r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return badf("the JSON body: %v", err)
	}
	return nil
}

func (h *Handler) me(w http.ResponseWriter, r *http.Request, a producer.Actor) error {
	writeJSON(w, http.StatusOK, map[string]any{"producer": a.Name, "community": a.Community})
	return nil
}

//go:embed openapi.json
var openAPIDoc []byte

func (h *Handler) openAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(openAPIDoc)
}

// paths inside DataDir.
func (h *Handler) uploadDir(job int64) string {
	return filepath.Join(h.o.DataDir, "uploads", "job-"+strconv.FormatInt(job, 10))
}

// ensureDirs makes the data directory's layout.
func ensureDirs(dataDir string) error {
	for _, d := range []string{"uploads", "rasters", "styles", "cache"} {
		if err := os.MkdirAll(filepath.Join(dataDir, d), 0o755); err != nil {
			return err
		}
	}
	return nil
}
