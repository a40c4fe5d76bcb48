package filter

import (
	"database/sql"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	_ "github.com/mattn/go-sqlite3"
	"github.com/paulmach/orb"
)

// The cross-check runs random filters both ways on the same rows: through
// SQL on an in-memory SQLite table, and through Evaluate on the rows read
// back with go-sqlite3 as a store would. Every row Evaluate accepts must be
// in the SQL result (the superset rule), and when SQL reports exact the two
// must be equal.

var (
	ccNames = []string{"Paris", "paris", "PARIS", "Île-de-France", "ÎLE-DE-FRANCE", "île", "straße", "STRASSE",
		"\u212Aelvin", "kelvin", "KELVIN", "a*b", "a?b", "[x]", "100%", "_x_", `back\slash`, "O'Brien", "",
		"Zürich", "ZÜRICH", "ſ", "S", "s", "Ab", "aB", "b", "B"}
	ccInts  = []any{int64(0), int64(1), int64(-1), int64(10), int64(1 << 53), int64(1<<53 + 1), int64(-(1 << 53) - 1), int64(9223372036854775807), int64(-9223372036854775808)}
	ccReals = []any{0.0, 0.5, -0.5, 10.0, 1e300, 3.0, 9007199254740992.0, 10.25}
	ccDates = []any{"2020-01-01", "2020-01-02", "2019-12-31T23:30:00-02:00", "2020-06-15 12:00:00", "2020-01-01T00:00:00Z"}
	ccTimes = []any{"2020-01-01T10:00:00Z", "2020-01-01T10:00:00.123Z", "2020-01-01 10:00:00", "2020-01-01T12:00:00+02:00",
		"2020-01-01T10:00:00.001+00:00", "2020-01-01T09:59:59.999Z", "2021-03-04T05:06:07"}
	ccNumLits  = []string{"0", "1", "-1", "10", "10.5", "9007199254740993", "9007199254740992", "1e3", "-0.5", "0.5", "1e300", "9223372036854775807"}
	ccDateLits = []string{"2020-01-01", "2020-01-02T00:00:00Z", "2020-01-01T23:00:00-03:00", "2020-06-15", "2019-12-31"}
	ccTimeLits = []string{"2020-01-01T10:00:00Z", "2020-01-01T10:00:00.123Z", "2020-01-01T12:00:00+02:00", "2020-01-01", "2020-01-01T10:00:00.0005Z", "2021-03-04T05:06:07.000Z"}
)

func pick[T any](r *rand.Rand, s []T) T { return s[r.IntN(len(s))] }

func maybeNull(r *rand.Rand, v any) any {
	if r.IntN(6) == 0 {
		return nil
	}
	return v
}

func randCoord(r *rand.Rand) float64 {
	if r.IntN(4) == 0 {
		return float64(r.IntN(100)) / 10
	}
	return float64(r.IntN(11))
}

func randGeometry(r *rand.Rand) orb.Geometry {
	p := func() orb.Point { return orb.Point{randCoord(r), randCoord(r)} }
	switch r.IntN(6) {
	case 0:
		return p()
	case 1:
		return orb.MultiPoint{p(), p()}
	case 2:
		return orb.LineString{p(), p(), p()}
	case 3:
		a := p()
		return orb.Polygon{{a, {a[0] + 1 + randCoord(r)/2, a[1]}, {a[0], a[1] + 1 + randCoord(r)/2}, a}}
	case 4:
		a, b := p(), p()
		return orb.Bound{Min: orb.Point{min(a[0], b[0]), min(a[1], b[1])}, Max: orb.Point{max(a[0], b[0]), max(a[1], b[1])}}
	}
	a := p()
	w, h := 1+float64(r.IntN(4)), 1+float64(r.IntN(4))
	return orb.Polygon{{a, {a[0] + w, a[1]}, {a[0] + w, a[1] + h}, {a[0], a[1] + h}, a}}
}

