package crs

import "sync"

// Transformers keeps one Transformer per pair of CRSs: making one costs
// about a millisecond (PROJ reads its database), more than drawing a small
// tile, and a Transformer serves concurrent callers itself. The zero value
// is ready to use; it is safe for concurrent use and must not be copied
// after first use.
type Transformers struct {
	mu sync.Mutex
	m  map[[2]CRS]*Transformer
}

// Get returns the transformer from one CRS to another, made on first use.
func (t *Transformers) Get(from, to CRS) (*Transformer, error) {
	key := [2]CRS{from, to}
	t.mu.Lock()
	defer t.mu.Unlock()
	if tr, ok := t.m[key]; ok {
		return tr, nil
	}
	tr, err := NewTransformer(from, to)
	if err != nil {
		return nil, err
	}
	if t.m == nil {
		t.m = map[[2]CRS]*Transformer{}
	}
	t.m[key] = tr
	return tr, nil
}
