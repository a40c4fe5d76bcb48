package filter

import (
	"errors"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"github.com/tuiles/tuiles/internal/crs"
)

// The fuzz targets feed request text to the parsers. Invariants: no panic;
// every error wraps one of the sentinels; a parsed filter translates to SQL
// made only of the translator's own vocabulary, the schema's quoted
// columns and ? placeholders (so no request text reaches the SQL), with as
// many arguments as placeholders; Evaluate and Transform do not panic.
// Seed corpora are in testdata/fuzz/<Name>.

func FuzzParseFES20(f *testing.F) {
	f.Add([]byte(fes(`<fes:PropertyIsEqualTo><fes:ValueReference>name</fes:ValueReference><fes:Literal>Paris</fes:Literal></fes:PropertyIsEqualTo>`)))
	f.Fuzz(func(t *testing.T, data []byte) {
		flt, err := ParseFES20(data)
		checkParsed(t, flt, err)
	})
}

func FuzzParseFilter11(f *testing.F) {
	f.Add([]byte(ogc(`<ogc:PropertyIsEqualTo><ogc:PropertyName>name</ogc:PropertyName><ogc:Literal>Paris</ogc:Literal></ogc:PropertyIsEqualTo>`)))
	f.Fuzz(func(t *testing.T, data []byte) {
		flt, err := ParseFilter11(data)
		checkParsed(t, flt, err)
	})
}

func FuzzParseBBOX(f *testing.F) {
	f.Add("1,2,3,4", false)
	f.Fuzz(func(t *testing.T, value string, withDefault bool) {
		def := crs.CRS{}
		if withDefault {
			def = crs.WGS84
		}
		s, err := ParseBBOX(value, def)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v is not ErrInvalid", err)
			}
			return
		}
		b, ok := s.Geometry.(orb.Bound)
		if !ok || b.Min[0] > b.Max[0] || b.Min[1] > b.Max[1] {
			t.Fatalf("ParseBBOX(%q) = %+v", value, s)
		}
		checkParsed(t, s, nil)
	})
}

func checkParsed(t *testing.T, f Filter, err error) {
	t.Helper()
	if err != nil {
		if !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrUnsupported) && !errors.Is(err, ErrUnknownProperty) {
			t.Fatalf("error %v wraps no sentinel", err)
		}
		return
	}
	s := newTestSchema()
	_ = Validate(f, s)
	checkSQL(t, f, s)
	_, _ = Evaluate(f, s, paris())
	_, _ = Evaluate(f, s, nullFeature())
	identity := func(_ crs.CRS, g orb.Geometry) (orb.Geometry, error) { return g, nil }
	if g, err := Transform(f, crs.WGS84, identity); err == nil {
		checkSQL(t, g, s)
		_, _ = Evaluate(g, s, paris())
	}
}

func checkSQL(t *testing.T, f Filter, s testSchema) {
	t.Helper()
	where, args, _, err := SQL(f, s, rtreeEnv)
	if err != nil {
		return
	}
	columns := map[string]bool{`"minx"`: true, `"maxx"`: true, `"miny"`: true, `"maxy"`: true}
	for _, p := range s {
		columns[`"`+strings.ReplaceAll(p.Column, `"`, `""`)+`"`] = true
	}
	placeholders, err := sqlVocabulary(where, columns)
	if err != nil {
		t.Fatalf("SQL %q: %v", where, err)
	}
	if placeholders != len(args) {
		t.Fatalf("SQL %q has %d placeholders for %d arguments", where, placeholders, len(args))
	}
}

// sqlVocabulary checks that every token of where belongs to the
// translator's vocabulary and counts the placeholders.
func sqlVocabulary(where string, columns map[string]bool) (int, error) {
	words := map[string]bool{
		"AND": true, "OR": true, "NOT": true, "COALESCE": true, "IN": true, "IS": true, "NULL": true,
		"GLOB": true, "BETWEEN": true, "COLLATE": true, "BINARY": true, "lower": true, "length": true,
		"CAST": true, "AS": true, "BLOB": true, "date": true, "strftime": true,
	}
	n := 0
	for i := 0; i < len(where); {
		c := where[i]
		switch {
		case c == ' ' || c == '(' || c == ')' || c == ',':
			i++
		case c == '?':
			n++
			i++
		case c == '=' || c == '<' || c == '>':
			j := i + 1
			for j < len(where) && (where[j] == '=' || where[j] == '>') {
				j++
			}
			switch where[i:j] {
			case "=", "<>", "<", "<=", ">", ">=":
			default:
				return 0, errors.New("operator " + where[i:j])
			}
			i = j
		case c == '"':
			j := i + 1
			for j < len(where) {
				if where[j] == '"' {
					if j+1 < len(where) && where[j+1] == '"' {
						j += 2
						continue
					}
					break
				}
				j++
			}
			if j >= len(where) || !columns[where[i:j+1]] {
				return 0, errors.New("identifier " + where[i:min(j+1, len(where))])
			}
			i = j + 1
		case c == '\'':
			const format = `'%Y-%m-%dT%H:%M:%f'`
			if !strings.HasPrefix(where[i:], format) {
				return 0, errors.New("string literal at " + where[i:])
			}
			i += len(format)
		case c == '0' || c == '1':
			if i+1 < len(where) && where[i+1] != ' ' && where[i+1] != ')' && where[i+1] != ',' {
				return 0, errors.New("number at " + where[i:])
			}
			i++
		case c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z':
			j := i
			for j < len(where) && (where[j] >= 'A' && where[j] <= 'Z' || where[j] >= 'a' && where[j] <= 'z') {
				j++
			}
			if !words[where[i:j]] {
				return 0, errors.New("word " + where[i:j])
			}
			i = j
		default:
			return 0, errors.New("character at " + where[i:])
		}
	}
	return n, nil
}

func TestSQLVocabulary(t *testing.T) {
	cols := map[string]bool{`"a"`: true}
	for _, ok := range []string{`"a" = ?`, `NOT COALESCE("a" IN (?, ?), 0)`, `strftime('%Y-%m-%dT%H:%M:%f', "a") <= ?`, `1`} {
		if _, err := sqlVocabulary(ok, cols); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{`"a" = 'x'`, `"b" = ?`, `"a" = 2`, `"a" = ?; DROP TABLE t`, `"a" == ?`, `x`, `"a`} {
		if _, err := sqlVocabulary(bad, cols); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}
