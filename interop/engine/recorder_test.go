package engine_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
)

// recorder is a plugin that speaks HTTP/1.1 by hand on a raw listener, so
// that it sees every byte a client sends: it records each request as read
// from the connection and answers it with answer.
type recorder struct {
	// answer returns a whole raw HTTP response, or "" to close the
	// connection without answering.
	answer func(req *http.Request) string

	mu     sync.Mutex
	reqs   []recorded
	conns  map[net.Conn]bool // open, closed when the test ends
	closed bool
}

// recorded is one request: its raw bytes, and the request parsed from them.
type recorded struct {
	raw  []byte
	req  *http.Request
	body []byte // decoded from chunks if it was chunked
}

// ok answers 200 with a JSON body and a Content-Length.
func ok(body string) func(*http.Request) string {
	return func(*http.Request) string { return rawResponse(http.StatusOK, "application/json", body) }
}

func rawResponse(status int, contentType, body string) string {
	return fmt.Sprintf("HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n%s",
		status, http.StatusText(status), contentType, len(body), body)
}

// serveRecorder serves a recorder on l until the test ends.
func serveRecorder(t *testing.T, l net.Listener, answer func(*http.Request) string) *recorder {
	r := &recorder{answer: answer, conns: make(map[net.Conn]bool)}
	r.serve(t, l, func(c net.Conn) { r.serveConn(t, c) }, nil)
	return r
}

// serve accepts connections on l and serves each with conn, in a goroutine
// of its own, until the test ends; then it runs stop, if set, closes l and
// every connection still open, and waits for them.
func (r *recorder) serve(t *testing.T, l net.Listener, conn func(net.Conn), stop func()) {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			if !r.track(c) {
				c.Close()
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer r.untrack(c)
				conn(c)
			}()
		}
	}()
	t.Cleanup(func() {
		if stop != nil {
			stop()
		}
		l.Close()
		r.closeConns()
		wg.Wait()
	})
}

// track registers an open connection, unless the recorder is closing.
func (r *recorder) track(c net.Conn) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return false
	}
	r.conns[c] = true
	return true
}

func (r *recorder) untrack(c net.Conn) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.conns, c)
	c.Close()
}

// closeConns closes the open connections, so that their serveConn return.
func (r *recorder) closeConns() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = true
	for c := range r.conns {
		c.Close()
	}
}

func (r *recorder) serveConn(t *testing.T, c net.Conn) {
	var raw bytes.Buffer
	br := bufio.NewReader(io.TeeReader(c, &raw))
	for {
		req, err := http.ReadRequest(br)
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				t.Logf("recorder: reading request: %v", err)
			}
			return
		}
		body, err := io.ReadAll(req.Body)
		if err != nil {
			t.Logf("recorder: reading body: %v", err)
			return
		}
		// The client waits for the answer before it sends anything else,
		// so what was read so far is this request, and only it.
		rec := recorded{raw: bytes.Clone(raw.Bytes()), req: req, body: body}
		raw.Reset()
		r.mu.Lock()
		r.reqs = append(r.reqs, rec)
		r.mu.Unlock()
		resp := r.answer(req)
		if resp == "" {
			return
		}
		if _, err := io.WriteString(c, resp); err != nil {
			return
		}
	}
}

// take returns the requests recorded since the last call.
func (r *recorder) take() []recorded {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.reqs
	r.reqs = nil
	return out
}
