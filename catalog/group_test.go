package catalog

import (
	"strings"
	"testing"
)

func TestWithGroups(t *testing.T) {
	feats := &Features{Source: noFeatures{}, Table: "t"}
	c, err := New(Service{}, []*Layer{
		{Name: "a", Features: feats},
		{Name: "b", Raster: "b.tif"},
		{Name: "c", Features: feats, Services: []Protocol{WFS}},
	})
	if err != nil {
		t.Fatal(err)
	}
	g, err := c.WithGroups([]Group{{Name: "ab", Title: "A and B", Layers: []string{"a", "b"}}})
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := g.Group("ab"); !ok || got.Title != "A and B" || len(g.Groups()) != 1 {
		t.Errorf("group ab: %+v %v", got, ok)
	}
	if _, ok := c.Group("ab"); ok {
		t.Error("WithGroups changed the original catalog")
	}
	if _, ok := g.Layer("a"); !ok {
		t.Error("the copy lost its layers")
	}
	for name, groups := range map[string][]Group{
		"no name":           {{Layers: []string{"a"}}},
		"name of a layer":   {{Name: "a", Layers: []string{"b"}}},
		"twice":             {{Name: "g", Layers: []string{"a"}}, {Name: "g", Layers: []string{"b"}}},
		"empty":             {{Name: "g"}},
		"unknown member":    {{Name: "g", Layers: []string{"zz"}}},
		"member not in wms": {{Name: "g", Layers: []string{"c"}}},
		"in two groups":     {{Name: "g", Layers: []string{"a"}}, {Name: "h", Layers: []string{"a"}}},
	} {
		if _, err := c.WithGroups(groups); err == nil || !strings.HasPrefix(err.Error(), "catalog: ") {
			t.Errorf("%s: err %v, want a catalog error", name, err)
		}
	}
}
