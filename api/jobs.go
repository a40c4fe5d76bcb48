package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/tuiles/tuiles/internal/crs"
	"github.com/tuiles/tuiles/internal/gdal"
	"github.com/tuiles/tuiles/producer"
	"github.com/tuiles/tuiles/store"
	"github.com/tuiles/tuiles/store/ingest"
)

// jobSpec is what an upload asks of its job, kept beside its files.
type jobSpec struct {
	Main        string `json:"main"` // the data file, relative to the job's directory
	Kind        string `json:"kind"`
	SourceLayer string `json:"source_layer,omitempty"`
	SRS         string `json:"srs,omitempty"`
	SourceSRS   string `json:"source_srs,omitempty"`
}

const jobSpecFile = "job.json"

func writeJobSpec(dir string, s jobSpec) error {
	b, err := json.Marshal(s)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, jobSpecFile), b, 0o644)
}

// Runner processes upload jobs one at a time, in order: vector data is
// imported into the producer store (a new version replaces the old one in
// one transaction), rasters are converted to cloud-optimised GeoTIFFs. A
// failed job leaves the dataset as it was.
type Runner struct {
	o    Options
	wake chan struct{}
}

// NewRunner returns a runner; Run starts it.
func NewRunner(o Options) *Runner {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Runner{o: o, wake: make(chan struct{}, 1)}
}

// Wake tells the runner a job is queued.
func (r *Runner) Wake() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Run processes jobs until ctx is cancelled. Jobs a previous run left
// running start again: their work was a transaction or a temporary file.
func (r *Runner) Run(ctx context.Context) {
	if err := ensureDirs(r.o.DataDir); err != nil {
		r.o.Logger.Error("producer data directory", "dir", r.o.DataDir, "err", err)
	}
	if err := r.o.Catalog.ResumeJobs(ctx); err != nil {
		r.o.Logger.Error("resuming jobs", "err", err)
	}
	for {
		jobs, err := r.o.Catalog.PendingJobs(ctx)
		if err != nil && ctx.Err() == nil {
			r.o.Logger.Error("listing jobs", "err", err)
		}
		for _, j := range jobs {
			if ctx.Err() != nil {
				return
			}
			r.process(ctx, j)
		}
		select {
		case <-ctx.Done():
			return
		case <-r.wake:
		}
	}
}

// process runs one job and records its end.
func (r *Runner) process(ctx context.Context, j producer.Job) {
	dir := filepath.Join(r.o.DataDir, "uploads", "job-"+strconv.FormatInt(j.ID, 10))
	log := r.o.Logger.With("job", j.ID, "dataset", j.DatasetID)
	if err := r.o.Catalog.StartJob(ctx, j.ID); err != nil {
		log.Error("starting a job", "err", err)
		return
	}
	d, err := r.o.Catalog.DatasetOf(ctx, j)
	var v producer.Version
	if err == nil {
		v, err = r.run(ctx, j, d, dir)
	}
	if ctx.Err() != nil {
		return // stopped: the job runs again at the next start
	}
	if err != nil {
		log.Info("job failed", "err", err)
	}
	finished, ferr := r.o.Catalog.FinishJob(context.WithoutCancel(ctx), j.ID, v, err)
	_ = os.RemoveAll(dir)
	if ferr != nil {
		log.Error("recording a job's end", "err", ferr)
		return
	}
	if err != nil {
		return
	}
	// A new version of a dataset that may be published: rebuild, so that
	// the services serve it (rendered caches of it are emptied then). The
	// job succeeds once that is done: a client that saw it succeed gets
	// the new data.
	if finished.Version > 1 && r.o.Changed != nil {
		if err := r.o.Changed(context.WithoutCancel(ctx)); err != nil {
			log.Error("publishing the new version", "err", err)
			r.progress(ctx, j, 1, "the new version could not be published: %v", err)
		}
	}
	if err := r.o.Catalog.SucceedJob(context.WithoutCancel(ctx), j.ID); err != nil {
		log.Error("recording a job's end", "err", err)
	}
	if d.Kind == producer.Raster && d.Location != "" && d.Location != finished.Location {
		_ = os.Remove(d.Location)
	}
}

func (r *Runner) progress(ctx context.Context, j producer.Job, p float64, format string, args ...any) {
	line := ""
	if format != "" {
		line = fmt.Sprintf(format, args...)
	}
	if err := r.o.Catalog.JobProgress(context.WithoutCancel(ctx), j.ID, p, line); err != nil {
		r.o.Logger.Error("recording a job's progress", "job", j.ID, "err", err)
	}
}

