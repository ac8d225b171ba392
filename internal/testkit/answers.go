package testkit

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// ReadBody returns fn preceded by reading the request's whole body, as a
// plugin does before it answers: the client has then sent its request
// whole. fn reads the body again from req.Body. A body that cannot be read
// closes the connection.
func ReadBody(fn RawFunc) RawFunc {
	return func(conn net.Conn, n int, req *http.Request) bool {
		body, err := io.ReadAll(req.Body)
		if err != nil {
			return false
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
		return fn(conn, n, req)
	}
}

// Answer returns a RawFunc that reads the request's body, then writes raw
// (a status line, headers and a body, well-formed or not) and keeps the
// connection if keep.
func Answer(raw string, keep bool) RawFunc {
	return ReadBody(func(conn net.Conn, _ int, _ *http.Request) bool {
		_, _ = io.WriteString(conn, raw)
		return keep
	})
}

// AnswerEarly returns a RawFunc that answers status with a JSON body at
// once, without reading the request's body, then neither reads nor closes
// the connection for hold (or until the test ends), as a plugin refusing
// an upload may.
func AnswerEarly(status int, body string, hold time.Duration) RawFunc {
	return func(conn net.Conn, _ int, req *http.Request) bool {
		_, _ = fmt.Fprintf(conn, "HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
			status, len(body), body)
		wait(req, hold)
		return false
	}
}

// Drop reads the request's body and closes the connection without an
// answer, as a plugin that crashes on a request does.
func Drop(_ net.Conn, _ int, req *http.Request) bool {
	_, _ = io.Copy(io.Discard, req.Body)
	return false
}

// Hang reads the request's body and never answers; the connection is
// closed once the client hangs up, or when the test ends.
func Hang(conn net.Conn, _ int, req *http.Request) bool {
	if _, err := io.Copy(io.Discard, req.Body); err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, conn) // until the client or the cleanup closes it
	return false
}

// HoldOpen returns a handler that answers status with body, chunked, then
// keeps the answer open for hold, or until the client goes away or the test
// ends: for clients that must not wait for the end of an answer they have
// decoded.
func HoldOpen(t TB, status int, body string, hold time.Duration) http.HandlerFunc {
	stop := make(chan struct{})
	t.Cleanup(func() { close(stop) })
	return func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
		w.(http.Flusher).Flush()
		timer := time.NewTimer(hold)
		defer timer.Stop()
		select {
		case <-stop:
		case <-r.Context().Done():
		case <-timer.C:
		}
	}
}

// wait waits for d, or until req's context ends.
func wait(req *http.Request, d time.Duration) {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
	case <-req.Context().Done():
	}
}
