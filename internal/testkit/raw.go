package testkit

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
)

// RawFunc answers the n-th request (0 for the first) read on conn by
// writing whatever bytes it wants on conn, and reports whether to keep the
// connection for the next request. The body of req is unread: whatever is
// left of it is skipped before the next request. req's context ends when
// the test does, so that an answer that holds the connection can stop.
type RawFunc func(conn net.Conn, n int, req *http.Request) (keep bool)

// Raw is a plugin that speaks HTTP/1.1 by hand: it reads each request head
// with http.ReadRequest and leaves the answer, right or wrong, to a
// RawFunc. At cleanup it closes its listener and every connection, and
// waits for its goroutines, so that an answer that never ends does not
// hold the test.
type Raw struct {
	l        net.Listener
	ctx      context.Context
	cancel   context.CancelFunc
	conns    atomic.Int32
	requests atomic.Int32
	wg       sync.WaitGroup

	mu     sync.Mutex
	open   map[net.Conn]struct{}
	closed bool
}

// ServeRaw serves fn on l until cleanup.
func ServeRaw(t TB, l net.Listener, fn RawFunc) *Raw {
	ctx, cancel := context.WithCancel(context.Background())
	r := &Raw{l: l, ctx: ctx, cancel: cancel, open: make(map[net.Conn]struct{})}
	t.Cleanup(r.close)
	r.wg.Add(1)
	go r.accept(fn)
	return r
}

// ServeRawSocket serves fn on a UNIX socket at path (see ListenUnix).
func ServeRawSocket(t TB, path string, fn RawFunc) *Raw {
	t.Helper()
	return ServeRaw(t, ListenUnix(t, path), fn)
}

// Addr returns the address of the plugin: unix://PATH or tcp://HOST:PORT.
func (r *Raw) Addr() string {
	a := r.l.Addr()
	return a.Network() + "://" + a.String()
}

// Conns returns how many connections it accepted so far.
func (r *Raw) Conns() int { return int(r.conns.Load()) }

// Requests returns how many request heads it read so far.
func (r *Raw) Requests() int { return int(r.requests.Load()) }

func (r *Raw) accept(fn RawFunc) {
	defer r.wg.Done()
	for {
		conn, err := r.l.Accept()
		if err != nil {
			return
		}
		r.mu.Lock()
		if r.closed {
			r.mu.Unlock()
			_ = conn.Close()
			return
		}
		r.open[conn] = struct{}{}
		r.wg.Add(1)
		r.mu.Unlock()
		r.conns.Add(1)
		go r.serve(conn, fn)
	}
}

func (r *Raw) serve(conn net.Conn, fn RawFunc) {
	defer r.wg.Done()
	defer func() {
		r.mu.Lock()
		delete(r.open, conn)
		r.mu.Unlock()
		_ = conn.Close()
	}()
	br := bufio.NewReader(conn)
	for n := 0; ; n++ {
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		r.requests.Add(1)
		if !fn(conn, n, req.WithContext(r.ctx)) {
			return
		}
		if _, err := io.Copy(io.Discard, req.Body); err != nil {
			return
		}
	}
}

func (r *Raw) close() {
	r.cancel()
	_ = r.l.Close()
	r.mu.Lock()
	r.closed = true
	for c := range r.open {
		_ = c.Close()
	}
	r.mu.Unlock()
	r.wg.Wait()
}