func (r *Runner) run(ctx context.Context, j producer.Job, d producer.Dataset, dir string) (producer.Version, error) {
	b, err := os.ReadFile(filepath.Join(dir, jobSpecFile))
	if err != nil {
		return producer.Version{}, fmt.Errorf("the upload's files are gone (%v): upload again", err)
	}
	var spec jobSpec
	if err := json.Unmarshal(b, &spec); err != nil {
		return producer.Version{}, err
	}
	main := filepath.Join(dir, spec.Main)
	r.progress(ctx, j, 0, "processing %s (%s)", filepath.Base(main), spec.Kind)
	if spec.Kind == producer.Raster {
		return r.raster(ctx, j, d, main)
	}
	return r.vector(ctx, j, d, main, spec)
}

// tableOf is the store table of a dataset.
func tableOf(d producer.Dataset) string { return "dataset_" + strconv.FormatInt(d.ID, 10) }

func (r *Runner) vector(ctx context.Context, j producer.Job, d producer.Dataset, main string, spec jobSpec) (producer.Version, error) {
	storePath := filepath.Join(r.o.DataDir, "store.gpkg")
	res, err := ingest.Run(ctx, ingest.Options{
		Source: main, SourceLayer: spec.SourceLayer,
		Into: storePath, Layer: tableOf(d), Title: d.Name, Mode: store.Replace,
		SRS: spec.SRS, SourceSRS: spec.SourceSRS,
		Hints: ingest.Hints{SourceLayer: "the source_layer field", SourceSRS: "the source_srs field", SRS: "the srs field",
			Exists: "internal: the table exists", Reject: "invalid geometries rejected"},
		Logger: r.o.Logger,
		Progress: func(done, total int64) {
			if done%5000 == 0 && total > 0 {
				r.progress(ctx, j, float64(done)/float64(total), "")
			}
		},
	})
	if err != nil {
		return producer.Version{}, relative(err, filepath.Dir(main))
	}
	r.progress(ctx, j, 1, "imported %d features", res.Written)
	if res.Invalid > 0 {
		r.progress(ctx, j, 1, "%d invalid geometries imported as they are; source ids: %v", res.Invalid, res.InvalidFIDs)
	}
	st, err := store.Open(ctx, storePath, store.Options{ReadOnly: true})
	if err != nil {
		return producer.Version{}, err
	}
	defer st.Close()
	l, err := st.Layer(res.Layer)
	if err != nil {
		return producer.Version{}, err
	}
	return producer.Version{Location: res.Layer, CRS: l.CRS.String(), Features: res.Written, Bounds: wgs84(l.CRS, l.Extent)}, nil
}

func (r *Runner) raster(ctx context.Context, j producer.Job, d producer.Dataset, main string) (producer.Version, error) {
	src, err := gdal.OpenRaster(ctx, main)
	if err != nil {
		return producer.Version{}, relative(err, filepath.Dir(main))
	}
	defer src.Close()
	info := src.Info()
	if info.SRS.Authority == "" {
		return producer.Version{}, fmt.Errorf("%s has no CRS GDAL can identify by an EPSG code: give the raster one (gdal_edit.py -a_srs EPSG:…) and upload it again", filepath.Base(main))
	}
	c := crs.CRS{Authority: info.SRS.Authority, Code: info.SRS.Code}
	dst := filepath.Join(r.o.DataDir, "rasters", fmt.Sprintf("dataset_%d-job_%d.tif", d.ID, j.ID))
	r.progress(ctx, j, 0.1, "converting to a cloud-optimised GeoTIFF with overviews (%d×%d, %d band(s), %s)", info.Width, info.Height, info.Bands, c)
	if err := src.WriteCOG(ctx, dst); err != nil {
		return producer.Version{}, relative(err, filepath.Dir(main))
	}
	b := info.Bounds
	r.progress(ctx, j, 1, "converted")
	return producer.Version{Location: dst, CRS: c.String(), Bounds: wgs84(c, crs.Bounds{MinX: b[0], MinY: b[1], MaxX: b[2], MaxY: b[3]})}, nil
}

// removeData deletes a dataset's data: its store table or raster file.
func (r *Runner) removeData(ctx context.Context, d producer.Dataset) error {
	if d.Location == "" {
		return nil
	}
	if d.Kind == producer.Raster {
		return os.Remove(d.Location)
	}
	st, err := store.Open(ctx, filepath.Join(r.o.DataDir, "store.gpkg"), store.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.Drop(ctx, d.Location); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return nil
}

// wgs84 is an extent in longitude/latitude, or nil when it cannot tell.
func wgs84(c crs.CRS, b crs.Bounds) *[4]float64 {
	w, err := crs.ToWGS84(c, b)
	if err != nil {
		return nil
	}
	return &[4]float64{w.MinX, w.MinY, w.MaxX, w.MaxY}
}

// relative shortens the upload directory out of error messages: the
// producer knows its files by their names, and the server's paths are
// none of its business.
func relative(err error, dir string) error {
	return errors.New(strings.ReplaceAll(err.Error(), dir+string(filepath.Separator), ""))
}
