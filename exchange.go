package plugins

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// userAgentLine and acceptLine frame the length header of every call, in
// the order and with the values net/http's Transport sends them, so that
// calls stay byte-identical to the engine's (less Accept-Encoding, which
// the engine sends only because its Transport would decompress the answer).
const (
	userAgentLine = "\r\nUser-Agent: Go-http-client/1.1\r\n"
	acceptLine    = "Accept: " + VersionMimetype + "\r\n\r\n"
)

// pastDeadline interrupts a connection's I/O at once.
var pastDeadline = time.Unix(1, 0)

// noResponseError is the failure of a request that got no byte of an
// answer: on a connection used before, the server may have closed it as
// the request went out, and the request is worth sending again.
type noResponseError struct{ err error }

func (e *noResponseError) Error() string { return e.err.Error() }
func (e *noResponseError) Unwrap() error { return e.err }

// roundTrip posts body to uri and returns the answer. A request that fails
// with no answer on a reused connection is sent again at once on a new
// connection when its body can be sent again whole: this is not a retry of
// the call, the plugin may just have closed an idle connection.
func (p *connPool) roundTrip(ctx context.Context, uri, host string, body requestBody) (*http.Response, error) {
	fresh := false
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		pc, err := p.get(ctx, fresh)
		if err != nil {
			return nil, err
		}
		resp, err := p.exchange(ctx, pc, uri, host, body)
		var nr *noResponseError
		if err == nil || !pc.reused || !errors.As(err, &nr) || ctx.Err() != nil {
			return resp, err
		}
		if body.replay() != nil {
			return nil, err // the call's retry says why the body cannot go again
		}
		fresh = true
	}
}

// exchange writes the request on pc and reads the head of the answer. The
// answer's body keeps pc until it is read whole or closed; on failure pc is
// closed. Cancelling ctx interrupts every read and write at once.
func (p *connPool) exchange(ctx context.Context, pc *pconn, uri, host string, body requestBody) (*http.Response, error) {
	var stop func() bool
	if ctx.Done() != nil {
		conn := pc.conn
		stop = context.AfterFunc(ctx, func() { _ = conn.SetDeadline(pastDeadline) })
	}
	fail := func(err error) (*http.Response, error) {
		if stop != nil {
			stop()
		}
		if cerr := ctx.Err(); cerr != nil {
			err = cerr // the deadline set to interrupt the I/O is no cause of its own
		}
		pc.conn.Close()
		return nil, err
	}

	werr := writeRequest(pc, uri, host, body)
	var rerr *bodyReadError
	if errors.As(werr, &rerr) {
		return fail(werr)
	}
	// A server may answer, and close, before reading all of the body; its
	// answer says more than the failed write, so look for one. Its head is
	// bounded; its body is the caller's to bound.
	pc.lr.n = maxResponseHeaderBytes
	if _, err := pc.br.Peek(1); err != nil {
		if werr != nil {
			err = werr
		}
		return fail(&noResponseError{err})
	}
	resp, err := readResponse(pc)
	if err != nil {
		return fail(err)
	}
	pc.lr.n = math.MaxInt64
	rb := &respBody{body: resp.Body, pc: pc, pool: p, stop: stop, keep: werr == nil && !resp.Close}
	if resp.Body == http.NoBody {
		rb.eof.Store(true)
	}
	resp.Body = rb
	return resp, nil
}

// writeRequest writes the head of a POST of body to uri, then the body.
func writeRequest(pc *pconn, uri, host string, body requestBody) error {
	bw := pc.bw
	_, _ = bw.WriteString("POST ")
	if uri[0] != '/' {
		_ = bw.WriteByte('/')
	}
	_, _ = bw.WriteString(uri)
	_, _ = bw.WriteString(" HTTP/1.1\r\nHost: ")
	_, _ = bw.WriteString(host)
	_, _ = bw.WriteString(userAgentLine)
	if n := body.size(); n >= 0 {
		_, _ = bw.WriteString("Content-Length: ")
		_, _ = bw.Write(strconv.AppendInt(pc.scratch[:0], n, 10))
		_, _ = bw.WriteString("\r\n")
	} else {
		_, _ = bw.WriteString("Transfer-Encoding: chunked\r\n")
	}
	_, _ = bw.WriteString(acceptLine)
	return body.write(pc)
}

