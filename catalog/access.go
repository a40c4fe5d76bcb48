package catalog

import (
	"crypto/sha256"
	"encoding/hex"
	"sync"

	"github.com/tuiles/tuiles/tiling"
)

// HashAccessKey is the hash layers keep of their access key (SHA-256,
// hex): keys are long random secrets, so a fast hash suffices.
func HashAccessKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// Restricted tells whether some layer of the catalog needs an access key.
func (c *Catalog) Restricted() bool {
	for _, l := range c.layers {
		if l.AccessKeyHash != "" {
			return true
		}
	}
	return false
}

// Visible is the catalog as seen by a request carrying the access key
// whose hash is keyHash ("" for none): public layers, and the restricted
// layers of that key. Restricted layers of other keys are left out, from
// groups too, so that no protocol can list, draw or serve them. Views are
// made once per key and catalog.
func (c *Catalog) Visible(keyHash string) *Catalog {
	if c.views == nil {
		return c
	}
	visible := func(l *Layer) bool { return l.AccessKeyHash == "" || l.AccessKeyHash == keyHash }
	// Keys that open nothing share the public view, so that random keys
	// cannot grow the cache.
	opens := false
	for _, l := range c.layers {
		if l.AccessKeyHash != "" && l.AccessKeyHash == keyHash {
			opens = true
		}
	}
	if !opens {
		keyHash = ""
	}
	if v, ok := c.views.Load(keyHash); ok {
		return v.(*Catalog)
	}
	var layers []*Layer
	for _, l := range c.layers {
		if visible(l) {
			layers = append(layers, l)
		}
	}
	v, err := New(c.Service, layers)
	if err == nil && len(c.groups) > 0 {
		var groups []Group
		for _, g := range c.groups {
			var members []string
			for _, name := range g.Layers {
				if _, ok := v.byName[name]; ok {
					members = append(members, name)
				}
			}
			if len(members) > 0 {
				gg := *g
				gg.Layers = members
				groups = append(groups, gg)
			}
		}
		v, err = v.WithGroups(groups)
	}
	if err != nil {
		// A subset of a valid catalog is valid; should it not be, serve
		// nothing rather than fail open.
		v = &Catalog{Service: c.Service, byName: map[string]*Layer{}, setByID: map[string]*tiling.TileMatrixSet{}}
	}
	v.Built = c.Built
	v.views = nil
	actual, _ := c.views.LoadOrStore(keyHash, v)
	return actual.(*Catalog)
}

// withViews enables Visible's cache when some layer is restricted.
func (c *Catalog) withViews() {
	if c.Restricted() {
		c.views = &sync.Map{}
	}
}
