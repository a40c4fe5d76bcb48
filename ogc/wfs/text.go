package wfs

import (
	"encoding/base64"
	"fmt"
	"math"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/tuiles/tuiles/store/filter"
)

// The encoders append to byte slices rather than go through encoding/xml
// or encoding/json: a whole layer is written feature by feature, and
// reflection per value would make encoding, not the store, the limit.

// appendXML appends s escaped for XML text or attribute values. Characters
// XML 1.0 cannot carry (most control characters, invalid UTF-8) become
// U+FFFD, so that any database string yields a well-formed document.
func appendXML(b []byte, s string) []byte {
	last := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c < utf8.RuneSelf && c != '&' && c != '<' && c != '>' && c != '"' && c != '\'' {
			i++
			continue
		}
		r, size := rune(c), 1
		if c >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(s[i:])
		}
		var esc string
		switch {
		case c == '&':
			esc = "&amp;"
		case c == '<':
			esc = "&lt;"
		case c == '>':
			esc = "&gt;"
		case c == '"':
			esc = "&quot;"
		case c == '\'':
			esc = "&apos;"
		case c == '\n':
			esc = "&#xA;"
		case c == '\r':
			esc = "&#xD;"
		case c == '\t':
			esc = "&#x9;"
		case c < 0x20, r == utf8.RuneError && size == 1, r == 0xFFFE, r == 0xFFFF:
			esc = "\uFFFD"
		default:
			i += size
			continue
		}
		b = append(b, s[last:i]...)
		b = append(b, esc...)
		i += size
		last = i
	}
	return append(b, s[last:]...)
}

// appendJSONString appends s as a JSON string. Invalid UTF-8 becomes
// U+FFFD; U+2028 and U+2029 are escaped, since JavaScript did not always
// allow them in strings.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	last := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c < utf8.RuneSelf && c != '"' && c != '\\' {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b = append(b, s[last:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			last = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[last:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[last:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		last = i
	}
	b = append(b, s[last:]...)
	return append(b, '"')
}

// appendFloat appends v in the shortest form that reads back exactly,
// without an exponent for ordinary magnitudes (coordinates in metres would
// otherwise come out as 6.5e+06).
func appendFloat(b []byte, v float64) []byte {
	if a := math.Abs(v); a != 0 && (a < 1e-6 || a >= 1e21) {
		return strconv.AppendFloat(b, v, 'g', -1, 64)
	}
	return strconv.AppendFloat(b, v, 'f', -1, 64)
}

// appendXSDDouble appends v as an xsd:double, whose special values are
// spelled INF, -INF and NaN.
func appendXSDDouble(b []byte, v float64) []byte {
	switch {
	case math.IsInf(v, 1):
		return append(b, "INF"...)
	case math.IsInf(v, -1):
		return append(b, "-INF"...)
	case math.IsNaN(v):
		return append(b, "NaN"...)
	}
	return appendFloat(b, v)
}

// appendXMLValue appends an attribute value as the XML Schema type its
// kind is published as. The store types values by column, but SQLite
// lets a column hold anything, so each kind copes with the other Go types.
func appendXMLValue(b []byte, v any, kind filter.Kind) []byte {
	switch x := v.(type) {
	case string:
		return appendXML(b, x)
	case int64:
		if kind == filter.Boolean {
			return strconv.AppendBool(b, x != 0)
		}
		return strconv.AppendInt(b, x, 10)
	case int:
		return strconv.AppendInt(b, int64(x), 10)
	case float64:
		if kind == filter.Integer && x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			return strconv.AppendInt(b, int64(x), 10)
		}
		return appendXSDDouble(b, x)
	case bool:
		return strconv.AppendBool(b, x)
	case time.Time:
		return appendXML(b, formatTime(x, kind))
	case []byte:
		if kind == filter.Binary {
			return base64.StdEncoding.AppendEncode(b, x)
		}
		return appendXML(b, string(x))
	}
	return appendXML(b, fmt.Sprint(v))
}

// appendJSONValue appends an attribute value as JSON.
func appendJSONValue(b []byte, v any, kind filter.Kind) []byte {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...)
	case string:
		return appendJSONString(b, x)
	case int64:
		if kind == filter.Boolean {
			return strconv.AppendBool(b, x != 0)
		}
		return strconv.AppendInt(b, x, 10)
	case int:
		return strconv.AppendInt(b, int64(x), 10)
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return append(b, "null"...)
		}
		return appendFloat(b, x)
	case bool:
		return strconv.AppendBool(b, x)
	case time.Time:
		return appendJSONString(b, formatTime(x, kind))
	case []byte:
		if kind == filter.Binary {
			b = append(b, '"')
			b = base64.StdEncoding.AppendEncode(b, x)
			return append(b, '"')
		}
		return appendJSONString(b, string(x))
	}
	return appendJSONString(b, fmt.Sprint(v))
}

// formatTime writes a date as xsd:date and anything else as xsd:dateTime.
func formatTime(t time.Time, kind filter.Kind) string {
	if kind == filter.Date {
		return t.Format(time.DateOnly)
	}
	return t.Format(time.RFC3339Nano)
}