// readResponse reads the head of the answer, skipping informational ones.
func readResponse(pc *pconn) (*http.Response, error) {
	for {
		resp, err := http.ReadResponse(pc.br, nil)
		if err != nil {
			return nil, err
		}
		if resp.StatusCode >= 200 || resp.StatusCode == http.StatusSwitchingProtocols {
			return resp, nil
		}
	}
}

// requestURI returns the request target of a call of method, as
// http.NewRequest would write it for "/"+method: the common names are
// taken as they are (writeRequest adds the leading "/" if it is missing),
// others go through URL parsing.
func requestURI(method string) (string, error) {
	if method == "" {
		return "/", nil
	}
	if simpleURI(method) {
		return method, nil
	}
	if method[0] != '/' {
		method = "/" + method
	}
	u, err := url.Parse(method)
	if err != nil {
		return "", err
	}
	return u.RequestURI(), nil
}

// simpleURI reports whether URL parsing would leave "/"+target (or target
// if it starts with "/") as it is: a path of characters that need no
// escaping, and an optional query.
func simpleURI(target string) bool {
	if strings.HasPrefix(target, "//") {
		return false // parsed as a host
	}
	query := false
	for i := 0; i < len(target); i++ {
		c := target[i]
		switch {
		case c == '?' && !query:
			query = true
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case query && c > ' ' && c < 0x7f && c != '#':
		case !query && c < 0x80 && pathChars[c]:
		default:
			return false
		}
	}
	return true
}

// pathChars are the characters url.URL.EscapedPath keeps as they are.
var pathChars = func() (t [128]bool) {
	for _, c := range "-._~!$&'()*+,;=:@/" {
		t[c] = true
	}
	return t
}()

// respBody is the body of an answer. Once it is read to the end, closing
// it gives its connection back to the pool unless the plugin said it would
// close it; closed earlier, it closes the connection, because what is left
// of the answer may be long or endless (a Stream).
type respBody struct {
	body   io.ReadCloser
	pc     *pconn
	pool   *connPool
	stop   func() bool // ends the call's cancellation hook; nil without one
	keep   bool
	eof    atomic.Bool
	closed atomic.Bool
}

var errReadAfterClose = errors.New("read on closed plugin answer")

func (b *respBody) Read(p []byte) (int, error) {
	if b.eof.Load() {
		return 0, io.EOF
	}
	if b.closed.Load() {
		return 0, errReadAfterClose
	}
	n, err := b.body.Read(p)
	if err == io.EOF {
		b.eof.Store(true) // last touch of the connection: Close may now reuse it
	}
	return n, err
}

// Close may be called while a Read is in progress, to end it.
func (b *respBody) Close() error {
	if b.closed.Swap(true) {
		return nil
	}
	// A cancellation hook that already ran has set a past deadline.
	hookDone := b.stop != nil && !b.stop()
	// Bytes after the end of the answer (a Content-Length that lies) would
	// pass for the next call's answer: such a connection is not kept.
	if b.eof.Load() && b.keep && !hookDone && b.pc.br.Buffered() == 0 {
		b.pool.put(b.pc)
		return nil
	}
	return b.pc.conn.Close()
}

// bodyReadError is the failure of reading the caller's request body: not
// a failure to reach the plugin, and not worth a retry.
type bodyReadError struct{ err error }

func (e *bodyReadError) Error() string { return fmt.Sprintf("reading the request body: %v", e.err) }
func (e *bodyReadError) Unwrap() error { return e.err }
