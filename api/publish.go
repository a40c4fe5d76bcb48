package api

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"

	"github.com/tuiles/tuiles/catalog"
	"github.com/tuiles/tuiles/ogc/ows"
	"github.com/tuiles/tuiles/producer"
	"github.com/tuiles/tuiles/styles"
	"github.com/tuiles/tuiles/tiling"
)

func (h *Handler) getStyle(w http.ResponseWriter, r *http.Request, a producer.Actor) error {
	s, err := h.o.Catalog.StyleNamed(r.Context(), a, r.PathValue("name"))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/vnd.ogc.sld+xml")
	_, _ = w.Write(s.SLD)
	return nil
}

// putStyle creates or replaces a style from an SLD body, refused with its
// located errors when it does not parse. A replaced style used by
// publications takes effect on them at once.
func (h *Handler) putStyle(w http.ResponseWriter, r *http.Request, a producer.Actor) error {
	name := r.PathValue("name")
	if !producer.ValidName(name) {
		return badf("style name %q: want a letter then letters, digits, '_' or '-' (at most 64)", name)
	}
	sld, err := io.ReadAll(http.MaxBytesReader(w, r.Body, styles.MaxInputSize))
	if err != nil {
		return wrapBodyErr(err)
	}
	if _, err := styles.Parse(name+".sld", sld); err != nil {
		return badf("%v", err)
	}
	s, created, err := h.o.Catalog.PutStyle(r.Context(), a, name, sld)
	if err != nil {
		return err
	}
	if !created {
		if err := h.changed(r); err != nil {
			return err
		}
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	writeJSON(w, status, s)
	return nil
}

func (h *Handler) deleteStyle(w http.ResponseWriter, r *http.Request, a producer.Actor) error {
	s, err := h.o.Catalog.StyleNamed(r.Context(), a, r.PathValue("name"))
	if err != nil {
		return err
	}
	if err := h.o.Catalog.DeleteStyle(r.Context(), a, s.ID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// publicationRequest is the body of POST and PUT /publications.
type publicationRequest struct {
	Name    string `json:"name"`
	Dataset int64  `json:"dataset"`
	producer.Spec
	Styles []string `json:"styles,omitempty"`
	// NewAccessKey makes a new access key for a restricted layer (the old
	// one stops working).
	NewAccessKey bool `json:"new_access_key,omitempty"`
}

// publicationAnswer is a publication with its service URLs, and its
// access key when one was just made (shown this once).
type publicationAnswer struct {
	producer.Publication
	AccessKey string            `json:"access_key,omitempty"`
	URLs      map[string]string `json:"urls"`
}

// newAccessKey makes a restricted layer's key (shown once) and the hash
// the layer keeps.
func newAccessKey() (key, hash string, err error) {
	if key, err = producer.NewSecret("key_"); err != nil {
		return "", "", err
	}
	return key, catalog.HashAccessKey(key), nil
}

func (h *Handler) answer(r *http.Request, p producer.Publication, key string) publicationAnswer {
	base := ows.BaseURL(r, h.o.PublicURL)
	q := ""
	if p.Restricted {
		q = "apikey=KEY&"
	}
	urls := map[string]string{}
	for _, s := range p.Services {
		switch s {
		case "wms":
			urls["wms"] = base + "/wms?" + q + "SERVICE=WMS&REQUEST=GetCapabilities"
		case "wfs":
			urls["wfs"] = base + "/wfs?" + q + "SERVICE=WFS&REQUEST=GetCapabilities"
		case "wmts":
			urls["wmts"] = base + "/wmts?" + q + "SERVICE=WMTS&REQUEST=GetCapabilities"
		case "tms":
			urls["tms"] = base + "/tms/1.0.0/" + p.Name + "/" + p.TileMatrixSets[0]
		case "xyz":
			urls["tilejson"] = base + "/tiles/" + p.Name + "/" + p.TileMatrixSets[0] + "/tiles.json"
		}
	}
	return publicationAnswer{Publication: p, AccessKey: key, URLs: urls}
}

// check completes and checks a publication request against its dataset.
func (h *Handler) check(r *http.Request, a producer.Actor, req *publicationRequest) (producer.Dataset, []int64, error) {
	if !producer.ValidName(req.Name) {
		return producer.Dataset{}, nil, badf("name %q: the layer's name, a letter then letters, digits, '_' or '-' (at most 64)", req.Name)
	}
	d, err := h.o.Catalog.Dataset(r.Context(), a, req.Dataset)
	if err != nil {
		return producer.Dataset{}, nil, err
	}
	offered := []string{"wms", "wmts", "tms", "xyz"}
	if d.Kind == producer.Vector {
		offered = append(offered, "wfs")
	}
	if len(req.Services) == 0 {
		req.Services = offered
	}
	for _, s := range req.Services {
		if !slices.Contains(offered, s) {
			return producer.Dataset{}, nil, badf("service %q: a %s dataset is published on %v", s, d.Kind, offered)
		}
	}
	if len(req.TileMatrixSets) == 0 {
		req.TileMatrixSets = []string{"WebMercatorQuad"}
	}
	for _, id := range req.TileMatrixSets {
		if _, err := tiling.Builtin(id); err != nil {
			return producer.Dataset{}, nil, badf("tile matrix set %q: %v", id, err)
		}
	}
	switch req.Format {
	case "":
		req.Format = "png"
	case "png", "jpeg":
	case "pbf":
		if d.Kind != producer.Vector {
			return producer.Dataset{}, nil, badf("format pbf (vector tiles) is for vector datasets")
		}
	default:
		return producer.Dataset{}, nil, badf("format %q: want png, jpeg or pbf", req.Format)
	}
	if req.MaxZoom != nil && (*req.MaxZoom < 0 || *req.MaxZoom > 20) {
		return producer.Dataset{}, nil, badf("max_zoom %d: want 0 to 20", *req.MaxZoom)
	}
	if z := req.SeedMaxZoom; z != nil && (*z < 0 || *z > 14 || (req.MaxZoom != nil && *z > *req.MaxZoom)) {
		return producer.Dataset{}, nil, badf("seed_max_zoom %d: want 0 to 14, at most max_zoom", *z)
	}
	var ids []int64
	for _, name := range req.Styles {
		s, err := h.o.Catalog.StyleNamed(r.Context(), a, name)
		if err != nil {
			if errors.Is(err, producer.ErrNotFound) {
				return producer.Dataset{}, nil, badf("style %q: you have no such style (PUT /api/v1/styles/%s first)", name, name)
			}
			return producer.Dataset{}, nil, err
		}
		ids = append(ids, s.ID)
	}
	return d, ids, nil
}

func (h *Handler) createPublication(w http.ResponseWriter, r *http.Request, a producer.Actor) error {
	var req publicationRequest
	if err := readJSON(r, &req); err != nil {
		return err
	}
	_, styleIDs, err := h.check(r, a, &req)
	if err != nil {
		return err
	}
	p := producer.Publication{Name: req.Name, DatasetID: req.Dataset, Spec: req.Spec}
	key := ""
	if req.Restricted {
		if key, p.AccessKeyHash, err = newAccessKey(); err != nil {
			return err
		}
	}
	p, err = h.o.Catalog.Publish(r.Context(), a, p, styleIDs)
	if err != nil {
		return err
	}
	if err := h.changed(r); err != nil {
		// Not published after all: leave no half-made layer.
		if _, uerr := h.o.Catalog.Unpublish(r.Context(), a, p.ID); uerr == nil {
			_ = h.changed(r)
		}
		return badf("the layer could not be published: %v", err)
	}
	writeJSON(w, http.StatusCreated, h.answer(r, p, key))
	return nil
}

func (h *Handler) updatePublication(w http.ResponseWriter, r *http.Request, a producer.Actor) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	old, err := h.o.Catalog.Publication(r.Context(), a, id)
	if err != nil {
		return err
	}
	var req publicationRequest
	if err := readJSON(r, &req); err != nil {
		return err
	}
	_, styleIDs, err := h.check(r, a, &req)
	if err != nil {
		return err
	}
	p := producer.Publication{ID: id, Name: old.Name, DatasetID: req.Dataset, Spec: req.Spec, AccessKeyHash: old.AccessKeyHash}
	if req.Name != old.Name {
		return badf("a publication keeps its name (%q): unpublish and publish again to rename", old.Name)
	}
	key := ""
	switch {
	case !req.Restricted:
		p.AccessKeyHash = ""
	case req.NewAccessKey || old.AccessKeyHash == "":
		if key, p.AccessKeyHash, err = newAccessKey(); err != nil {
			return err
		}
	}
	p, err = h.o.Catalog.Publish(r.Context(), a, p, styleIDs)
	if err != nil {
		return err
	}
	if err := h.changed(r); err != nil {
		return fmt.Errorf("the change is recorded but could not be applied: %w", err)
	}
	writeJSON(w, http.StatusOK, h.answer(r, p, key))
	return nil
}

func (h *Handler) listPublications(w http.ResponseWriter, r *http.Request, a producer.Actor) error {
	ps, err := h.o.Catalog.Publications(r.Context(), a)
	if err != nil {
		return err
	}
	out := make([]publicationAnswer, len(ps))
	for i, p := range ps {
		out[i] = h.answer(r, p, "")
	}
	writeJSON(w, http.StatusOK, map[string]any{"publications": out})
	return nil
}

func (h *Handler) getPublication(w http.ResponseWriter, r *http.Request, a producer.Actor) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	p, err := h.o.Catalog.Publication(r.Context(), a, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, h.answer(r, p, ""))
	return nil
}

func (h *Handler) deletePublication(w http.ResponseWriter, r *http.Request, a producer.Actor) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	p, err := h.o.Catalog.Unpublish(r.Context(), a, id)
	if err != nil {
		return err
	}
	if err := h.changed(r); err != nil {
		return err
	}
	// Its rendered tiles go too: a layer published again under the same
	// name starts from an empty cache. The old build may still be
	// finishing requests; an open file outlives its name.
	for _, set := range p.TileMatrixSets {
		path := filepath.Join(h.o.DataDir, "cache", p.Name+"-"+set+".mbtiles")
		for _, suffix := range []string{"", "-wal", "-shm"} {
			_ = os.Remove(path + suffix)
		}
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// changed applies a change of what is published.
func (h *Handler) changed(r *http.Request) error {
	if h.o.Changed == nil {
		return nil
	}
	return h.o.Changed(r.Context())
}
