package plugins

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/docker/go-connections/tlsconfig"
	"github.com/go-dockerplugins/plugins/transport"
)

// VersionMimetype is the Content-Type the engine sends to plugins.
const VersionMimetype = transport.VersionMimetype

// Client calls one plugin's methods.
//
// It sends calls as HTTP POST requests over the plugin's UNIX socket, TCP
// or TLS connection, keeps connections alive between calls, and retries a
// call whose plugin cannot be reached within its retry budget (30 seconds
// by default). A Client is safe for concurrent use.
type Client struct {
	// target is where calls go; a store re-aims it when its plugin moved.
	target atomic.Pointer[target]
	plugin string
	cfg    *config
	closed atomic.Bool
	// owner, set for the clients of a store, looks their plugin up again
	// when its address cannot be reached.
	owner owner
}

// NewClient returns a client of the plugin at addr, with the engine's
// defaults: retries for up to 30 seconds, no timeout.
//
// addr is unix:///path, tcp://host:port, http://host:port,
// https://host:port or npipe:////./pipe/name; tlsConfig is used for https
// only. The error says what is wrong with addr or tlsConfig.
func NewClient(addr string, tlsConfig tlsconfig.Options) (*Client, error) {
	return newClient(addr, tlsConfig, "", newConfig[Option](nil))
}

// NewClientWithTimeout is NewClient with every call bounded by timeout as a
// whole, retries and reading the answer included (see WithTimeout).
func NewClientWithTimeout(addr string, tlsConfig tlsconfig.Options, timeout time.Duration) (*Client, error) {
	return newClient(addr, tlsConfig, "", newConfig([]Option{WithTimeout(timeout)}))
}

// NewClientWithOptions is NewClient configured by opts: retry budget,
// back-off, timeout, observers and logger.
func NewClientWithOptions(addr string, tlsConfig tlsconfig.Options, opts ...Option) (*Client, error) {
	return newClient(addr, tlsConfig, "", newConfig(opts))
}

func newClient(addr string, tlsOpts tlsconfig.Options, plugin string, cfg *config) (*Client, error) {
	t, err := newTarget(addr, tlsOpts)
	if err != nil {
		return nil, err
	}
	c := &Client{plugin: plugin, cfg: cfg}
	c.target.Store(t)
	return c, nil
}

// Close closes the client's connections, idle and in use: calls in
// progress end with an error matching ErrClientClosed, and so does every
// call after it. It always returns nil.
func (c *Client) Close() error {
	if !c.closed.Swap(true) {
		c.target.Load().pool.shutdown(true)
	}
	return nil
}

// RequestOpts is what CallWithOptions's options set for one call.
type RequestOpts struct {
	// Timeout bounds the call as a whole, retries and reading the answer
	// included; zero keeps the client's default.
	Timeout time.Duration
	// NoResend: a request written whole is not sent again (see WithNoResend).
	NoResend bool
}

// WithRequestTimeout bounds one call as a whole, retries and reading the
// answer included, to t (overriding the client's WithTimeout).
func WithRequestTimeout(t time.Duration) func(*RequestOpts) {
	return func(o *RequestOpts) { o.Timeout = t }
}

// WithRequestNoResend makes one call never send its request again once it
// was written whole, as WithNoResend does for every call of a client.
func WithRequestNoResend() func(*RequestOpts) {
	return func(o *RequestOpts) { o.NoResend = true }
}

// callOpts are what a call takes beside its arguments.
type callOpts struct {
	timeout  time.Duration
	noResend bool
	// once makes a single attempt (and its resend at once on a new
	// connection): a health check reports, it does not wait.
	once bool
	// gate, when set, bounds the dials in progress (a store's GetAll).
	gate chan struct{}
	// note, when set, is told of each failure about to be retried.
	note func(error)
}

// opts returns the client's defaults for a call.
func (c *Client) opts() callOpts {
	return callOpts{timeout: c.cfg.callTimeout, noResend: c.cfg.noResend}
}

