package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"

	"github.com/mattn/go-sqlite3"
)

// connector opens SQLite connections with the GeoPackage SQL functions
// registered. It replaces sql.Register, which would be package-level state
// (and panics on a second registration).
type connector struct {
	dsn string
	drv *sqlite3.SQLiteDriver
}

func newConnector(dsn string) *connector {
	return &connector{dsn: dsn, drv: &sqlite3.SQLiteDriver{ConnectHook: registerFunctions}}
}

func (c *connector) Connect(context.Context) (driver.Conn, error) { return c.drv.Open(c.dsn) }
func (c *connector) Driver() driver.Driver                        { return c.drv }

// registerFunctions installs the functions the GeoPackage R-tree triggers
// call (GeoPackage 1.3 Annex F.3): every connection that inserts or updates
// a feature table needs them, and tuiles' bbox queries use them to turn the
// R-tree's float32 boxes into exact envelope tests.
func registerFunctions(c *sqlite3.SQLiteConn) error {
	bound := func(pick func(envelope) float64) func(any) (any, error) {
		return func(v any) (any, error) {
			b, ok := v.([]byte)
			if !ok || len(b) == 0 {
				return nil, nil
			}
			e, err := blobEnvelope(b)
			if err != nil || !e.ok {
				return nil, err
			}
			return pick(e), nil
		}
	}
	funcs := map[string]func(any) (any, error){
		"ST_MinX": bound(func(e envelope) float64 { return e.minX }),
		"ST_MaxX": bound(func(e envelope) float64 { return e.maxX }),
		"ST_MinY": bound(func(e envelope) float64 { return e.minY }),
		"ST_MaxY": bound(func(e envelope) float64 { return e.maxY }),
		"ST_IsEmpty": func(v any) (any, error) {
			b, ok := v.([]byte)
			if !ok || len(b) == 0 {
				return nil, nil
			}
			e, err := blobEnvelope(b)
			if err != nil {
				return nil, err
			}
			return !e.ok, nil
		},
	}
	for name, f := range funcs {
		if err := c.RegisterFunc(name, f, true); err != nil {
			return fmt.Errorf("register %s: %w", name, err)
		}
	}
	// One call instead of four ST_ calls where bbox queries need an exact
	// test: Go callbacks cost far more than the test itself.
	intersects := func(v any, minX, minY, maxX, maxY float64) (bool, error) {
		b, ok := v.([]byte)
		if !ok || len(b) == 0 {
			return false, nil
		}
		e, err := blobEnvelope(b)
		return e.intersects(minX, minY, maxX, maxY), err
	}
	if err := c.RegisterFunc(envelopeIntersectsFunc, intersects, true); err != nil {
		return fmt.Errorf("register %s: %w", envelopeIntersectsFunc, err)
	}
	return nil
}

// envelopeIntersectsFunc(geom, minx, miny, maxx, maxy) tells whether a
// geometry's envelope meets a box; tuiles' own, unknown to other readers,
// so only queries use it, never triggers.
const envelopeIntersectsFunc = "tuiles_envelope_intersects"

// fileURI turns a path into an SQLite URI filename, escaping the characters
// URIs reserve so that any file name works.
func fileURI(path string) string {
	r := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23")
	return "file:" + r.Replace(path)
}

// quote returns s as an SQL identifier. Table and column names come from
// imported files, so they are only ever inserted into SQL through here.
func quote(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// errBadName reports an identifier SQLite cannot hold.
var errBadName = errors.New("invalid name")

// checkName rejects names that cannot be quoted faithfully.
func checkName(what, s string) error {
	switch {
	case s == "":
		return fmt.Errorf("%w: empty %s name", errBadName, what)
	case strings.ContainsRune(s, 0):
		return fmt.Errorf("%w: %s name %q contains NUL", errBadName, what, s)
	}
	return nil
}

// openDB opens a pool on c with the given size.
func openDB(c *connector, maxConns int) *sql.DB {
	db := sql.OpenDB(c)
	db.SetMaxOpenConns(maxConns)
	db.SetMaxIdleConns(maxConns)
	return db
}
