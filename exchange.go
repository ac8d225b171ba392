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

// inlineBodyMax is the largest request body written before the answer is
// read, in the caller's goroutine: with its head it fits the socket buffers
// of every platform (macOS's are the smallest, 8 KiB each way), so a plugin
// that answers without reading it cannot leave the write blocked. Larger
// bodies, and bodies of unknown length, are written by a goroutine of their
// own while the caller reads the answer, as net/http does for every request.
const inlineBodyMax = 8 << 10

// pastDeadline interrupts a connection's I/O at once.
var pastDeadline = time.Unix(1, 0)

// exchangeError is the failure of one exchange on a connection, with what
// the retry loop needs to know to decide whether to send the request again.
type exchangeError struct {
	err error
	// sent: the request was written whole, so the plugin may have acted on it.
	sent bool
	// noAnswer: not a byte of an answer arrived.
	noAnswer bool
	// reused: the connection had served a call before; a plugin may close
	// such a connection as the request goes out.
	reused bool
}

// Error names a connection closed before any answer in words, the same
// in the error, the log and what the retry observer sees.
func (e *exchangeError) Error() string {
	if e.noAnswer && (errors.Is(e.err, io.EOF) || errors.Is(e.err, io.ErrUnexpectedEOF)) {
		return "connection closed without an answer"
	}
	return e.err.Error()
}

func (e *exchangeError) Unwrap() error { return e.err }

// roundTrip sends body to uri once, on an idle connection unless fresh is
// set, and returns the answer. gate, when set, bounds the dials in progress.
func (p *connPool) roundTrip(ctx context.Context, uri, host string, body requestBody, fresh bool, gate chan struct{}) (*http.Response, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	pc, err := p.get(ctx, fresh, gate)
	if err != nil {
		return nil, err
	}
	return p.exchange(ctx, pc, uri, host, body)
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
	var (
		w    *bodyWriter // set when the body is written while the answer is read
		werr error
	)
	fail := func(err error, noAnswer bool) (*http.Response, error) {
		if stop != nil {
			stop()
		}
		p.done(pc, false)
		if cerr := ctx.Err(); cerr != nil {
			// The deadline set to interrupt the I/O is no cause of its own.
			// A writer still reading a body that may stall is not waited
			// for: it ends when that read returns (SendFile closes the
			// reader). One that reads memory ends at once.
			if w != nil && body.size() >= 0 {
				w.wait()
			}
			return nil, cerr
		}
		if w != nil {
			werr = w.wait()
		}
		var rerr *bodyReadError
		if errors.As(werr, &rerr) {
			return nil, werr
		}
		if noAnswer && werr != nil {
			err = werr // an answer would have said more than the failed write
		}
		return nil, &exchangeError{err: err, sent: werr == nil, noAnswer: noAnswer, reused: pc.reused}
	}

	if n := body.size(); n >= 0 && n <= inlineBodyMax {
		werr = writeRequest(pc, uri, host, body)
		var rerr *bodyReadError
		if errors.As(werr, &rerr) {
			return fail(werr, true)
		}
	} else {
		w = startWriter(pc, uri, host, body)
	}
	// A server may answer, and close, before reading all of the body; its
	// answer says more than the failed write, so look for one. Its head is
	// bounded; its body is the caller's to bound.
	pc.cr.reset(maxResponseHeaderBytes)
	if _, err := pc.br.Peek(1); err != nil {
		return fail(err, true)
	}
	resp, err := readResponse(pc)
	if err != nil {
		return fail(err, false)
	}
	pc.cr.reset(math.MaxInt64)
	keep := werr == nil && !resp.Close
	if w != nil && !w.sentWhole() {
		// The plugin answered before taking the whole body: stop sending
		// it. The connection cannot carry another call. A body in memory
		// is done with before the call returns, so its caller may reuse it.
		_ = pc.conn.SetWriteDeadline(pastDeadline)
		keep = false
		if body.size() >= 0 {
			w.wait()
		}
	}
	rb := &respBody{body: resp.Body, pc: pc, pool: p, stop: stop, keep: keep}
	if resp.Body == http.NoBody {
		rb.eof.Store(true)
	}
	resp.Body = rb
	return resp, nil
}

// bodyWriter writes a request in a goroutine of its own, so that the answer
// is read while the body is sent: a plugin may answer (413, say) and stop
// reading, and a caller's reader may stall, without holding the call.
type bodyWriter struct {
	done chan struct{}
	err  error // set before done is closed
}

func startWriter(pc *pconn, uri, host string, body requestBody) *bodyWriter {
	w := &bodyWriter{done: make(chan struct{})}
	go func() {
		defer close(w.done)
		w.err = writeRequest(pc, uri, host, body)
		var rerr *bodyReadError
		if errors.As(w.err, &rerr) {
			// No answer will come to a request cut short: wake the reader.
			_ = pc.conn.SetReadDeadline(pastDeadline)
		}
	}()
	return w
}

// sentWhole reports whether the request has been written whole by now.
func (w *bodyWriter) sentWhole() bool {
	select {
	case <-w.done:
		return w.err == nil
	default:
		return false
	}
}

// wait waits for the writer, which ends at once on the closed connection
// unless it is reading the caller's body, and returns its error.
func (w *bodyWriter) wait() error {
	<-w.done
	return w.err
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
	limit  int64 // when positive, reading more than limit bytes fails
	read   int64
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
	if b.limit > 0 {
		if b.read >= b.limit {
			return 0, &AnswerTooLargeError{Limit: b.limit}
		}
		p = p[:min(int64(len(p)), b.limit-b.read)]
	}
	n, err := b.body.Read(p)
	b.read += int64(n)
	if err == io.EOF {
		b.eof.Store(true) // last touch of the connection: Close may now reuse it
	}
	return n, err
}

// finish reads what has already arrived of the rest of the answer, without
// waiting for more, and closes the body: the connection is kept only if
// the end of the answer was there. A plugin may keep an answer open after
// its JSON, or never end it; the call has what it asked for either way.
func (b *respBody) finish() {
	if !b.eof.Load() && !b.closed.Load() && b.keep {
		b.limit = 0
		b.pc.cr.noWait = true
		_, _ = io.Copy(io.Discard, b)
	}
	_ = b.Close()
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
	b.pool.done(b.pc, b.eof.Load() && b.keep && !hookDone && b.pc.br.Buffered() == 0)
	return nil
}

// bodyReadError is the failure of reading the caller's request body: not
// a failure to reach the plugin, and not worth a retry.
type bodyReadError struct{ err error }

func (e *bodyReadError) Error() string { return fmt.Sprintf("reading the request body: %v", e.err) }
func (e *bodyReadError) Unwrap() error { return e.err }
