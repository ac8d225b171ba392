package plugins

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
)

// requestBody gives each attempt of a call its body, whole.
type requestBody interface {
	// reader returns the body of the next attempt and its length when it
	// is known and cannot be told from the reader's type (else -1).
	reader() (io.Reader, int64)
	// replay readies the body to be sent again after a failed attempt, or
	// says why it cannot be sent again whole.
	replay(ctx context.Context) error
}

// bytesBody is an encoded body: every attempt reads it from the start.
type bytesBody []byte

// reader returns a *bytes.Reader, so the request gets a Content-Length (and
// an empty body NoBody) exactly as the engine's bytes.Buffer did.
func (b bytesBody) reader() (io.Reader, int64) { return bytes.NewReader(b), -1 }

func (b bytesBody) replay(context.Context) error { return nil }

var errBodyClosed = errors.New("request body read after the request ended")

// readerBody is SendFile's body: the caller's reader, streamed, and
// replayed from a snapshot or by seeking back when a retry needs it.
type readerBody struct {
	src    io.Reader
	buf    *bytes.Buffer // the caller's buffer, drained once the call ends
	length int64         // -1 when unknown (sent chunked)
	seeker io.Seeker
	start  int64
	cur    *attemptBody
}

func newReaderBody(r io.Reader) *readerBody {
	b := &readerBody{src: r, length: -1}
	switch v := r.(type) {
	case nil:
		b.src, b.length = http.NoBody, 0
	case *bytes.Buffer:
		// Read a snapshot: the engine's retry resent a drained, empty buffer.
		b.src, b.buf, b.length = bytes.NewReader(v.Bytes()), v, int64(v.Len())
	case *bytes.Reader:
		b.length = int64(v.Len())
	case *strings.Reader:
		b.length = int64(v.Len())
	}
	if s, ok := b.src.(io.Seeker); ok {
		if off, err := s.Seek(0, io.SeekCurrent); err == nil {
			b.seeker, b.start = s, off
		}
	}
	return b
}

func (b *readerBody) reader() (io.Reader, int64) {
	if b.length == 0 {
		return http.NoBody, -1
	}
	b.cur = &attemptBody{src: b.src, released: make(chan struct{})}
	return b.cur, b.length
}

// replay waits until the failed attempt no longer reads the body (net/http
// may still read it after RoundTrip returned), then rewinds it.
func (b *readerBody) replay(ctx context.Context) error {
	a := b.cur
	if a == nil {
		return nil
	}
	if err := a.wait(ctx); err != nil {
		return err
	}
	switch {
	case a.sent == 0:
		return nil
	case b.seeker != nil:
		if _, err := b.seeker.Seek(b.start, io.SeekStart); err != nil {
			return fmt.Errorf("rewinding the request body: %w", err)
		}
		return nil
	default:
		return fmt.Errorf("%d bytes of the request body were sent and its reader cannot be rewound", a.sent)
	}
}

// finish waits until no attempt reads the caller's reader any more, so that
// it is the caller's again when SendFile returns, and drains a buffer.
func (b *readerBody) finish(ctx context.Context) {
	if b.cur != nil {
		_ = b.cur.wait(ctx)
	}
	if b.buf != nil {
		b.buf.Next(int(b.length))
	}
}

// attemptBody is the body of one attempt. Once closed it reads nothing, and
// released is closed when it is closed and no read is in progress.
type attemptBody struct {
	src      io.Reader
	mu       sync.Mutex
	reading  bool
	closed   bool
	sent     int64 // guarded by mu; final once released
	released chan struct{}
}

func (a *attemptBody) Read(p []byte) (int, error) {
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		return 0, errBodyClosed
	}
	a.reading = true
	a.mu.Unlock()

	n, err := a.src.Read(p)

	a.mu.Lock()
	a.reading = false
	a.sent += int64(n)
	if a.closed {
		close(a.released)
	}
	a.mu.Unlock()
	return n, err
}

// Close is called by net/http when it is done with the body.
func (a *attemptBody) Close() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.closed {
		a.closed = true
		if !a.reading {
			close(a.released)
		}
	}
	return nil
}

// wait returns once the attempt's body is released, or ctx is done.
func (a *attemptBody) wait(ctx context.Context) error {
	select {
	case <-a.released:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
