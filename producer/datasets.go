package producer

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Kinds of dataset.
const (
	Vector = "vector" // imported into the producer store
	Raster = "raster" // a cloud-optimised GeoTIFF in the data directory
)

// Statuses of datasets and jobs.
const (
	StatusProcessing = "processing" // a dataset's first version is being made
	StatusReady      = "ready"      // a dataset has a version to publish
	StatusFailed     = "failed"     // a dataset's first job failed; a job failed
	StatusQueued     = "queued"
	StatusRunning    = "running"
	StatusSucceeded  = "succeeded"
)

// Dataset is data a producer uploaded, ready to publish once a job made
// its first version.
type Dataset struct {
	ID       int64  `json:"id"`
	Producer string `json:"producer"`
	Name     string `json:"name"`
	Kind     string `json:"kind"`
	Status   string `json:"status"`
	// Version counts the successful jobs: each new upload makes one.
	Version int `json:"version"`
	// Location is the store table (vector) or the file (raster) holding
	// the current version.
	Location string      `json:"-"`
	CRS      string      `json:"crs,omitempty"`
	Features int64       `json:"features,omitempty"`
	Bounds   *[4]float64 `json:"bounds,omitempty"` // WGS84 west, south, east, north
	Created  time.Time   `json:"created"`
	Updated  time.Time   `json:"updated"`
	producer int64
}

// Job is the processing of one upload into a dataset version.
type Job struct {
	ID        int64      `json:"id"`
	DatasetID int64      `json:"dataset"`
	Kind      string     `json:"kind"`
	Status    string     `json:"status"`
	Progress  float64    `json:"progress"`
	Log       []string   `json:"log"`
	Error     string     `json:"error,omitempty"`
	Created   time.Time  `json:"created"`
	Finished  *time.Time `json:"finished,omitempty"`
	producer  int64
}

// ValidName tells whether a dataset, style or publication name fits URLs,
// XML names and file names: a letter, then letters, digits, '_', '-', at
// most 64.
func ValidName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
		case i > 0 && (r >= '0' && r <= '9' || r == '_' || r == '-'):
		default:
			return false
		}
	}
	return true
}

func isUnique(err error) bool {
	return err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed")
}