// Call calls serviceMethod (e.g. "VolumeDriver.Mount") with args and
// decodes the answer into ret, retrying for up to 30 seconds while the
// plugin cannot be reached.
//
// args is sent JSON-encoded (nothing when nil) to /<serviceMethod>, and the
// answer is decoded into ret unless ret is nil. An answer other than 200 is
// returned as a *StatusError; an unreachable plugin is retried with
// back-off, an error answer never.
func (c *Client) Call(serviceMethod string, args interface{}, ret interface{}) error {
	return c.call(context.Background(), serviceMethod, args, ret, c.opts())
}

// CallWithOptions is Call with options for this call alone:
// WithRequestTimeout and WithRequestNoResend.
func (c *Client) CallWithOptions(serviceMethod string, args interface{}, ret interface{}, opts ...func(*RequestOpts)) error {
	var ro RequestOpts
	for _, o := range opts {
		if o != nil {
			o(&ro)
		}
	}
	o := c.opts()
	if ro.Timeout > 0 {
		o.timeout = ro.Timeout
	}
	o.noResend = o.noResend || ro.NoResend
	return c.call(context.Background(), serviceMethod, args, ret, o)
}

// CallContext is Call bounded by ctx: cancelling it ends retries, back-off
// waits and I/O at once, with an error that satisfies errors.Is(err, ctx.Err()).
func (c *Client) CallContext(ctx context.Context, serviceMethod string, args interface{}, ret interface{}) error {
	return c.call(ctx, serviceMethod, args, ret, c.opts())
}

func (c *Client) call(ctx context.Context, method string, args, ret any, o callOpts) (err error) {
	var (
		data []byte
		body *respBody
	)
	st := c.observe(ctx)
	if st != nil {
		defer func() { c.report(st, method, st.sent(len(data)), body, err) }()
	}
	if args != nil {
		if data, err = encodeJSON(args); err != nil {
			return c.wrapErr(method, c.target.Load().addr, fmt.Errorf("encoding arguments: %w", err))
		}
	}
	ctx, cancel := withTimeout(ctx, o.timeout)
	defer cancel()
	if body, err = c.send(ctx, method, bytesBody(data), o, st); err != nil {
		return err
	}
	return c.decode(ctx, method, body, ret)
}

// Stream calls serviceMethod with args (nil is sent as null, as the
// engine does) and returns the answer's body unread and unbounded, for
// answers too large to decode at once; the caller must close it.
func (c *Client) Stream(serviceMethod string, args interface{}) (io.ReadCloser, error) {
	return c.StreamContext(context.Background(), serviceMethod, args)
}

// StreamContext is Stream bounded by ctx, which also bounds reading the
// returned body; the caller must close it.
func (c *Client) StreamContext(ctx context.Context, serviceMethod string, args interface{}) (io.ReadCloser, error) {
	o := c.opts()
	st := c.observe(ctx)
	data, err := encodeJSON(args) // nil args are sent as null, as in the engine
	if err != nil {
		err = c.wrapErr(serviceMethod, c.target.Load().addr, fmt.Errorf("encoding arguments: %w", err))
		c.report(st, serviceMethod, 0, nil, err)
		return nil, err
	}
	ctx, cancel := withTimeout(ctx, o.timeout)
	body, err := c.send(ctx, serviceMethod, bytesBody(data), o, st)
	if err != nil {
		cancel()
		c.report(st, serviceMethod, st.sent(len(data)), nil, err)
		return nil, err
	}
	// The call ends when its body is closed: the observer hears of it then.
	return &streamBody{body: body, ctx: ctx, cancel: cancel, c: c, method: serviceMethod, st: st, sent: len(data)}, nil
}

