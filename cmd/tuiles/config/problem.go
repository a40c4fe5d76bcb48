package config

import (
	"strconv"
	"strings"
)

// Position is a place in the configuration file. Line and Col count from 1;
// 0 means unknown.
type Position struct {
	Line, Col int
}

// Problem is one thing wrong with a configuration.
type Problem struct {
	// File is the configuration file as named to Load.
	File string
	// Line and Col locate the offending value, or are 0 when unknown.
	Line, Col int
	// Key is the path of the offending key, as in layers[1].tiles.formats;
	// empty for problems with the file as a whole.
	Key string
	Msg string
	// Unavailable marks a sound setting naming a file that cannot be used
	// now (missing): a server leaves the layer out rather than refusing
	// the whole configuration.
	Unavailable bool
}

func unavailable(p Problem) Problem {
	p.Unavailable = true
	return p
}

// OnlyUnavailable tells whether every problem is about a file that cannot
// be used now, none about the configuration itself.
func (ps Problems) OnlyUnavailable() bool {
	for _, p := range ps {
		if !p.Unavailable {
			return false
		}
	}
	return true
}

// Error formats the problem as file:line:col: key: message, leaving out the
// parts that are unknown, so editors and CI logs can jump to the line.
func (p Problem) Error() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		b.WriteString(":" + strconv.Itoa(p.Line))
		if p.Col > 0 {
			b.WriteString(":" + strconv.Itoa(p.Col))
		}
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	if p.Key != "" {
		b.WriteString(p.Key + ": ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// Problems is every problem found in a configuration. Load returns it as its
// error, so that `tuiles check` can list them all rather than stopping at the
// first.
type Problems []Problem

// Error lists the problems one per line.
func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.Error()
	}
	return strings.Join(lines, "\n")
}

// About tells whether a problem concerns key or anything under it
// (About("layers[1]") covers layers[1].tiles.sets).
func (ps Problems) About(key string) bool {
	for _, p := range ps {
		if under(p.Key, key) {
			return true
		}
	}
	return false
}

// overlaps tells whether a problem concerns key, one of its descendants or
// one of its ancestors.
func (ps Problems) overlaps(key string) bool {
	for _, p := range ps {
		if under(p.Key, key) || under(key, p.Key) {
			return true
		}
	}
	return false
}

// under tells whether path is key or one of its descendants.
func under(path, key string) bool {
	if !strings.HasPrefix(path, key) {
		return false
	}
	rest := path[len(key):]
	return rest == "" || rest[0] == '.' || rest[0] == '['
}

// parent strips the last segment of a key path: layers[1].tiles → layers[1]
// → layers → "".
func parent(path string) string {
	i := strings.LastIndexAny(path, ".[")
	if i < 0 {
		return ""
	}
	return path[:i]
}