func randLikePattern(r *rand.Rand) string {
	var b strings.Builder
	for i := 0; i < 1+r.IntN(4); i++ {
		switch r.IntN(6) {
		case 0:
			b.WriteString("*")
		case 1:
			b.WriteString(".")
		case 2:
			b.WriteString("!" + pick(r, []string{"*", ".", "!", "a"}))
		default:
			name := []rune(pick(r, ccNames))
			if len(name) > 0 {
				start := r.IntN(len(name))
				b.WriteString(string(name[start:min(len(name), start+1+r.IntN(3))]))
			}
		}
	}
	return b.String()
}

func randFilter(r *rand.Rand, depth int) Filter {
	n := 9
	if depth > 0 {
		n = 12
	}
	ops := []CompareOp{EqualTo, NotEqualTo, LessThan, LessThanOrEqualTo, GreaterThan, GreaterThanOrEqualTo}
	switch r.IntN(n) {
	case 0:
		return Compare{Op: pick(r, ops), Property: pick(r, []string{"name", "weird"}), Literal: pick(r, ccNames), MatchCase: r.IntN(2) == 0}
	case 1:
		return Compare{Op: pick(r, ops), Property: pick(r, []string{"pop", "area"}), Literal: pick(r, ccNumLits)}
	case 2:
		return Compare{Op: pick(r, ops), Property: "capital", Literal: pick(r, []string{"true", "false", "1", "0"})}
	case 3:
		if r.IntN(2) == 0 {
			return Compare{Op: pick(r, ops), Property: "founded", Literal: pick(r, ccDateLits)}
		}
		return Compare{Op: pick(r, ops), Property: "updated", Literal: pick(r, ccTimeLits)}
	case 4:
		return Like{Property: "name", Pattern: randLikePattern(r), WildCard: "*", SingleChar: ".", Escape: "!", MatchCase: r.IntN(2) == 0}
	case 5:
		return IsNull{Property: pick(r, []string{"name", "pop", "area", "capital", "founded", "updated", "geom"})}
	case 6:
		switch r.IntN(3) {
		case 0:
			return Between{Property: "name", Lower: pick(r, ccNames), Upper: pick(r, ccNames)}
		case 1:
			return Between{Property: pick(r, []string{"pop", "area"}), Lower: pick(r, ccNumLits), Upper: pick(r, ccNumLits)}
		}
		return Between{Property: "updated", Lower: pick(r, ccTimeLits), Upper: pick(r, ccTimeLits)}
	case 7:
		op := pick(r, []SpatialOp{BBOX, Intersects, Within, Contains, Disjoint, DWithin, Beyond, Equals, Touches, Crosses, Overlaps})
		s := Spatial{Op: op, Geometry: randGeometry(r)}
		if op == BBOX {
			s.Geometry = s.Geometry.Bound()
		}
		if op == DWithin || op == Beyond {
			s.Distance = float64(r.IntN(30)) / 10
		}
		return s
	case 8:
		var ids []string
		for i := 0; i < 1+r.IntN(3); i++ {
			ids = append(ids, pick(r, []string{"1", "places.2", "3", "x", "places.y", "40"}))
		}
		return ResourceID{IDs: ids}
	case 9:
		return Not{Filter: randFilter(r, depth-1)}
	case 10:
		return And{Filters: []Filter{randFilter(r, depth-1), randFilter(r, depth-1)}}
	}
	return Or{Filters: []Filter{randFilter(r, depth-1), randFilter(r, depth-1)}}
}

