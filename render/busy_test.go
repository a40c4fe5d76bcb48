package render

import (
	"context"
	"errors"
	"iter"
	"testing"
	"time"

	"github.com/tuiles/tuiles/internal/crs"
	"github.com/tuiles/tuiles/store"
)

// blockingSource is a store whose feature reads wait until release is
// closed, so that renders stay in flight.
type blockingSource struct {
	store.Source
	started chan struct{}
	release chan struct{}
}

func (b *blockingSource) Features(ctx context.Context, q store.Query) iter.Seq2[store.Feature, error] {
	return func(yield func(store.Feature, error) bool) {
		b.started <- struct{}{}
		select {
		case <-b.release:
		case <-ctx.Done():
		}
	}
}

// Past MaxConcurrent running renders and MaxQueue waiting ones, Render
// answers ErrBusy at once; slots free up as renders end.
func TestRenderBusy(t *testing.T) {
	src := &blockingSource{Source: newFixture(t), started: make(chan struct{}, 4), release: make(chan struct{})}
	r := New(Options{MaxConcurrent: 1, MaxQueue: 1})
	req := Request{CRS: crs.WGS84, BBox: testBBox4326, Width: 30, Height: 20, Layers: []Layer{{Source: src, Table: "polys"}}}
	done := make(chan error, 2)
	go func() { _, err := r.Render(context.Background(), req); done <- err }()
	<-src.started // the first holds the slot
	go func() { _, err := r.Render(context.Background(), req); done <- err }()
	deadline := time.Now().Add(5 * time.Second)
	for r.waiting.Load() != 1 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if _, err := r.Render(context.Background(), req); !errors.Is(err, ErrBusy) {
		t.Fatalf("third render: err %v, want ErrBusy", err)
	}
	close(src.release)
	for range 2 {
		if err := <-done; err != nil {
			t.Errorf("queued render: %v", err)
		}
	}
	if _, err := r.Render(context.Background(), Request{CRS: crs.WGS84, BBox: testBBox4326, Width: 30, Height: 20}); err != nil {
		t.Errorf("render after the flood: %v", err)
	}
}
