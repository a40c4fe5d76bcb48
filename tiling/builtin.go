package tiling

import (
	"embed"
	"fmt"
	"sort"
	"strings"
)

//go:embed definitions/*.json
var definitions embed.FS

// BuiltinNames lists the tile matrix sets compiled into the binary.
func BuiltinNames() []string {
	entries, _ := definitions.ReadDir("definitions")
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, strings.TrimSuffix(e.Name(), ".json"))
	}
	sort.Strings(names)
	return names
}

// Builtin parses the built-in set with the given identifier
// (WebMercatorQuad, WorldCRS84Quad, PM, LAMB93). Each call returns a fresh
// value, so callers may keep it without sharing mutable state.
func Builtin(id string) (*TileMatrixSet, error) {
	for _, n := range BuiltinNames() {
		if n == id {
			data, err := definitions.ReadFile("definitions/" + n + ".json")
			if err != nil {
				return nil, err
			}
			return ParseTileMatrixSet("built-in "+n, data)
		}
	}
	return nil, fmt.Errorf("no built-in tile matrix set %q (built-ins: %s)", id, strings.Join(BuiltinNames(), ", "))
}
