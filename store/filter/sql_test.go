package filter

import (
	"reflect"
	"testing"

	"github.com/paulmach/orb"
)

// rtreeEnv is the envelope test a store would give: the row's box (here
// plain columns) meets b.
func rtreeEnv(b orb.Bound) (string, []any) {
	return `"minx" <= ? AND "maxx" >= ? AND "miny" <= ? AND "maxy" >= ?`, []any{b.Max[0], b.Min[0], b.Max[1], b.Min[1]}
}

func TestSQL(t *testing.T) {
	within := Spatial{Op: Within, Geometry: orb.Point{1, 2}}
	popIs1 := Compare{Op: EqualTo, Property: "pop", Literal: "1"}
	tests := []struct {
		name  string
		f     Filter
		where string
		args  []any
		exact bool
	}{
		{"nil", nil, "1", nil, true},
		{"equal", Compare{Op: EqualTo, Property: "name", Literal: "Paris", MatchCase: true},
			`"name" COLLATE BINARY = ?`, []any{"Paris"}, true},
		{"injection in the literal", Compare{Op: EqualTo, Property: "weird", Literal: "'; DROP TABLE x; --", MatchCase: true},
			`"we""ird" COLLATE BINARY = ?`, []any{"'; DROP TABLE x; --"}, true},
		{"not equal without case", Compare{Op: NotEqualTo, Property: "name", Literal: "ÎLE", MatchCase: false},
			`(lower("name") <> ? OR length(CAST("name" AS BLOB)) <> length("name"))`, []any{"Île"}, false},
		{"less integer", Compare{Op: LessThan, Property: "pop", Literal: "10"}, `"population" < ?`, []any{int64(10)}, true},
		{"greater integer than real", Compare{Op: GreaterThan, Property: "pop", Literal: "10.5"}, `"population" > ?`, []any{10.5}, true},
		{"real", Compare{Op: LessThanOrEqualTo, Property: "area", Literal: "3"}, `"area" <= ?`, []any{3.0}, true},
		{"boolean", Compare{Op: EqualTo, Property: "capital", Literal: "true"}, `"capital" = ?`, []any{int64(1)}, true},
		{"date", Compare{Op: GreaterThanOrEqualTo, Property: "founded", Literal: "2020-01-02T10:00:00Z"},
			`date("founded") >= ?`, []any{"2020-01-02"}, true},
		{"date-time", Compare{Op: EqualTo, Property: "updated", Literal: "2020-01-02T10:00:00+02:00"},
			`strftime('%Y-%m-%dT%H:%M:%f', "updated") = ?`, []any{"2020-01-02T08:00:00.000"}, true},
		{"like", Like{Property: "name", Pattern: "a*b?c[d]!*%_", WildCard: "*", SingleChar: "?", Escape: "!", MatchCase: true},
			`"name" GLOB ?`, []any{"a*b?c[[]d][*]%_"}, true},
		{"like without case", Like{Property: "name", Pattern: "É*", WildCard: "*", SingleChar: "?", Escape: "!", MatchCase: false},
			`(lower("name") GLOB ? OR length(CAST("name" AS BLOB)) <> length("name"))`, []any{"É*"}, false},
		{"is null", IsNull{Property: "geom"}, `"geom" IS NULL`, nil, true},
		{"between", Between{Property: "name", Lower: "a", Upper: "b"}, `"name" COLLATE BINARY BETWEEN ? AND ?`, []any{"a", "b"}, true},
		{"between dates", Between{Property: "updated", Lower: "2020-01-01", Upper: "2021-01-01"},
			`strftime('%Y-%m-%dT%H:%M:%f', "updated") BETWEEN ? AND ?`, []any{"2020-01-01T00:00:00.000", "2021-01-01T00:00:00.000"}, true},
		{"not", Not{Filter: popIs1}, `NOT COALESCE("population" = ?, 0)`, []any{int64(1)}, true},
		{"and or", And{Filters: []Filter{IsNull{Property: "name"}, Or{Filters: []Filter{IsNull{Property: "pop"}, popIs1}}}},
			`("name" IS NULL) AND (("population" IS NULL) OR ("population" = ?))`, []any{int64(1)}, true},
		{"intersects", Spatial{Op: Intersects, Geometry: orb.LineString{{0, 0}, {1, 2}}},
			`("minx" <= ? AND "maxx" >= ? AND "miny" <= ? AND "maxy" >= ?)`, []any{1.0, 0.0, 2.0, 0.0}, false},
		{"dwithin widens the box", Spatial{Op: DWithin, Geometry: orb.Point{1, 2}, Distance: 10},
			`("minx" <= ? AND "maxx" >= ? AND "miny" <= ? AND "maxy" >= ?)`, []any{11.000000012, -9.000000012, 12.000000012, -8.000000012}, false},
		{"disjoint", Spatial{Op: Disjoint, Geometry: orb.Point{1, 2}}, "1", nil, false},
		{"beyond", Spatial{Op: Beyond, Geometry: orb.Point{1, 2}, Distance: 1}, "1", nil, false},
		{"not spatial", Not{Filter: within}, "1", nil, false},
		{"spatial and", And{Filters: []Filter{within, popIs1}},
			`(("minx" <= ? AND "maxx" >= ? AND "miny" <= ? AND "maxy" >= ?)) AND ("population" = ?)`, []any{1.0, 1.0, 2.0, 2.0, int64(1)}, false},
		{"not spatial and", Not{Filter: And{Filters: []Filter{within, popIs1}}}, "1", nil, false},
		{"not spatial or", Not{Filter: Or{Filters: []Filter{within, popIs1}}}, `NOT COALESCE("population" = ?, 0)`, []any{int64(1)}, false},
		{"not without case", Not{Filter: Compare{Op: EqualTo, Property: "name", Literal: "a", MatchCase: false}},
			`NOT COALESCE((lower("name") = ? AND length(CAST("name" AS BLOB)) = length("name")), 0)`, []any{"a"}, false},
		{"ids", ResourceID{IDs: []string{"places.1", "2", "2", "x"}}, `"fid" IN (?, ?)`, []any{int64(1), int64(2)}, true},
		{"no numeric id", ResourceID{IDs: []string{"x"}}, "0", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			where, args, exact, err := SQL(tt.f, newTestSchema(), rtreeEnv)
			if err != nil {
				t.Fatal(err)
			}
			if where != tt.where {
				t.Errorf("where:\n got  %s\n want %s", where, tt.where)
			}
			if !reflect.DeepEqual(args, tt.args) {
				t.Errorf("args = %#v, want %#v", args, tt.args)
			}
			if exact != tt.exact {
				t.Errorf("exact = %v, want %v", exact, tt.exact)
			}
		})
	}
}

func TestSQLOtherGeometry(t *testing.T) {
	where, _, exact, err := SQL(Spatial{Op: Intersects, Property: "other", Geometry: orb.Point{1, 2}}, newTestSchema(), rtreeEnv)
	if err != nil || where != "1" || exact {
		t.Errorf("SQL = %q, %v, %v", where, exact, err)
	}
}

func TestSQLWithoutEnv(t *testing.T) {
	where, args, exact, err := SQL(Spatial{Op: Intersects, Geometry: orb.Point{1, 2}}, newTestSchema(), nil)
	if err != nil || where != "1" || args != nil || exact {
		t.Errorf("SQL = %q, %v, %v, %v", where, args, exact, err)
	}
}
