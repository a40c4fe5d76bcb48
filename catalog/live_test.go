package catalog

import (
	"context"
	"testing"
)

func TestLiveSwap(t *testing.T) {
	a, _ := New(Service{Title: "a"}, nil)
	b, _ := New(Service{Title: "b"}, nil)
	live := NewLive(a)
	if live.Current() != a || live.For(context.Background()) != a {
		t.Fatal("initial snapshot")
	}
	idle := 0
	if prev := live.Swap(b, func() { idle++ }); prev != a || live.Current() != b {
		t.Error("swap")
	}
	if idle != 1 {
		t.Errorf("a catalog no request uses is idle at once: %d calls", idle)
	}
}

// A pinned request keeps its snapshot across swaps, and the replaced
// catalog is reported idle only when the last request using it is done.
func TestLivePinning(t *testing.T) {
	a, _ := New(Service{Title: "a"}, nil)
	b, _ := New(Service{Title: "b"}, nil)
	c, _ := New(Service{Title: "c"}, nil)
	live := NewLive(a)
	ctx1, release1 := live.Pin(context.Background())
	ctx2, release2 := live.Pin(context.Background())
	var idleA, idleB int
	live.Swap(b, func() { idleA++ })
	if live.For(ctx1) != a || live.For(ctx2) != a || live.For(context.Background()) != b {
		t.Fatal("pinned requests lost their snapshot")
	}
	ctx3, release3 := live.Pin(context.Background())
	if live.For(ctx3) != b {
		t.Fatal("a new request does not see the new catalog")
	}
	release1()
	release1() // releasing twice counts once
	if idleA != 0 {
		t.Fatal("a reported idle while a request still uses it")
	}
	release2()
	if idleA != 1 {
		t.Fatalf("a reported idle %d times after its last request", idleA)
	}
	live.Swap(c, func() { idleB++ })
	if idleB != 0 {
		t.Fatal("b reported idle while pinned")
	}
	release3()
	if idleB != 1 || idleA != 1 {
		t.Errorf("idle calls: a %d, b %d", idleA, idleB)
	}
	// Nothing loaded: pinning is a no-op.
	empty := NewLive(nil)
	ctx, release := empty.Pin(context.Background())
	release()
	if empty.For(ctx) != nil {
		t.Error("a catalog out of nothing")
	}
}
