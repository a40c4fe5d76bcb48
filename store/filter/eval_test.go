package filter

import (
	"errors"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/tuiles/tuiles/internal/crs"
)

func paris() testFeature {
	return testFeature{
		id: 7,
		values: map[string]any{
			"name":       "Paris",
			"population": int64(2_102_650),
			"area":       105.4,
			"capital":    true,
			"founded":    "0250-01-01",
			"updated":    time.Date(2024, 3, 1, 12, 30, 0, 250_000_000, time.UTC),
			"blob":       []byte{1, 2},
			`we"ird`:     "x",
			"fid":        int64(7),
		},
		geoms: map[string]orb.Geometry{"geom": orb.Point{2.35, 48.85}},
	}
}

func nullFeature() testFeature {
	return testFeature{
		id: 8,
		values: map[string]any{
			"name": nil, "population": nil, "area": nil, "capital": nil, "founded": nil,
			"updated": nil, "blob": nil, `we"ird`: nil, "fid": int64(8),
		},
		geoms: map[string]orb.Geometry{},
	}
}

func TestEvaluate(t *testing.T) {
	s := newTestSchema()
	sq := orb.Polygon{{{2, 48}, {3, 48}, {3, 49}, {2, 49}, {2, 48}}}
	tests := []struct {
		name string
		f    Filter
		want bool // on paris
		null bool // on the all-NULL feature
	}{
		{"nil filter", nil, true, true},
		{"equal string", Compare{Op: EqualTo, Property: "name", Literal: "Paris", MatchCase: true}, true, false},
		{"equal string case", Compare{Op: EqualTo, Property: "name", Literal: "paris", MatchCase: true}, false, false},
		{"equal string no case", Compare{Op: EqualTo, Property: "name", Literal: "PARIS", MatchCase: false}, true, false},
		{"not equal string", Compare{Op: NotEqualTo, Property: "name", Literal: "Lyon", MatchCase: true}, true, false},
		{"less string", Compare{Op: LessThan, Property: "name", Literal: "Q", MatchCase: true}, true, false},
		{"less string no case", Compare{Op: LessThan, Property: "name", Literal: "paz", MatchCase: false}, true, false},
		{"equal integer", Compare{Op: EqualTo, Property: "pop", Literal: " 2102650 "}, true, false},
		{"integer against real literal", Compare{Op: LessThan, Property: "pop", Literal: "2102650.5"}, true, false},
		{"integer greater or equal", Compare{Op: GreaterThanOrEqualTo, Property: "pop", Literal: "2102650"}, true, false},
		{"integer greater", Compare{Op: GreaterThan, Property: "pop", Literal: "2102650"}, false, false},
		{"real less or equal", Compare{Op: LessThanOrEqualTo, Property: "area", Literal: "105.4"}, true, false},
		{"real exponent", Compare{Op: GreaterThan, Property: "area", Literal: "1e2"}, true, false},
		{"boolean true", Compare{Op: EqualTo, Property: "capital", Literal: "true"}, true, false},
		{"boolean 0", Compare{Op: EqualTo, Property: "capital", Literal: "0"}, false, false},
		{"date", Compare{Op: LessThan, Property: "founded", Literal: "1000-01-01"}, true, false},
		{"date-time", Compare{Op: EqualTo, Property: "updated", Literal: "2024-03-01T13:30:00.25+01:00"}, true, false},
		{"date-time as date", Compare{Op: GreaterThan, Property: "updated", Literal: "2024-03-01"}, true, false},
		{"like", Like{Property: "name", Pattern: "P*s", WildCard: "*", SingleChar: ".", Escape: "!", MatchCase: true}, true, false},
		{"like single", Like{Property: "name", Pattern: "P.r.s", WildCard: "*", SingleChar: ".", Escape: "!", MatchCase: true}, true, false},
		{"like case", Like{Property: "name", Pattern: "p*", WildCard: "*", SingleChar: ".", Escape: "!", MatchCase: true}, false, false},
		{"like no case", Like{Property: "name", Pattern: "p*", WildCard: "*", SingleChar: ".", Escape: "!", MatchCase: false}, true, false},
		{"like escaped wildcard", Like{Property: "name", Pattern: "Par!*", WildCard: "*", SingleChar: ".", Escape: "!", MatchCase: true}, false, false},
		{"like percent is literal", Like{Property: "name", Pattern: "%", WildCard: "*", SingleChar: ".", Escape: "!", MatchCase: true}, false, false},
		{"is null", IsNull{Property: "name"}, false, true},
		{"geometry is null", IsNull{Property: "geom"}, false, true},
		{"between", Between{Property: "pop", Lower: "2000000", Upper: "3000000"}, true, false},
		{"between bounds included", Between{Property: "area", Lower: "105.4", Upper: "105.4"}, true, false},
		{"between strings", Between{Property: "name", Lower: "P", Upper: "Q"}, true, false},
		{"and", And{Filters: []Filter{
			Compare{Op: EqualTo, Property: "name", Literal: "Paris", MatchCase: true},
			Compare{Op: GreaterThan, Property: "pop", Literal: "1"},
		}}, true, false},
		{"or", Or{Filters: []Filter{
			Compare{Op: EqualTo, Property: "name", Literal: "Lyon", MatchCase: true},
			IsNull{Property: "pop"},
		}}, false, true},
		// NULL compares false and Not negates that, as SQL with
		// COALESCE does.
		{"not", Not{Filter: Compare{Op: EqualTo, Property: "name", Literal: "Paris", MatchCase: true}}, false, true},
		{"not not null", Not{Filter: IsNull{Property: "name"}}, true, false},
		{"resource id", ResourceID{IDs: []string{"places.3", "places.7"}}, true, false},
		{"resource id bare", ResourceID{IDs: []string{"7"}}, true, false},
		{"resource id other", ResourceID{IDs: []string{"8x", "places.9"}}, false, false},
		{"bbox", Spatial{Op: BBOX, Geometry: orb.Bound{Min: orb.Point{2, 48}, Max: orb.Point{3, 49}}}, true, false},
		{"intersects", Spatial{Op: Intersects, Property: "geom", Geometry: sq}, true, false},
		{"within", Spatial{Op: Within, Geometry: sq}, true, false},
		{"contains", Spatial{Op: Contains, Geometry: sq}, false, false},
		{"disjoint", Spatial{Op: Disjoint, Geometry: orb.Point{0, 0}}, true, false},
		{"dwithin", Spatial{Op: DWithin, Geometry: orb.Point{2.35, 48.95}, Distance: 0.11}, true, false},
		{"dwithin short", Spatial{Op: DWithin, Geometry: orb.Point{2.35, 48.95}, Distance: 0.09}, false, false},
		{"beyond", Spatial{Op: Beyond, Geometry: orb.Point{2.35, 48.95}, Distance: 0.09}, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := Validate(tt.f, s); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			got, err := Evaluate(tt.f, s, paris())
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("Evaluate = %v, want %v", got, tt.want)
			}
			got, err = Evaluate(tt.f, s, nullFeature())
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.null {
				t.Errorf("Evaluate on NULLs = %v, want %v", got, tt.null)
			}
		})
	}
}