// CreateDataset records a new dataset of kind with a queued job making its
// first version.
func (c *Catalog) CreateDataset(ctx context.Context, a Actor, name, kind string) (Dataset, Job, error) {
	if !ValidName(name) {
		return Dataset{}, Job{}, fmt.Errorf("dataset name %q: want a letter then letters, digits, '_' or '-' (at most 64)", name)
	}
	tx, err := c.db.BeginTx(ctx, nil)
	if err != nil {
		return Dataset{}, Job{}, err
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	t := now()
	res, err := tx.ExecContext(ctx, `INSERT INTO datasets (producer_id, name, kind, status, created, updated) VALUES (?, ?, ?, ?, ?, ?)`,
		a.ProducerID, name, kind, StatusProcessing, t, t)
	if isUnique(err) {
		return Dataset{}, Job{}, fmt.Errorf("dataset %q: %w", name, ErrConflict)
	}
	if err != nil {
		return Dataset{}, Job{}, err
	}
	id, _ := res.LastInsertId()
	j, err := insertJob(ctx, tx, a.ProducerID, id, kind, t)
	if err != nil {
		return Dataset{}, Job{}, err
	}
	if err := tx.Commit(); err != nil {
		return Dataset{}, Job{}, err
	}
	d, err := c.Dataset(ctx, a, id)
	return d, j, err
}

func insertJob(ctx context.Context, tx *sql.Tx, producerID, datasetID int64, kind, t string) (Job, error) {
	res, err := tx.ExecContext(ctx, `INSERT INTO jobs (producer_id, dataset_id, kind, status, created) VALUES (?, ?, ?, ?, ?)`,
		producerID, datasetID, kind, StatusQueued, t)
	if err != nil {
		return Job{}, err
	}
	id, _ := res.LastInsertId()
	return Job{ID: id, DatasetID: datasetID, Kind: kind, Status: StatusQueued, Log: []string{}, Created: parseTime(t), producer: producerID}, nil
}

// NewVersion queues a job making a new version of dataset id (an update
// of its data). It refuses while another job of the dataset runs.
func (c *Catalog) NewVersion(ctx context.Context, a Actor, id int64) (Job, error) {
	d, err := c.Dataset(ctx, a, id)
	if err != nil {
		return Job{}, err
	}
	tx, err := c.db.BeginTx(ctx, nil)
	if err != nil {
		return Job{}, err
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	var busy int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM jobs WHERE dataset_id = ? AND status IN (?, ?)`, id, StatusQueued, StatusRunning).Scan(&busy); err != nil {
		return Job{}, err
	}
	if busy > 0 {
		return Job{}, fmt.Errorf("dataset %q has a job under way: %w", d.Name, ErrInUse)
	}
	j, err := insertJob(ctx, tx, d.producer, id, d.Kind, now())
	if err != nil {
		return Job{}, err
	}
	return j, tx.Commit()
}

const datasetColumns = `d.id, p.name, d.name, d.kind, d.status, d.version, d.location, d.crs, d.features, d.west, d.south, d.east, d.north, d.created, d.updated, d.producer_id`

func scanDataset(row scanner) (Dataset, error) {
	var d Dataset
	var created, updated string
	var w, s, e, n sql.NullFloat64
	if err := row.Scan(&d.ID, &d.Producer, &d.Name, &d.Kind, &d.Status, &d.Version, &d.Location, &d.CRS, &d.Features, &w, &s, &e, &n, &created, &updated, &d.producer); err != nil {
		return Dataset{}, err
	}
	if w.Valid && s.Valid && e.Valid && n.Valid {
		d.Bounds = &[4]float64{w.Float64, s.Float64, e.Float64, n.Float64}
	}
	d.Created, d.Updated = parseTime(created), parseTime(updated)
	return d, nil
}

// Dataset returns dataset id if the actor may see it.
func (c *Catalog) Dataset(ctx context.Context, a Actor, id int64) (Dataset, error) {
	row := c.db.QueryRowContext(ctx, `SELECT `+datasetColumns+` FROM datasets d JOIN producers p ON p.id = d.producer_id
		WHERE d.id = ? AND d.`+visibleOwner, append([]any{id}, visibleArgs(a)...)...)
	d, err := scanDataset(row)
	if errors.Is(err, sql.ErrNoRows) {
		return Dataset{}, fmt.Errorf("dataset %d: %w", id, ErrNotFound)
	}
	return d, err
}

// Datasets lists the datasets the actor may see.
func (c *Catalog) Datasets(ctx context.Context, a Actor) ([]Dataset, error) {
	rows, err := c.db.QueryContext(ctx, `SELECT `+datasetColumns+` FROM datasets d JOIN producers p ON p.id = d.producer_id
		WHERE d.`+visibleOwner+` ORDER BY d.id`, visibleArgs(a)...)
	return collect(rows, err, scanDataset)
}

// DeleteDataset removes dataset id and returns it, so that the caller can
// remove its data. It refuses while a publication uses it or a job runs.
func (c *Catalog) DeleteDataset(ctx context.Context, a Actor, id int64) (Dataset, error) {
	d, err := c.Dataset(ctx, a, id)
	if err != nil {
		return Dataset{}, err
	}
	tx, err := c.db.BeginTx(ctx, nil)
	if err != nil {
		return Dataset{}, err
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	var pubs, busy int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM publications WHERE dataset_id = ?`, id).Scan(&pubs); err != nil {
		return Dataset{}, err
	}
	if pubs > 0 {
		return Dataset{}, fmt.Errorf("dataset %q is published (%d publication(s)): unpublish first: %w", d.Name, pubs, ErrInUse)
	}
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM jobs WHERE dataset_id = ? AND status IN (?, ?)`, id, StatusQueued, StatusRunning).Scan(&busy); err != nil {
		return Dataset{}, err
	}
	if busy > 0 {
		return Dataset{}, fmt.Errorf("dataset %q has a job under way: %w", d.Name, ErrInUse)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM jobs WHERE dataset_id = ?`, id); err != nil {
		return Dataset{}, err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM datasets WHERE id = ?`, id); err != nil {
		return Dataset{}, err
	}
	return d, tx.Commit()
}

const jobColumns = `id, dataset_id, kind, status, progress, log, error, created, finished, producer_id`

func scanJob(row scanner) (Job, error) {
	var j Job
	var log, created string
	var finished sql.NullString
	if err := row.Scan(&j.ID, &j.DatasetID, &j.Kind, &j.Status, &j.Progress, &log, &j.Error, &created, &finished, &j.producer); err != nil {
		return Job{}, err
	}
	j.Log = []string{}
	if log != "" {
		j.Log = strings.Split(strings.TrimSuffix(log, "\n"), "\n")
	}
	j.Created = parseTime(created)
	if finished.Valid {
		f := parseTime(finished.String)
		j.Finished = &f
	}
	return j, nil
}

// Job returns job id if the actor may see it.
func (c *Catalog) Job(ctx context.Context, a Actor, id int64) (Job, error) {
	j, err := scanJob(c.db.QueryRowContext(ctx, `SELECT `+jobColumns+` FROM jobs WHERE id = ? AND `+visibleOwner, append([]any{id}, visibleArgs(a)...)...))
	if errors.Is(err, sql.ErrNoRows) {
		return Job{}, fmt.Errorf("job %d: %w", id, ErrNotFound)
	}
	return j, err
}

// Jobs lists the jobs the actor may see, newest first.
func (c *Catalog) Jobs(ctx context.Context, a Actor) ([]Job, error) {
	rows, err := c.db.QueryContext(ctx, `SELECT `+jobColumns+` FROM jobs WHERE `+visibleOwner+` ORDER BY id DESC`, visibleArgs(a)...)
	return collect(rows, err, scanJob)
}

// PendingJobs lists the queued jobs, oldest first, for the job runner
// (jobs interrupted by a stop are queued again by ResumeJobs).
func (c *Catalog) PendingJobs(ctx context.Context) ([]Job, error) {
	rows, err := c.db.QueryContext(ctx, `SELECT `+jobColumns+` FROM jobs WHERE status = ? ORDER BY id`, StatusQueued)
	return collect(rows, err, scanJob)
}

// ResumeJobs queues again the jobs a stopped server left running: their
// work was in a transaction or a temporary file, so nothing of it stayed.
func (c *Catalog) ResumeJobs(ctx context.Context) error {
	_, err := c.db.ExecContext(ctx, `UPDATE jobs SET status = ?, progress = 0, log = log || ? WHERE status = ?`,
		StatusQueued, "interrupted by a stop of the server; started again\n", StatusRunning)
	return err
}

// DatasetOf returns the dataset of a job, whoever owns it (for the runner).
func (c *Catalog) DatasetOf(ctx context.Context, j Job) (Dataset, error) {
	return c.Dataset(ctx, Actor{ProducerID: j.producer}, j.DatasetID)
}

// StartJob marks a job running.
func (c *Catalog) StartJob(ctx context.Context, id int64) error {
	_, err := c.db.ExecContext(ctx, `UPDATE jobs SET status = ? WHERE id = ?`, StatusRunning, id)
	return err
}

// JobProgress records a job's progress (0 to 1) and, when not empty, a
// log line.
func (c *Catalog) JobProgress(ctx context.Context, id int64, progress float64, line string) error {
	if line != "" {
		line = time.Now().UTC().Format(time.RFC3339) + " " + strings.ReplaceAll(line, "\n", " ") + "\n"
	}
	_, err := c.db.ExecContext(ctx, `UPDATE jobs SET progress = ?, log = log || ? WHERE id = ?`, progress, line, id)
	return err
}

// Version is what a successful job made.
type Version struct {
	Location string
	CRS      string
	Features int64
	Bounds   *[4]float64
}

// FinishJob records the end of a job's work. On success the dataset
// moves to the new version and the job stays running until SucceedJob,
// which the runner calls once the version is live on the services; on
// failure the dataset keeps the version it had (or is marked failed when
// it had none), and the job fails with the error.
func (c *Catalog) FinishJob(ctx context.Context, id int64, v Version, jobErr error) (Dataset, error) {
	tx, err := c.db.BeginTx(ctx, nil)
	if err != nil {
		return Dataset{}, err
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	var datasetID int64
	if err := tx.QueryRowContext(ctx, `SELECT dataset_id FROM jobs WHERE id = ?`, id).Scan(&datasetID); err != nil {
		return Dataset{}, err
	}
	t := now()
	if jobErr != nil {
		if _, err := tx.ExecContext(ctx, `UPDATE jobs SET status = ?, error = ?, finished = ? WHERE id = ?`, StatusFailed, jobErr.Error(), t, id); err != nil {
			return Dataset{}, err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE datasets SET status = ?, updated = ? WHERE id = ? AND version = 0`, StatusFailed, t, datasetID); err != nil {
			return Dataset{}, err
		}
	} else {
		if _, err := tx.ExecContext(ctx, `UPDATE jobs SET progress = 1 WHERE id = ?`, id); err != nil {
			return Dataset{}, err
		}
		var w, s, e, n any
		if v.Bounds != nil {
			w, s, e, n = v.Bounds[0], v.Bounds[1], v.Bounds[2], v.Bounds[3]
		}
		if _, err := tx.ExecContext(ctx, `UPDATE datasets SET status = ?, version = version + 1, location = ?, crs = ?, features = ?,
			west = ?, south = ?, east = ?, north = ?, updated = ? WHERE id = ?`,
			StatusReady, v.Location, v.CRS, v.Features, w, s, e, n, t, datasetID); err != nil {
			return Dataset{}, err
		}
	}
	var producerID int64
	if err := tx.QueryRowContext(ctx, `SELECT producer_id FROM datasets WHERE id = ?`, datasetID).Scan(&producerID); err != nil {
		return Dataset{}, err
	}
	if err := tx.Commit(); err != nil {
		return Dataset{}, err
	}
	return c.Dataset(ctx, Actor{ProducerID: producerID}, datasetID)
}

// SucceedJob marks a job whose work FinishJob recorded as succeeded.
func (c *Catalog) SucceedJob(ctx context.Context, id int64) error {
	_, err := c.db.ExecContext(ctx, `UPDATE jobs SET status = ?, finished = ? WHERE id = ?`, StatusSucceeded, now(), id)
	return err
}
