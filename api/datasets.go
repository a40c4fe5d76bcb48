package api

import (
	"errors"
	"net/http"
	"os"
	"path/filepath"

	"github.com/tuiles/tuiles/producer"
)

// stage receives an upload into a fresh directory and finds its data
// file. A bad upload (no file, zip-slip, links, a bomb) is refused here,
// before any dataset exists.
func (h *Handler) stage(w http.ResponseWriter, r *http.Request) (dir string, fields map[string]string, in datasetInput, err error) {
	uploads := filepath.Join(h.o.DataDir, "uploads")
	if err := os.MkdirAll(uploads, 0o755); err != nil {
		return "", nil, datasetInput{}, err
	}
	staged, err := os.MkdirTemp(uploads, "incoming-")
	if err != nil {
		return "", nil, datasetInput{}, err
	}
	dir = staged
	defer func() {
		if err != nil {
			_ = os.RemoveAll(staged) // dir is "" by then
		}
	}()
	fields, err = h.receive(w, r, dir)
	if err != nil {
		return "", nil, datasetInput{}, err
	}
	in, err = mainFile(r.Context(), dir, maxZipRatio*h.o.MaxUploadBytes)
	if err != nil {
		var bad badRequest
		if !errors.As(err, &bad) {
			err = badf("%v", err)
		}
		return "", nil, datasetInput{}, err
	}
	return dir, fields, in, nil
}

// hand moves a staged upload to its job's directory and wakes the runner.
func (h *Handler) hand(staged string, j producer.Job, fields map[string]string, in datasetInput) error {
	dst := h.uploadDir(j.ID)
	if err := os.Rename(staged, dst); err != nil {
		return err
	}
	rel, err := filepath.Rel(staged, in.path)
	if err != nil {
		return err
	}
	if err := writeJobSpec(dst, jobSpec{Main: rel, Kind: in.kind, SourceLayer: fields["source_layer"], SRS: fields["srs"], SourceSRS: fields["source_srs"]}); err != nil {
		return err
	}
	h.jobs.Wake()
	return nil
}

func (h *Handler) createDataset(w http.ResponseWriter, r *http.Request, a producer.Actor) error {
	staged, fields, in, err := h.stage(w, r)
	if err != nil {
		return err
	}
	defer os.RemoveAll(staged) // a no-op once handed over
	name := fields["name"]
	if !producer.ValidName(name) {
		return badf("name %q: give the dataset a name (a letter then letters, digits, '_' or '-')", name)
	}
	d, j, err := h.o.Catalog.CreateDataset(r.Context(), a, name, in.kind)
	if err != nil {
		return err
	}
	if err := h.hand(staged, j, fields, in); err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"dataset": d, "job": j})
	return nil
}

func (h *Handler) newVersion(w http.ResponseWriter, r *http.Request, a producer.Actor) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	d, err := h.o.Catalog.Dataset(r.Context(), a, id)
	if err != nil {
		return err
	}
	staged, fields, in, err := h.stage(w, r)
	if err != nil {
		return err
	}
	defer os.RemoveAll(staged)
	if in.kind != d.Kind {
		return badf("dataset %q is %s data; the upload is %s", d.Name, d.Kind, in.kind)
	}
	j, err := h.o.Catalog.NewVersion(r.Context(), a, id)
	if err != nil {
		return err
	}
	if err := h.hand(staged, j, fields, in); err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"dataset": d, "job": j})
	return nil
}

func (h *Handler) deleteDataset(w http.ResponseWriter, r *http.Request, a producer.Actor) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	d, err := h.o.Catalog.DeleteDataset(r.Context(), a, id)
	if err != nil {
		return err
	}
	if err := h.jobs.removeData(r.Context(), d); err != nil {
		h.o.Logger.Error("removing a deleted dataset's data", "dataset", d.ID, "err", err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