func TestEvaluateAgreesWithSQL(t *testing.T) {
	db, err := sql.Open("sqlite3", ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(`CREATE TABLE t (fid INTEGER PRIMARY KEY, name TEXT, population INTEGER, area REAL,
		capital BOOLEAN, founded DATE, updated DATETIME, "we""ird" TEXT, geom BLOB,
		minx REAL, maxx REAL, miny REAL, maxy REAL)`); err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(5, 6))
	geoms := map[int64]orb.Geometry{}
	for fid := int64(1); fid <= 200; fid++ {
		var g orb.Geometry
		var box []any
		if r.IntN(8) != 0 {
			g = randGeometry(r)
			b := g.Bound()
			box = []any{b.Min[0], b.Max[0], b.Min[1], b.Max[1]}
		} else {
			box = []any{nil, nil, nil, nil}
		}
		geoms[fid] = g
		var blob any
		if g != nil {
			blob = []byte{1}
		}
		args := []any{fid, maybeNull(r, pick(r, ccNames)), maybeNull(r, pick(r, ccInts)), maybeNull(r, pick(r, ccReals)),
			maybeNull(r, r.IntN(2) == 0), maybeNull(r, pick(r, ccDates)), maybeNull(r, pick(r, ccTimes)),
			maybeNull(r, pick(r, ccNames)), blob}
		if _, err := db.Exec(`INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, append(args, box...)...); err != nil {
			t.Fatal(err)
		}
	}

	// Read the rows back as a store would.
	rows, err := db.Query(`SELECT fid, name, population, area, capital, founded, updated, "we""ird" FROM t`)
	if err != nil {
		t.Fatal(err)
	}
	cols := []string{"fid", "name", "population", "area", "capital", "founded", "updated", `we"ird`}
	var feats []testFeature
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		f := testFeature{id: vals[0].(int64), values: map[string]any{}, geoms: map[string]orb.Geometry{}}
		for i, c := range cols {
			f.values[c] = vals[i]
		}
		if g := geoms[f.id]; g != nil {
			f.geoms["geom"] = g
		}
		feats = append(feats, f)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}

	s := newTestSchema()
	n := 3000
	if testing.Short() {
		n = 300
	}
	exactCount := 0
	for i := 0; i < n; i++ {
		f := randFilter(r, 3)
		if err := Validate(f, s); err != nil {
			t.Fatalf("Validate(%#v): %v", f, err)
		}
		where, args, exact, err := SQL(f, s, rtreeEnv)
		if err != nil {
			t.Fatalf("SQL(%#v): %v", f, err)
		}
		if exact {
			exactCount++
		}
		got, err := db.Query("SELECT fid FROM t WHERE "+where, args...)
		if err != nil {
			t.Fatalf("query %q %v: %v", where, args, err)
		}
		var inSQL []int64
		for got.Next() {
			var id int64
			if err := got.Scan(&id); err != nil {
				t.Fatal(err)
			}
			inSQL = append(inSQL, id)
		}
		got.Close()
		var inGo []int64
		for _, feat := range feats {
			ok, err := Evaluate(f, s, feat)
			if err != nil {
				t.Fatalf("Evaluate(%#v) on %d: %v", f, feat.id, err)
			}
			if ok {
				inGo = append(inGo, feat.id)
			}
		}
		for _, id := range inGo {
			if !slices.Contains(inSQL, id) {
				t.Fatalf("row %d matches %#v in Go but not in SQL\n%s %v\nrow %v", id, f, where, args, describe(feats, id))
			}
		}
		if exact && len(inGo) != len(inSQL) {
			var extra []int64
			for _, id := range inSQL {
				if !slices.Contains(inGo, id) {
					extra = append(extra, id)
				}
			}
			t.Fatalf("exact SQL for %#v keeps rows %v that Evaluate rejects\n%s %v\nfirst: %v", f, extra, where, args, describe(feats, extra[0]))
		}
	}
	if exactCount < n/10 {
		t.Errorf("only %d of %d filters exact", exactCount, n)
	}
}

func describe(feats []testFeature, id int64) string {
	for _, f := range feats {
		if f.id == id {
			return fmt.Sprintf("%#v %v", f.values, f.geoms)
		}
	}
	return "?"
}