func TestEvaluateCaseFolding(t *testing.T) {
	s := newTestSchema()
	tests := []struct {
		value, literal string
		want           bool
	}{
		{"Île-de-France", "ÎLE-DE-FRANCE", true},
		{"Ardèche", "ARDÈCHE", true},
		{"Kelvin", "\u212Aelvin", true}, // the Kelvin sign folds to k
		{"straße", "STRASSE", false},    // simple folding only
		{"Paris", "Lyon", false},
	}
	for _, tt := range tests {
		f := testFeature{values: map[string]any{"name": tt.value}}
		got, err := Evaluate(Compare{Op: EqualTo, Property: "name", Literal: tt.literal}, s, f)
		if err != nil || got != tt.want {
			t.Errorf("%q = %q without case: %v, %v; want %v", tt.value, tt.literal, got, err, tt.want)
		}
		got, err = Evaluate(Like{Property: "name", Pattern: tt.literal, WildCard: "*", SingleChar: "?", Escape: "\\"}, s, f)
		if err != nil || got != tt.want {
			t.Errorf("%q like %q without case: %v, %v; want %v", tt.value, tt.literal, got, err, tt.want)
		}
	}
}

func TestMatchLike(t *testing.T) {
	tests := []struct {
		pattern, value string
		want           bool
	}{
		{"*", "", true},
		{"*", "anything", true},
		{"a*b*c", "aXbYc", true},
		{"a*b*c", "aXbY", false},
		{"a**c", "abc", true},
		{"?", "é", true},
		{"??", "é", false},
		{"*ab", "aab", true},
		{"a\\*", "a*", true},
		{"a\\*", "ab", false},
		{"a\\\\", "a\\", true},
		{"a\\", "a\\", true}, // a trailing escape is literal
		{"100%", "100%", true},
		{"_", "x", false},
		{"[a]", "[a]", true},
		{"*a*a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false},
	}
	for _, tt := range tests {
		toks, err := compileLike(Like{Pattern: tt.pattern, WildCard: "*", SingleChar: "?", Escape: "\\", MatchCase: true})
		if err != nil {
			t.Fatal(err)
		}
		if got := matchLike(toks, tt.value, false); got != tt.want {
			t.Errorf("%q like %q = %v, want %v", tt.value, tt.pattern, got, tt.want)
		}
	}
	for _, bad := range []Like{
		{WildCard: "**", SingleChar: "?", Escape: "\\"},
		{WildCard: "*", SingleChar: "*", Escape: "\\"},
		{WildCard: "*", SingleChar: "?", Escape: "?"},
	} {
		if _, err := compileLike(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("compileLike(%+v) err = %v", bad, err)
		}
	}
}

func TestCmpIntFloat(t *testing.T) {
	tests := []struct {
		i    int64
		f    float64
		want int
	}{
		{1, 1.0, 0},
		{1, 1.5, -1},
		{2, 1.5, 1},
		{-2, -1.5, -1},
		{-1, -1.5, 1},
		{1 << 53, 1 << 53, 0},
		{1<<53 + 1, 1 << 53, 1}, // float64 conversion would say equal
		{9223372036854775807, 0x1p63, -1},
		{-9223372036854775808, -0x1p63, 0},
		{0, 1e300, -1},
		{0, -1e300, 1},
	}
	for _, tt := range tests {
		if got := cmpIntFloat(tt.i, tt.f); got != tt.want {
			t.Errorf("cmpIntFloat(%d, %g) = %d, want %d", tt.i, tt.f, got, tt.want)
		}
	}
}

func TestEvaluateErrors(t *testing.T) {
	s := newTestSchema()
	tests := []struct {
		name string
		f    Filter
		want error
	}{
		{"unknown property", Compare{Property: "nope", Literal: "1"}, ErrUnknownProperty},
		{"bad integer", Compare{Property: "pop", Literal: "abc"}, ErrInvalid},
		{"bad real", Compare{Property: "area", Literal: "NaN"}, ErrInvalid},
		{"bad boolean", Compare{Property: "capital", Literal: "yes"}, ErrInvalid},
		{"bad date", Compare{Property: "founded", Literal: "yesterday"}, ErrInvalid},
		{"binary compare", Compare{Property: "blob", Literal: "x"}, ErrInvalid},
		{"geometry compare", Compare{Property: "geom", Literal: "x"}, ErrInvalid},
		{"like on integer", Like{Property: "pop", Pattern: "1*", WildCard: "*"}, ErrInvalid},
		{"spatial on string", Spatial{Op: Intersects, Property: "name", Geometry: orb.Point{0, 0}}, ErrInvalid},
		{"spatial without geometry", Spatial{Op: Intersects}, ErrInvalid},
		{"dwithin with units", Spatial{Op: DWithin, Geometry: orb.Point{0, 0}, Distance: 1, Units: "m"}, ErrUnsupported},
		{"negative distance", Spatial{Op: DWithin, Geometry: orb.Point{0, 0}, Distance: -1}, ErrInvalid},
		{"nested error", Or{Filters: []Filter{IsNull{Property: "name"}, IsNull{Property: "nope"}}}, ErrUnknownProperty},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Evaluate(tt.f, s, paris()); !errors.Is(err, tt.want) {
				t.Errorf("Evaluate err = %v, want %v", err, tt.want)
			}
			if _, _, _, err := SQL(tt.f, s, nil); !errors.Is(err, tt.want) {
				t.Errorf("SQL err = %v, want %v", err, tt.want)
			}
			if tt.name == "dwithin with units" {
				return // Validate accepts known units: Transform resolves them
			}
			if err := Validate(tt.f, s); !errors.Is(err, tt.want) {
				t.Errorf("Validate err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestValidateMessagesNameTheProperty(t *testing.T) {
	err := Validate(Compare{Property: "populaton", Literal: "1"}, newTestSchema())
	if !errors.Is(err, ErrUnknownProperty) || err.Error() != `unknown property: "populaton"` {
		t.Errorf("err = %v", err)
	}
	err = Validate(Compare{Property: "pop", Literal: "abc"}, newTestSchema())
	if !errors.Is(err, ErrInvalid) || err.Error() != `PropertyIsEqualTo on "pop": invalid filter: "abc" is not a number` {
		t.Errorf("err = %v", err)
	}
	if err := Validate(ResourceID{IDs: []string{"1"}}, testSchema{}); !errors.Is(err, ErrUnsupported) {
		t.Errorf("ResourceID without @id: %v", err)
	}
}

func TestTransform(t *testing.T) {
	lambert := crs.Lambert93
	// A fake reprojection: shift by 1000 and count calls.
	calls := 0
	tf := func(from crs.CRS, g orb.Geometry) (orb.Geometry, error) {
		calls++
		if from != crs.WGS84 {
			t.Errorf("from = %v", from)
		}
		p, ok := g.(orb.Polygon)
		if !ok {
			return orb.Point{g.(orb.Point)[0] + 1000, 0}, nil
		}
		if len(p[0]) != 4*densifySteps+1 {
			t.Errorf("box densified into %d points", len(p[0]))
		}
		out := orb.Ring{}
		for _, q := range p[0] {
			out = append(out, orb.Point{q[0] + 1000, q[1]})
		}
		return orb.Polygon{out}, nil
	}
	f := And{Filters: []Filter{
		Spatial{Op: BBOX, Geometry: orb.Bound{Min: orb.Point{0, 0}, Max: orb.Point{1, 1}}, CRS: crs.WGS84},
		Not{Filter: Spatial{Op: DWithin, Geometry: orb.Point{1, 2}, CRS: crs.WGS84, Distance: 2, Units: "km"}},
		Spatial{Op: Intersects, Geometry: orb.Point{5, 5}}, // layer CRS already
		Spatial{Op: Beyond, Geometry: orb.Point{5, 5}, CRS: lambert, Distance: 10, Units: "m"},
	}}
	got, err := Transform(f, lambert, tf)
	if err != nil {
		t.Fatal(err)
	}
	if calls != 2 {
		t.Errorf("tf called %d times, want 2", calls)
	}
	fs := got.(And).Filters
	bbox := fs[0].(Spatial)
	if b := bbox.Geometry.Bound(); bbox.CRS != lambert || b.Min[0] != 1000 || b.Max[0] != 1001 {
		t.Errorf("bbox = %+v", bbox)
	}
	dw := fs[1].(Not).Filter.(Spatial)
	if dw.CRS != lambert || dw.Distance != 2000 || dw.Units != "" || dw.Geometry != (orb.Point{1001, 0}) {
		t.Errorf("dwithin = %+v", dw)
	}
	if in := fs[2].(Spatial); in.CRS != lambert || in.Geometry != (orb.Point{5, 5}) {
		t.Errorf("intersects = %+v", in)
	}
	if b := fs[3].(Spatial); b.Distance != 10 || b.Units != "" {
		t.Errorf("beyond = %+v", b)
	}
	// The input is untouched.
	if f.Filters[1].(Not).Filter.(Spatial).Units != "km" {
		t.Error("Transform modified its input")
	}

	// Metres on a geographic CRS, degrees on a projected one.
	if _, err := Transform(Spatial{Op: DWithin, Geometry: orb.Point{1, 2}, Distance: 5, Units: "m"}, crs.WGS84, nil); !errors.Is(err, ErrUnsupported) {
		t.Errorf("metres on EPSG:4326: %v", err)
	}
	if _, err := Transform(Spatial{Op: DWithin, Geometry: orb.Point{1, 2}, Distance: 5, Units: "deg"}, lambert, nil); !errors.Is(err, ErrUnsupported) {
		t.Errorf("degrees on EPSG:2154: %v", err)
	}
	got, err = Transform(Spatial{Op: DWithin, Geometry: orb.Point{1, 2}, Distance: 0.5, Units: "urn:ogc:def:uom:EPSG::9102"}, crs.WGS84, nil)
	if err != nil || got.(Spatial).Distance != 0.5 || got.(Spatial).Units != "" {
		t.Errorf("degrees on EPSG:4326: %+v, %v", got, err)
	}
	failing := func(crs.CRS, orb.Geometry) (orb.Geometry, error) { return nil, errors.New("out of domain") }
	if _, err := Transform(Spatial{Op: Intersects, Geometry: orb.Point{1, 2}, CRS: crs.WGS84}, lambert, failing); !errors.Is(err, ErrInvalid) {
		t.Errorf("failing transform: %v", err)
	}
	if _, err := Transform(nil, crs.CRS{}, nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("zero target: %v", err)
	}
}

func TestTransformRealReprojection(t *testing.T) {
	tr, err := crs.NewTransformer(crs.WGS84, crs.Lambert93)
	if err != nil {
		t.Skip(err)
	}
	tf := func(from crs.CRS, g orb.Geometry) (orb.Geometry, error) {
		var err error
		out := orb.Clone(g)
		apply := func(p *orb.Point) {
			if err == nil {
				p[0], p[1], err = tr.Point(p[0], p[1])
			}
		}
		switch g := out.(type) {
		case orb.Point:
			apply(&g)
			return g, err
		case orb.Polygon:
			for _, r := range g {
				for i := range r {
					apply(&r[i])
				}
			}
		}
		return out, err
	}
	f, err := ParseFES20([]byte(`<fes:Filter xmlns:fes="http://www.opengis.net/fes/2.0" xmlns:gml="http://www.opengis.net/gml/3.2">
	  <fes:DWithin><fes:ValueReference>geom</fes:ValueReference>
	    <gml:Point srsName="urn:ogc:def:crs:EPSG::4326"><gml:pos>48.8566 2.3522</gml:pos></gml:Point>
	    <fes:Distance uom="km">10</fes:Distance></fes:DWithin></fes:Filter>`))
	if err != nil {
		t.Fatal(err)
	}
	g, err := Transform(f, crs.Lambert93, tf)
	if err != nil {
		t.Fatal(err)
	}
	sp := g.(Spatial)
	p := sp.Geometry.(orb.Point)
	// Paris in Lambert 93 is about (652000, 6862000).
	if p[0] < 640000 || p[0] > 665000 || p[1] < 6850000 || p[1] > 6875000 || sp.Distance != 10000 {
		t.Errorf("transformed = %+v", sp)
	}
	notreDame := testFeature{geoms: map[string]orb.Geometry{"geom": orb.Point{652469, 6861736}}}
	ok, err := Evaluate(g, newTestSchema(), notreDame)
	if err != nil || !ok {
		t.Errorf("Notre-Dame within 10 km of Paris: %v, %v", ok, err)
	}
}
