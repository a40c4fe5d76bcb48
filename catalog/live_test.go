package catalog

import (
	"context"
	"strings"
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
	ctx1, release1 := live.Pin(context.Background(), "")
	ctx2, release2 := live.Pin(context.Background(), "")
	var idleA, idleB int
	live.Swap(b, func() { idleA++ })
	if live.For(ctx1) != a || live.For(ctx2) != a || live.For(context.Background()) != b {
		t.Fatal("pinned requests lost their snapshot")
	}
	ctx3, release3 := live.Pin(context.Background(), "")
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
	ctx, release := empty.Pin(context.Background(), "")
	release()
	if empty.For(ctx) != nil {
		t.Error("a catalog out of nothing")
	}
}

// A restricted layer exists only for requests with its key: not in the
// layer list, not by name, not in groups.
func TestRestrictedLayers(t *testing.T) {
	feats := &Features{Source: noFeatures{}, Table: "t"}
	secret := HashAccessKey("s3cret")
	c, err := New(Service{}, []*Layer{
		{Name: "public", Features: feats},
		{Name: "private", Features: feats, AccessKeyHash: secret},
		{Name: "other", Features: feats, AccessKeyHash: HashAccessKey("other")},
	})
	if err != nil {
		t.Fatal(err)
	}
	c, err = c.WithGroups([]Group{{Name: "g", Layers: []string{"public", "private"}}})
	if err != nil {
		t.Fatal(err)
	}
	live := NewLive(c)
	names := func(ctx context.Context) []string {
		var out []string
		for _, l := range live.For(ctx).Layers() {
			out = append(out, l.Name)
		}
		return out
	}
	for _, tc := range []struct {
		key  string
		want string
	}{{"", "public"}, {"wrong", "public"}, {"s3cret", "public private"}, {"other", "public other"}} {
		ctx, release := live.Pin(context.Background(), tc.key)
		got := strings.Join(names(ctx), " ")
		if got != tc.want {
			t.Errorf("key %q: layers %q, want %q", tc.key, got, tc.want)
		}
		_, private := live.For(ctx).Layer("private")
		g, _ := live.For(ctx).Group("g")
		if private != (tc.key == "s3cret") || (g != nil && len(g.Layers) != map[bool]int{true: 2, false: 1}[private]) {
			t.Errorf("key %q: private %v, group %+v", tc.key, private, g)
		}
		release()
	}
	// Random keys share the public view.
	if c.Visible(HashAccessKey("a")) != c.Visible(HashAccessKey("b")) {
		t.Error("each unknown key made its own view")
	}
}
