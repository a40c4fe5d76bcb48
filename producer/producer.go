// Package producer keeps the state of the producer API in a SQLite
// catalog beside the producer store: producers and their API tokens
// (hashed), datasets, SLD styles, publications and processing jobs.
//
// Every object belongs to a producer. A producer sees and changes its own
// objects and those of the producers of its community, and no other: the
// methods that read or change objects take the Actor making the request
// and answer ErrNotFound for objects it may not see, so that their
// existence does not leak.
package producer

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"time"

	_ "github.com/mattn/go-sqlite3" // the SQLite driver
)

// Errors of the catalog.
var (
	// ErrNotFound: no such object, or not one the actor may see.
	ErrNotFound = errors.New("not found")
	// ErrConflict: the name is taken.
	ErrConflict = errors.New("name already taken")
	// ErrInUse: another object depends on this one (a publication on its
	// dataset or style).
	ErrInUse = errors.New("in use")
	// ErrUnauthorized: no such token, or revoked.
	ErrUnauthorized = errors.New("invalid or revoked token")
)

// Catalog is the producer API's state. It is safe for concurrent use.
type Catalog struct {
	db *sql.DB
}

// Actor is who makes a request: a producer, and its community ("" for
// none).
type Actor struct {
	ProducerID int64
	Name       string
	Community  string
}

const schema = `
CREATE TABLE IF NOT EXISTS producers (
	id INTEGER PRIMARY KEY,
	name TEXT NOT NULL UNIQUE,
	community TEXT NOT NULL DEFAULT '',
	created TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS tokens (
	id INTEGER PRIMARY KEY,
	producer_id INTEGER NOT NULL REFERENCES producers(id),
	hash TEXT NOT NULL UNIQUE,
	label TEXT NOT NULL DEFAULT '',
	created TEXT NOT NULL,
	revoked TEXT
);
CREATE TABLE IF NOT EXISTS datasets (
	id INTEGER PRIMARY KEY,
	producer_id INTEGER NOT NULL REFERENCES producers(id),
	name TEXT NOT NULL,
	kind TEXT NOT NULL,
	status TEXT NOT NULL,
	version INTEGER NOT NULL DEFAULT 0,
	location TEXT NOT NULL DEFAULT '',
	crs TEXT NOT NULL DEFAULT '',
	features INTEGER NOT NULL DEFAULT 0,
	west REAL, south REAL, east REAL, north REAL,
	created TEXT NOT NULL,
	updated TEXT NOT NULL,
	UNIQUE (producer_id, name)
);
CREATE TABLE IF NOT EXISTS styles (
	id INTEGER PRIMARY KEY,
	producer_id INTEGER NOT NULL REFERENCES producers(id),
	name TEXT NOT NULL,
	sld BLOB NOT NULL,
	updated TEXT NOT NULL,
	UNIQUE (producer_id, name)
);
CREATE TABLE IF NOT EXISTS publications (
	id INTEGER PRIMARY KEY,
	producer_id INTEGER NOT NULL REFERENCES producers(id),
	dataset_id INTEGER NOT NULL REFERENCES datasets(id),
	name TEXT NOT NULL UNIQUE,
	spec TEXT NOT NULL,
	access_key_hash TEXT NOT NULL DEFAULT '',
	updated TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS publication_styles (
	publication_id INTEGER NOT NULL REFERENCES publications(id) ON DELETE CASCADE,
	style_id INTEGER NOT NULL REFERENCES styles(id),
	position INTEGER NOT NULL,
	PRIMARY KEY (publication_id, position)
);
CREATE TABLE IF NOT EXISTS jobs (
	id INTEGER PRIMARY KEY,
	producer_id INTEGER NOT NULL REFERENCES producers(id),
	dataset_id INTEGER NOT NULL REFERENCES datasets(id),
	kind TEXT NOT NULL,
	status TEXT NOT NULL,
	progress REAL NOT NULL DEFAULT 0,
	log TEXT NOT NULL DEFAULT '',
	error TEXT NOT NULL DEFAULT '',
	created TEXT NOT NULL,
	finished TEXT
);
`

// Open opens (creating when missing) the catalog at path.
func Open(ctx context.Context, path string) (*Catalog, error) {
	q := url.Values{}
	q.Set("_busy_timeout", "5000")
	q.Set("_journal_mode", "WAL")
	q.Set("_foreign_keys", "on")
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite3", "file:"+(&url.URL{Path: path}).EscapedPath()+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("producer catalog %s: %w", path, err)
	}
	// A few connections: reads go on beside a write (WAL), and writes,
	// rare and short, wait for each other on the busy timeout.
	db.SetMaxOpenConns(4)
	if _, err := db.ExecContext(ctx, schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("producer catalog %s: %w", path, err)
	}
	return &Catalog{db: db}, nil
}

// Close closes the catalog.
func (c *Catalog) Close() error { return c.db.Close() }

func now() string { return time.Now().UTC().Format(time.RFC3339Nano) }

func parseTime(s string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}

// visibleOwner is the SQL condition that the row's producer_id is the
// actor or a producer of its community; its two arguments come from
// visibleArgs.
const visibleOwner = `producer_id IN (SELECT id FROM producers WHERE id = ? OR (? != '' AND community = ?))`

func visibleArgs(a Actor) []any { return []any{a.ProducerID, a.Community, a.Community} }

// scanner is a row to scan (sql.Row or sql.Rows).
type scanner interface{ Scan(...any) error }

// collect scans every row of a query with scan; rows and err are the
// query's results. The list is empty, not nil, when there are none (JSON
// answers show []).
func collect[T any](rows *sql.Rows, err error, scan func(scanner) (T, error)) ([]T, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
