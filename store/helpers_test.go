package store

import (
	"context"
	"iter"
	"path/filepath"
	"testing"
)

// newStore opens a new writable store in a temporary directory.
func newStore(t testing.TB) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "store.gpkg")
	s, err := Open(context.Background(), path, Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

// writeLayer writes feats into a layer in one committed transaction.
func writeLayer(t testing.TB, s *Store, spec Layer, mode WriteMode, feats []Feature) {
	t.Helper()
	ctx := context.Background()
	w, err := s.Write(ctx, spec, mode)
	if err != nil {
		t.Fatalf("Write %s: %v", spec.Name, err)
	}
	defer w.Rollback()
	for _, f := range feats {
		if err := w.Add(ctx, f); err != nil {
			t.Fatalf("Add: %v", err)
		}
	}
	if err := w.Commit(ctx); err != nil {
		t.Fatalf("Commit: %v", err)
	}
}

// collect drains a feature stream, failing on error.
func collect(t testing.TB, seq iter.Seq2[Feature, error]) []Feature {
	t.Helper()
	var out []Feature
	for f, err := range seq {
		if err != nil {
			t.Fatalf("Features: %v", err)
		}
		out = append(out, f)
	}
	return out
}

// streamErr drains a stream and returns its error.
func streamErr(seq iter.Seq2[Feature, error]) error {
	for _, err := range seq {
		if err != nil {
			return err
		}
	}
	return nil
}

func ids(fs []Feature) []int64 {
	out := make([]int64, len(fs))
	for i, f := range fs {
		out[i] = f.ID
	}
	return out
}
