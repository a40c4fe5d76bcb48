package config

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
)

// Duration is a time span written as a Go duration ("1h", "90s") or as a
// number of seconds (3600), the unit HTTP caching headers use.
type Duration time.Duration

// UnmarshalYAML reads a duration.
func (d *Duration) UnmarshalYAML(data []byte) error {
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		return err
	}
	switch x := v.(type) {
	case uint64:
		return d.setSeconds(float64(x))
	case int64:
		return d.setSeconds(float64(x))
	case float64:
		return d.setSeconds(x)
	case string:
		s := strings.TrimSpace(x)
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return d.setSeconds(f)
		}
		p, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("%q is not a duration (write 1h, 30m, 90s or a number of seconds)", x)
		}
		*d = Duration(p)
		return nil
	}
	return errors.New("want a duration such as 1h, 30m, 90s or a number of seconds")
}

func (d *Duration) setSeconds(s float64) error {
	if math.IsNaN(s) || math.Abs(s) > math.MaxInt64/float64(time.Second) {
		return fmt.Errorf("%g seconds is not a usable duration", s)
	}
	*d = Duration(time.Duration(s * float64(time.Second)))
	return nil
}

// String writes the duration the Go way.
func (d Duration) String() string { return time.Duration(d).String() }

// Color is an opaque RGB colour written #rrggbb or #rgb. The # may be left
// out, which spares YAML users the quotes an unquoted # (a comment) needs.
type Color struct {
	R, G, B uint8
}

// UnmarshalYAML reads a colour.
func (c *Color) UnmarshalYAML(data []byte) error {
	var s string
	if err := yaml.Unmarshal(data, &s); err != nil {
		return errors.New(`want a colour such as "#ffffff"`)
	}
	p, err := ParseColor(s)
	if err != nil {
		return err
	}
	*c = p
	return nil
}

// ParseColor reads #rrggbb, #rgb, rrggbb or rgb.
func ParseColor(s string) (Color, error) {
	hex := strings.TrimPrefix(strings.TrimSpace(s), "#")
	if len(hex) == 3 {
		hex = string([]byte{hex[0], hex[0], hex[1], hex[1], hex[2], hex[2]})
	}
	if len(hex) != 6 {
		return Color{}, fmt.Errorf(`%q is not a colour (want "#rrggbb" or "#rgb")`, s)
	}
	v, err := strconv.ParseUint(hex, 16, 32)
	if err != nil {
		return Color{}, fmt.Errorf(`%q is not a colour (want "#rrggbb" or "#rgb")`, s)
	}
	return Color{uint8(v >> 16), uint8(v >> 8), uint8(v)}, nil
}

// String writes #rrggbb.
func (c Color) String() string { return fmt.Sprintf("#%02x%02x%02x", c.R, c.G, c.B) }

// RGB returns the colour as the catalog stores it.
func (c Color) RGB() [3]uint8 { return [3]uint8{c.R, c.G, c.B} }
