package testkit

import (
	"bytes"
	"io"
	"sync"

	"github.com/sirupsen/logrus"
)

// QuietLogger returns a logger that discards what the code under test
// logs.
func QuietLogger() *logrus.Logger {
	l := logrus.New()
	l.SetOutput(io.Discard)
	return l
}

// Buffer is a bytes.Buffer that a logger, a command's stderr or a plugin
// may write to while the test reads it. The zero value is ready to use.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p to the buffer.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

// String returns what was written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// Log records what callbacks report from any goroutine, such as the events
// a retry or call observer sees, for the test to read. The zero value is
// ready to use.
type Log[T any] struct {
	mu    sync.Mutex
	items []T
}

// Add records v; it is the callback, e.g. WithRetryObserver(log.Add).
func (l *Log[T]) Add(v T) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.items = append(l.items, v)
}

// All returns what was recorded so far, in order.
func (l *Log[T]) All() []T {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]T(nil), l.items...)
}

// Take returns what was recorded since the last Take, and forgets it.
func (l *Log[T]) Take() []T {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.items
	l.items = nil
	return out
}
