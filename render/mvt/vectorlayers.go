package mvt

import (
	"encoding/json"
	"fmt"

	"github.com/tuiles/tuiles/store/filter"
)

// vectorLayer is one entry of the "vector_layers" array of TileJSON 3.0.0
// and of the MBTiles 1.3 "json" metadata.
type vectorLayer struct {
	ID          string            `json:"id"`
	Description string            `json:"description"`
	MinZoom     int               `json:"minzoom"`
	MaxZoom     int               `json:"maxzoom"`
	Fields      map[string]string `json:"fields"`
}

// VectorLayersJSON returns the TileJSON/MBTiles "vector_layers" array
// describing what Encode writes for layers: for each layer its id (the MVT
// layer name), description (the table's, else its title), zoom range and
// fields with their MBTiles types ("String", "Number", "Boolean"; dates
// are String since Encode writes them as RFC 3339 text). minZoom and
// maxZoom are the zoom range of the tileset: each layer's range is
// clamped to it (a layer MaxZoom of 0 becomes maxZoom), since clients read
// these numbers literally, and layers that fall outside it are left out.
// Fields follow Layer.Properties and leave out binary columns, as Encode
// does.
func VectorLayersJSON(layers []Layer, minZoom, maxZoom int) (json.RawMessage, error) {
	if maxZoom < minZoom {
		return nil, fmt.Errorf("mvt: zoom range %d..%d is empty", minZoom, maxZoom)
	}
	out := []vectorLayer{}
	seen := make(map[string]bool, len(layers))
	for _, l := range layers {
		if seen[l.name()] {
			return nil, fmt.Errorf("mvt: two layers named %q", l.name())
		}
		seen[l.name()] = true
		lo, hi := max(l.MinZoom, minZoom), maxZoom
		if l.MaxZoom != 0 {
			hi = min(l.MaxZoom, maxZoom)
		}
		if lo > hi {
			continue
		}
		info, err := l.Source.Layer(l.Table)
		if err != nil {
			return nil, fmt.Errorf("mvt: layer %q: %w", l.name(), err)
		}
		fields, err := selectFields(info, l.Properties)
		if err != nil {
			return nil, fmt.Errorf("mvt: layer %q: %w", l.name(), err)
		}
		vl := vectorLayer{ID: l.name(), Description: info.Description, MinZoom: lo, MaxZoom: hi, Fields: make(map[string]string, len(fields))}
		if vl.Description == "" {
			vl.Description = info.Title
		}
		for _, f := range fields {
			vl.Fields[f.Name] = fieldType(f.Kind)
		}
		out = append(out, vl)
	}
	data, err := json.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("mvt: %w", err)
	}
	return data, nil
}

// fieldType is the MBTiles 1.3 type name of the values Encode writes for
// a field of kind k.
func fieldType(k filter.Kind) string {
	switch k {
	case filter.Integer, filter.Real:
		return "Number"
	case filter.Boolean:
		return "Boolean"
	default:
		return "String"
	}
}
