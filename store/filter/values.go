package filter

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Values and literals are compared under the property's Kind, the same way
// in Evaluate and in the SQL the store runs, so that a filter decided in
// SQL and one decided in Go agree:
//
//   - String: byte-wise (SQLite's BINARY collation); with MatchCase false
//     both sides are case-folded with foldRune first.
//   - Integer, Real, Boolean: numerically, integers against reals exactly
//     (as SQLite does); booleans are 0 and 1.
//   - Date: as YYYY-MM-DD text after conversion to UTC (SQLite date()).
//   - DateTime: as YYYY-MM-DDTHH:MM:SS.SSS text in UTC, so at millisecond
//     precision (SQLite strftime('%Y-%m-%dT%H:%M:%f'), GeoPackage's
//     precision).
//
// Values are assumed to be of their Kind (the store's columns are typed); a
// value that cannot be read as its Kind compares false, like NULL.

// value is a literal or a feature value ready for comparison.
type value struct {
	num number
	str string
}

type number struct {
	i       int64
	f       float64
	isFloat bool
}

const (
	dateLayout     = "2006-01-02"
	dateTimeLayout = "2006-01-02T15:04:05.000"
)

// parseTime reads the ISO 8601 forms that SQLite's date functions read
// too; without a zone, UTC.
func parseTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	for _, l := range [...]string{
		time.RFC3339Nano,
		"2006-01-02T15:04:05.999999999",
		"2006-01-02 15:04:05.999999999Z07:00",
		"2006-01-02 15:04:05.999999999",
		"2006-01-02T15:04Z07:00",
		"2006-01-02T15:04",
		"2006-01-02 15:04",
		"2006-01-02",
	} {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func formatTime(k Kind, t time.Time) string {
	t = t.UTC()
	if k == Date {
		return t.Format(dateLayout)
	}
	return t.Round(time.Millisecond).Format(dateTimeLayout)
}

// literal types a filter literal for a property of kind k; fold applies
// to strings compared without case.
func literal(k Kind, lit string, fold bool) (value, error) {
	switch k {
	case String:
		if fold {
			return value{str: foldString(lit)}, nil
		}
		return value{str: lit}, nil
	case Integer:
		t := strings.TrimSpace(lit)
		if i, err := strconv.ParseInt(t, 10, 64); err == nil {
			return value{num: number{i: i}}, nil
		}
		if f, err := strconv.ParseFloat(t, 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
			return value{num: number{f: f, isFloat: true}}, nil
		}
		return value{}, fmt.Errorf("%w: %q is not a number", ErrInvalid, short(lit))
	case Real:
		f, err := strconv.ParseFloat(strings.TrimSpace(lit), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return value{}, fmt.Errorf("%w: %q is not a finite number", ErrInvalid, short(lit))
		}
		return value{num: number{f: f, isFloat: true}}, nil
	case Boolean:
		switch strings.ToLower(strings.TrimSpace(lit)) {
		case "true", "1":
			return value{num: number{i: 1}}, nil
		case "false", "0":
			return value{num: number{i: 0}}, nil
		}
		return value{}, fmt.Errorf("%w: %q is not a boolean", ErrInvalid, short(lit))
	case Date, DateTime:
		t, ok := parseTime(lit)
		if !ok {
			return value{}, fmt.Errorf("%w: %q is not an ISO 8601 %s", ErrInvalid, short(lit), k)
		}
		return value{str: formatTime(k, t)}, nil
	}
	return value{}, fmt.Errorf("%w: %s properties cannot be compared with literals", ErrInvalid, k)
}

// featureValue reads a feature value as kind k; ok is false for NULL and
// for values that cannot be read as k.
func featureValue(k Kind, v any, fold bool) (value, bool) {
	if v == nil {
		return value{}, false
	}
	switch k {
	case String:
		s, ok := text(v)
		if ok && fold {
			s = foldString(s)
		}
		return value{str: s}, ok
	case Integer, Real, Boolean:
		switch v := v.(type) {
		case int64:
			return value{num: number{i: v}}, true
		case int:
			return value{num: number{i: int64(v)}}, true
		case float64:
			if math.IsNaN(v) {
				return value{}, false
			}
			return value{num: number{f: v, isFloat: true}}, true
		case bool:
			if v {
				return value{num: number{i: 1}}, true
			}
			return value{num: number{i: 0}}, true
		case string:
			t := strings.TrimSpace(v)
			if i, err := strconv.ParseInt(t, 10, 64); err == nil {
				return value{num: number{i: i}}, true
			}
			if f, err := strconv.ParseFloat(t, 64); err == nil && !math.IsNaN(f) {
				return value{num: number{f: f, isFloat: true}}, true
			}
		}
		return value{}, false
	case Date, DateTime:
		switch v := v.(type) {
		case time.Time:
			// go-sqlite3 returns the zero time for date text it cannot
			// parse, where SQLite's date functions return NULL.
			if v.IsZero() {
				return value{}, false
			}
			return value{str: formatTime(k, v)}, true
		case string:
			if t, ok := parseTime(v); ok {
				return value{str: formatTime(k, t)}, true
			}
		case []byte:
			if t, ok := parseTime(string(v)); ok {
				return value{str: formatTime(k, t)}, true
			}
		}
	}
	return value{}, false
}

// text renders a value the way SQLite renders it as text.
func text(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case []byte:
		return string(v), true
	case int64:
		return strconv.FormatInt(v, 10), true
	case int:
		return strconv.Itoa(v), true
	case float64:
		return strconv.FormatFloat(v, 'g', 15, 64), true
	case bool:
		if v {
			return "1", true
		}
		return "0", true
	case time.Time:
		return v.UTC().Format(time.RFC3339Nano), true
	}
	return "", false
}

// cmpValue compares two values of the same kind.
func cmpValue(k Kind, a, b value) int {
	switch k {
	case Integer, Real, Boolean:
		return cmpNumber(a.num, b.num)
	}
	return strings.Compare(a.str, b.str)
}

func cmpNumber(a, b number) int {
	switch {
	case !a.isFloat && !b.isFloat:
		switch {
		case a.i < b.i:
			return -1
		case a.i > b.i:
			return 1
		}
		return 0
	case a.isFloat && b.isFloat:
		return cmpFloat(a.f, b.f)
	case !a.isFloat:
		return cmpIntFloat(a.i, b.f)
	}
	return -cmpIntFloat(b.i, a.f)
}

// cmpIntFloat compares an integer with a float exactly, without the
// rounding of converting a large integer to float64.
func cmpIntFloat(i int64, f float64) int {
	switch {
	case f >= 0x1p63:
		return -1
	case f < -0x1p63:
		return 1
	}
	t := math.Trunc(f)
	ti := int64(t)
	switch {
	case i < ti:
		return -1
	case i > ti:
		return 1
	}
	return cmpFloat(0, f-t)
}

// foldRune maps r to one representative of its Unicode simple case-folding
// orbit, so that two runes match without case exactly when their folds are
// equal. ASCII letters fold to lower case, as SQLite's lower() folds them:
// the SQL translation relies on the two agreeing for ASCII text.
func foldRune(r rune) rune {
	if r < utf8.RuneSelf {
		if 'A' <= r && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}
	m := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		m = min(m, f)
	}
	if m < utf8.RuneSelf && 'A' <= m && m <= 'Z' {
		return m + 'a' - 'A'
	}
	return m
}

func foldString(s string) string { return strings.Map(foldRune, s) }