// SendFile calls serviceMethod with data as the request body, streamed,
// and decodes the answer into ret unless ret is nil.
//
// data is streamed as the request body, with a Content-Length when it is a
// *bytes.Buffer, *bytes.Reader or *strings.Reader and chunked otherwise,
// and closed when the call returns if it is an io.Closer, as net/http
// closes request bodies. A retry resends it whole: from a snapshot for a
// *bytes.Buffer, by seeking back for an io.Seeker; a reader that can be
// neither is not resent once part of it was sent.
//
// A body larger than a few KiB is read and sent while the answer is
// awaited: an answer that comes first (a 413, say) ends the upload, and a
// call ended by its context returns at once even if a Read of data is in
// progress; that Read is left to return by itself, or to the Close above.
func (c *Client) SendFile(serviceMethod string, data io.Reader, ret interface{}) error {
	return c.SendFileContext(context.Background(), serviceMethod, data, ret)
}

// SendFileContext is SendFile bounded by ctx.
func (c *Client) SendFileContext(ctx context.Context, serviceMethod string, data io.Reader, ret interface{}) (err error) {
	if cl, ok := data.(io.Closer); ok {
		defer func() { _ = cl.Close() }()
	}
	body := newReaderBody(data)
	var answer *respBody
	st := c.observe(ctx)
	if st != nil {
		defer func() { c.report(st, serviceMethod, body.sent.Load(), answer, err) }()
	}
	o := c.opts()
	ctx, cancel := withTimeout(ctx, o.timeout)
	defer cancel()
	defer body.finish()
	if answer, err = c.send(ctx, serviceMethod, body, o, st); err != nil {
		return err
	}
	return c.decode(ctx, serviceMethod, answer, ret)
}

// CloseIdleConnections closes the connections kept alive for later calls.
func (c *Client) CloseIdleConnections() {
	c.target.Load().pool.closeIdle()
}

// send posts the body to the service method, retrying while the plugin
// cannot be reached, and returns the answer's body if its status is 200.
// st, when set, records what the call did.
func (c *Client) send(ctx context.Context, method string, body requestBody, o callOpts, st *callStats) (*respBody, error) {
	uri, err := requestURI(method)
	if err != nil {
		return nil, c.wrapErr(method, c.target.Load().addr, err)
	}
	var (
		resp  *http.Response
		fresh bool // the last attempt failed on a kept-alive connection
		lost  bool // the last attempt could not connect: look the plugin up first
		t     *target
	)
	ev := RetryEvent{Plugin: c.plugin, Method: method}
	budget := c.cfg.callBudget
	if o.once {
		budget = 0
	}
	err = c.cfg.retry(ctx, budget, &ev, o.note, func() (retryAction, error) {
		if c.closed.Load() {
			return giveUp, ErrClientClosed
		}
		if lost {
			if err := c.relocate(); err != nil {
				return c.afterLookup(err)
			}
		}
		t = c.target.Load()
		ev.Addr = t.addr
		if st != nil {
			st.sends++
		}
		var err error
		resp, err = t.pool.roundTrip(ctx, uri, t.host, body, fresh, o.gate)
		if err == nil {
			return giveUp, nil
		}
		lost = c.owner != nil && unreachable(err)
		return c.afterFailure(err, body, o, &fresh)
	})
	if t == nil {
		t = c.target.Load()
	}
	if st != nil {
		st.addr = t.addr
	}
	if err != nil {
		if c.owner != nil && errors.Is(err, ErrNotFound) {
			c.owner.gone(c)
		}
		return nil, c.wrapErr(method, t.addr, err)
	}
	if st != nil {
		st.status = resp.StatusCode
	}
	if resp.StatusCode != http.StatusOK {
		err := readStatusError(resp, method)
		if st != nil {
			st.received = resp.Body.(*respBody).read
		}
		return nil, err
	}
	return resp.Body.(*respBody), nil
}

