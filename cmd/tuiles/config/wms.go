package config

import (
	"fmt"
	"time"

	"github.com/tuiles/tuiles/internal/crs"
)

// Defaults of the wms section.
const (
	DefaultWMSMaxSize     = 4096
	DefaultWMSMaxFeatures = 1_000_000
	DefaultWMSTimeout     = 30 * time.Second
	DefaultWMSMaxLayers   = 100
)

// DefaultWMSCRS is the CRS list WMS capabilities advertise when wms.crs
// is left out.
func DefaultWMSCRS() []string {
	return []string{"EPSG:3857", "EPSG:4326", "CRS:84", "EPSG:2154", "EPSG:3035", "EPSG:4258"}
}

// WMS configures the map service.
type WMS struct {
	// CRS lists the CRSs advertised and accepted, such as EPSG:2154.
	CRS []string `yaml:"crs"`
	// MaxWidth and MaxHeight bound GetMap and GetFeatureInfo sizes.
	MaxWidth  int `yaml:"max_width"`
	MaxHeight int `yaml:"max_height"`
	// MaxLayers bounds the names in one request's LAYERS.
	MaxLayers int `yaml:"max_layers"`
	// MaxFeatures bounds the features read for one map.
	MaxFeatures int `yaml:"max_features"`
	// Timeout cancels a map that takes longer to draw.
	Timeout Duration `yaml:"timeout"`
	// Groups are layer groups: nodes of the capabilities layer tree that
	// GetMap can also draw as one layer.
	Groups []Group `yaml:"groups"`
}

// Group is a WMS layer group.
type Group struct {
	Name     string   `yaml:"name"`
	Title    string   `yaml:"title"`
	Abstract string   `yaml:"abstract"`
	Keywords []string `yaml:"keywords"`
	// Layers are the member layers' names, bottom first.
	Layers []string `yaml:"layers"`
}

func defaultWMS() WMS {
	return WMS{MaxWidth: DefaultWMSMaxSize, MaxHeight: DefaultWMSMaxSize, MaxLayers: DefaultWMSMaxLayers, MaxFeatures: DefaultWMSMaxFeatures, Timeout: Duration(DefaultWMSTimeout)}
}

func (c *Config) validateWMS() Problems {
	var ps Problems
	w := c.WMS
	if w.CRS == nil {
		c.WMS.CRS = DefaultWMSCRS()
	} else if len(w.CRS) == 0 {
		ps = append(ps, c.Problemf("wms.crs", "the list is empty; leave it out for the default %v", DefaultWMSCRS()))
	}
	for i, s := range w.CRS {
		key := fmt.Sprintf("wms.crs[%d]", i)
		parsed, err := crs.Parse(s)
		if err == nil {
			_, err = crs.Lookup(parsed)
		}
		if err != nil {
			ps = append(ps, c.Problemf(key, "%q is not a CRS tuiles knows: %v", s, err))
		}
	}
	for _, kv := range []struct {
		key string
		v   int
	}{{"wms.max_width", w.MaxWidth}, {"wms.max_height", w.MaxHeight}} {
		if kv.v < 1 || kv.v > 16384 {
			ps = append(ps, c.Problemf(kv.key, "%d is not a size from 1 to 16384 pixels", kv.v))
		}
	}
	if w.MaxLayers < 1 || w.MaxLayers > 10000 {
		ps = append(ps, c.Problemf("wms.max_layers", "%d is not a number of layers from 1 to 10000", w.MaxLayers))
	}
	if w.MaxFeatures < 1 {
		ps = append(ps, c.Problemf("wms.max_features", "%d is not a positive number of features", w.MaxFeatures))
	}
	if w.Timeout <= 0 {
		ps = append(ps, c.Problemf("wms.timeout", "%s is not a positive duration", w.Timeout))
	}
	names := map[string]bool{}
	for _, l := range c.Layers {
		names[l.Name] = true
	}
	for i, g := range w.Groups {
		key := fmt.Sprintf("wms.groups[%d]", i)
		switch {
		case !validLayerName(g.Name):
			ps = append(ps, c.Problemf(key+".name", "%q is not a name (letters, digits, '_', '.', '-')", g.Name))
		case names[g.Name]:
			ps = append(ps, c.Problemf(key+".name", "%q is already the name of a layer or group", g.Name))
		}
		names[g.Name] = true
		if len(g.Layers) == 0 {
			ps = append(ps, c.Problemf(key+".layers", "a group needs at least one layer"))
		}
	}
	return ps
}
