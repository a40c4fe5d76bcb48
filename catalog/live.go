package catalog

import (
	"context"
	"sync"
)

// Source gives the catalog in force. Protocol handlers take a Source, not a
// Catalog, so that a reload reaches them without rewiring.
type Source interface {
	// For is the catalog a request sees: the one pinned to ctx when the
	// server pinned one (see Live.Pin), else the latest.
	For(ctx context.Context) *Catalog
}

// Live holds the catalog in force, swaps in new ones atomically, and tells
// when a replaced catalog is no longer used by any request, so that what it
// holds open (stores, caches) can be closed without failing a request in
// flight.
type Live struct {
	mu  sync.Mutex
	cur *Catalog
	// pins counts the requests using each catalog; retired holds the
	// function to run once a replaced catalog has none left.
	pins    map[*Catalog]int
	retired map[*Catalog]func()
}

// NewLive starts with c (nil: not loaded yet).
func NewLive(c *Catalog) *Live {
	return &Live{cur: c, pins: map[*Catalog]int{}, retired: map[*Catalog]func(){}}
}

// Current returns the latest catalog.
func (l *Live) Current() *Catalog {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.cur
}

// pinKey is the context key of a pinned catalog.
type pinKey struct{}

// Pinned returns the catalog a server pinned to ctx, or nil.
func Pinned(ctx context.Context) *Catalog {
	c, _ := ctx.Value(pinKey{}).(*Catalog)
	return c
}

// For returns the catalog pinned to ctx, else the latest.
func (l *Live) For(ctx context.Context) *Catalog {
	if c, ok := ctx.Value(pinKey{}).(*Catalog); ok {
		return c
	}
	return l.Current()
}

// Pin makes the latest catalog the one ctx sees for its whole life, as
// seen with accessKey ("" for none; see Catalog.Visible): a request keeps
// one snapshot from start to end even when a reload swaps in another
// meanwhile. release must be called when the request is done.
func (l *Live) Pin(ctx context.Context, accessKey string) (context.Context, func()) {
	l.mu.Lock()
	c := l.cur
	if c == nil {
		l.mu.Unlock()
		return ctx, func() {}
	}
	l.pins[c]++
	l.mu.Unlock()
	keyHash := ""
	if accessKey != "" {
		keyHash = HashAccessKey(accessKey)
	}
	var once sync.Once
	return context.WithValue(ctx, pinKey{}, c.Visible(keyHash)), func() { once.Do(func() { l.unpin(c) }) }
}

func (l *Live) unpin(c *Catalog) {
	l.mu.Lock()
	l.pins[c]--
	var done func()
	if l.pins[c] == 0 {
		delete(l.pins, c)
		done = l.retired[c]
		delete(l.retired, c)
	}
	l.mu.Unlock()
	if done != nil {
		done()
	}
}

// Swap publishes c and returns the catalog it replaces. idle, when not
// nil, runs once no request uses the replaced catalog any more: at once
// if none does, else when the last pinned request releases it.
func (l *Live) Swap(c *Catalog, idle func()) *Catalog {
	l.mu.Lock()
	prev := l.cur
	l.cur = c
	if prev == nil || idle == nil {
		l.mu.Unlock()
		return prev
	}
	if l.pins[prev] > 0 {
		l.retired[prev] = idle
		l.mu.Unlock()
		return prev
	}
	l.mu.Unlock()
	idle()
	return prev
}
