package tiletest

import (
	"context"
	"iter"

	"github.com/tuiles/tuiles/store"
)

// NoFeatures is a store.Source without tables, for catalogs that need a
// layer with features but whose tests never read them.
type NoFeatures struct{}

// Layers lists no table.
func (NoFeatures) Layers() []store.Layer { return nil }

// Layer finds nothing.
func (NoFeatures) Layer(string) (store.Layer, error) { return store.Layer{}, store.ErrNotFound }

// Features yields nothing.
func (NoFeatures) Features(context.Context, store.Query) iter.Seq2[store.Feature, error] {
	return func(func(store.Feature, error) bool) {}
}

// Count is always 0.
func (NoFeatures) Count(context.Context, store.Query) (int64, error) { return 0, nil }
