package mvt

import (
	"sync"

	"github.com/tuiles/tuiles/internal/crs"
)

// maxIdleTransformers bounds the transformers kept per pair of CRSs.
const maxIdleTransformers = 16

// transformers keeps PROJ transformers between tiles: creating one costs
// about a millisecond (PROJ reads its database), as much as encoding a
// small tile. A crs.Transformer serialises its callers, so each pair of
// CRSs gets a free list and an Encode holds its transformers alone while
// it uses them. (A sync.Pool would drop them at every GC.) This mirrors
// render's pool: render/mvt shares render's rank in the layering and so
// cannot import it. The zero value is ready to use.
type transformers struct {
	mu   sync.Mutex
	idle map[[2]crs.CRS][]*crs.Transformer
}

// get returns a transformer from one CRS to another; give it back with
// put when done.
func (t *transformers) get(from, to crs.CRS) (*crs.Transformer, error) {
	key := [2]crs.CRS{from, to}
	t.mu.Lock()
	if l := t.idle[key]; len(l) > 0 {
		tr := l[len(l)-1]
		t.idle[key] = l[:len(l)-1]
		t.mu.Unlock()
		return tr, nil
	}
	t.mu.Unlock()
	return crs.NewTransformer(from, to)
}

func (t *transformers) put(tr *crs.Transformer) {
	key := [2]crs.CRS{tr.From, tr.To}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.idle == nil {
		t.idle = make(map[[2]crs.CRS][]*crs.Transformer)
	}
	if len(t.idle[key]) < maxIdleTransformers {
		t.idle[key] = append(t.idle[key], tr)
	}
}
