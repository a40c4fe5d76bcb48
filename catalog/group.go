package catalog

import (
	"errors"
	"fmt"
)

// Group is a WMS layer group: a named node of the capabilities layer tree
// whose members are published layers. Requesting the group in GetMap
// draws its members in order, as GeoServer's layer groups and MapServer's
// GROUP do.
type Group struct {
	Name     string
	Title    string
	Abstract string
	Keywords []string
	// Layers are the names of the members, drawn in this order (the first
	// at the bottom).
	Layers []string
}

// WithGroups returns a copy of c with WMS layer groups. Group names must
// differ from every layer and group name; members must be layers
// published through WMS, each in one group at most (the capabilities
// layer tree is a tree).
func (c *Catalog) WithGroups(groups []Group) (*Catalog, error) {
	out := *c
	out.views = nil
	out.withViews()
	out.groups = nil
	out.groupByName = map[string]*Group{}
	member := map[string]string{}
	for i := range groups {
		g := groups[i]
		if g.Name == "" {
			return nil, errors.New("catalog: a layer group has no name")
		}
		if _, dup := c.byName[g.Name]; dup {
			return nil, fmt.Errorf("catalog: layer group %q has the name of a layer", g.Name)
		}
		if _, dup := out.groupByName[g.Name]; dup {
			return nil, fmt.Errorf("catalog: layer group %q is defined twice", g.Name)
		}
		if len(g.Layers) == 0 {
			return nil, fmt.Errorf("catalog: layer group %q has no layers", g.Name)
		}
		for _, name := range g.Layers {
			if _, ok := c.LayerFor(WMS, name); !ok {
				return nil, fmt.Errorf("catalog: layer group %q: layer %q is not published through WMS", g.Name, name)
			}
			if prev, ok := member[name]; ok {
				return nil, fmt.Errorf("catalog: layer %q is in layer groups %q and %q; a layer belongs to one group at most", name, prev, g.Name)
			}
			member[name] = g.Name
		}
		out.groups = append(out.groups, &g)
		out.groupByName[g.Name] = &g
	}
	return &out, nil
}

// Groups returns the WMS layer groups in configuration order. The slice
// must not be modified.
func (c *Catalog) Groups() []*Group { return c.groups }

// Group finds a WMS layer group by name.
func (c *Catalog) Group(name string) (*Group, bool) {
	g, ok := c.groupByName[name]
	return g, ok
}