// afterFailure says what a failed attempt is worth: nothing more when the
// plugin may have acted on it and the call must not send it again, or when
// retrying cannot help; a new attempt at once when a kept-alive connection
// failed before any answer; otherwise one after a back-off wait. Either
// needs the body to be sent again whole.
func (c *Client) afterFailure(err error, body requestBody, o callOpts, fresh *bool) (retryAction, error) {
	switch {
	case c.closed.Load():
		return giveUp, fmt.Errorf("%w (%w)", ErrClientClosed, err)
	case errors.Is(err, errPoolShut):
		return retryNow, err // the plugin moved meanwhile: try its new address
	}
	var xe *exchangeError
	isX := errors.As(err, &xe)
	if isX && xe.sent && o.noResend {
		return giveUp, fmt.Errorf("%w (%w)", err, ErrOutcomeUnknown)
	}
	if !retryable(err) {
		return giveUp, err
	}
	if rerr := body.replay(); rerr != nil {
		return giveUp, fmt.Errorf("%w (not retried: %w)", err, rerr)
	}
	*fresh = isX && xe.noAnswer && xe.reused
	if *fresh {
		return retryNow, err
	}
	return retryLater, err
}

// decode decodes the answer into ret, as the engine does, within the
// client's bound on answers, and closes it.
func (c *Client) decode(ctx context.Context, method string, body *respBody, ret any) error {
	defer body.finish()
	if ret == nil {
		return nil
	}
	body.limit = c.cfg.maxAnswer
	if err := json.NewDecoder(body).Decode(&ret); err != nil {
		return c.answerErr(ctx, method, fmt.Errorf("decoding the answer: %w", err))
	}
	return nil
}

// answerErr is the error of reading an answer: when ctx ended the read, it
// says so rather than leaving the interrupted read as the cause.
func (c *Client) answerErr(ctx context.Context, method string, err error) error {
	if ctx.Err() != nil {
		err = contextError(ctx, err)
	}
	return c.wrapErr(method, c.target.Load().addr, err)
}

// wrapErr names the plugin, its address and the method in err.
func (c *Client) wrapErr(method, addr string, err error) error {
	if c.plugin != "" {
		return fmt.Errorf("plugin %q (%s): %s: %w", c.plugin, addr, method, err)
	}
	return fmt.Errorf("plugin at %s: %s: %w", addr, method, err)
}

// encodeJSON encodes v as the engine does: json.Encoder's output, newline included.
func encodeJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func withTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if d <= 0 {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, d)
}

// streamBody is the body Stream returns: closing it releases the call's
// context, and a read ended by that context says so.
type streamBody struct {
	body   *respBody
	ctx    context.Context
	cancel context.CancelFunc
	// For the call observer, which hears of the call when it is closed.
	c       *Client
	method  string
	st      *callStats
	sent    int
	readErr error
}

func (s *streamBody) Read(p []byte) (int, error) {
	n, err := s.body.Read(p)
	if err != nil && err != io.EOF {
		if s.ctx.Err() != nil {
			err = contextError(s.ctx, err)
		}
		s.readErr = err
	}
	return n, err
}

// WriteTo copies the rest of the answer to w through a large buffer:
// io.Copy uses it, and would otherwise read in small pieces (io.Discard's
// own are 8 KiB).
func (s *streamBody) WriteTo(w io.Writer) (int64, error) {
	bp := chunkBufs.Get().(*[]byte)
	defer chunkBufs.Put(bp)
	buf := (*bp)[:chunkBufSize]
	var total int64
	for {
		n, err := s.Read(buf)
		if n > 0 {
			m, werr := w.Write(buf[:n])
			total += int64(m)
			if werr == nil && m < n {
				werr = io.ErrShortWrite
			}
			if werr != nil {
				return total, werr
			}
		}
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}

func (s *streamBody) Close() error {
	closed := s.body.closed.Load()
	err := s.body.Close()
	s.cancel()
	if !closed {
		s.c.report(s.st, s.method, s.st.sent(s.sent), s.body, s.readErr)
	}
	return err
}
