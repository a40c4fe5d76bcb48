// Package syncbuf is a bytes.Buffer safe for concurrent use, for the logs
// tests collect from servers and processes while reading them.
package syncbuf

import (
	"bytes"
	"sync"
)

// Buffer is written by one side (a logger, a process's output) while the
// other reads it.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

// String is what was written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
