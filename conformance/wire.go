package conformance

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/docker/go-connections/tlsconfig"
	"github.com/go-dockerplugins/plugins"
)

// The wire checks write each request by hand, byte for byte what the
// engine's client sends, and read the answer as it comes: the typed
// clients hide what this package must see (how an answer is framed, its
// Content-Type, whether the connection stays open).

// localHost is the Host header of requests over local sockets, as the
// engine sends it.
const localHost = "plugin.moby.localhost"

// maxWireBody bounds what a raw answer's body is read of.
const maxWireBody = 1 << 20

// wireTarget is where a plugin's raw requests go.
type wireTarget struct {
	network string // "unix", "tcp" or "npipe"
	address string // socket path, host:port or pipe path
	host    string // Host header
	tls     *tls.Config
}

func newWireTarget(p *plugins.Plugin) (*wireTarget, error) {
	scheme, rest, ok := strings.Cut(p.Addr, "://")
	if !ok {
		return nil, fmt.Errorf("plugin address %q: no scheme", p.Addr)
	}
	switch strings.ToLower(scheme) {
	case "unix":
		return &wireTarget{network: "unix", address: rest, host: localHost}, nil
	case "npipe":
		return &wireTarget{network: "npipe", address: rest, host: localHost}, nil
	case "tcp", "http", "https":
		u, err := url.Parse(p.Addr)
		if err != nil {
			return nil, fmt.Errorf("plugin address %q: %w", p.Addr, err)
		}
		t := &wireTarget{network: "tcp", address: u.Host, host: u.Host}
		if strings.EqualFold(scheme, "https") {
			if t.tls, err = tlsconfig.Client(p.TLSConfig); err != nil {
				return nil, fmt.Errorf("plugin address %q: %w", p.Addr, err)
			}
			if t.tls.ServerName == "" {
				t.tls.ServerName, _, _ = net.SplitHostPort(u.Host)
			}
		}
		return t, nil
	}
	return nil, fmt.Errorf("plugin address %q: unknown scheme %q", p.Addr, scheme)
}

// dial opens a connection for raw requests.
func (t *wireTarget) dial(ctx context.Context) (*wireConn, error) {
	var (
		c   net.Conn
		err error
	)
	if t.network == "npipe" {
		c, err = dialPipe(ctx, t.address)
	} else {
		var d net.Dialer
		c, err = d.DialContext(ctx, t.network, t.address)
	}
	if err != nil {
		return nil, err
	}
	if t.tls != nil {
		tc := tls.Client(c, t.tls)
		if err := tc.HandshakeContext(ctx); err != nil {
			_ = c.Close() // the handshake's error says what failed
			return nil, err
		}
		c = tc
	}
	return &wireConn{c: c, br: bufio.NewReader(c), host: t.host}, nil
}

// wireConn is a connection that raw requests are written on, one at a time.
type wireConn struct {
	c    net.Conn
	br   *bufio.Reader
	host string
}

func (w *wireConn) close() { _ = w.c.Close() } // nothing to act on

// wireAnswer is an answer as it came.
type wireAnswer struct {
	status      int
	contentType string
	body        []byte
	// closes is set when the plugin said it closes the connection after
	// the answer, and how it said so.
	closes      bool
	closeReason string
	// frameErr says what was wrong with the answer's framing, if anything.
	frameErr error
}

// exchange writes a POST of body to method and reads the answer. The error
// is the failure to send or to get any answer; an answer that came but is
// not well-formed is returned with its frameErr set.
func (w *wireConn) exchange(ctx context.Context, method string, body []byte) (*wireAnswer, error) {
	if dl, ok := ctx.Deadline(); ok {
		_ = w.c.SetDeadline(dl) // a failure shows on the write
	}
	stop := context.AfterFunc(ctx, func() { _ = w.c.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	var head strings.Builder
	head.WriteString("POST /" + strings.TrimPrefix(method, "/") + " HTTP/1.1\r\nHost: " + w.host +
		"\r\nUser-Agent: Go-http-client/1.1\r\nContent-Length: " + strconv.Itoa(len(body)) +
		"\r\nAccept: " + plugins.VersionMimetype + "\r\n\r\n")
	head.Write(body)
	if _, err := io.WriteString(w.c, head.String()); err != nil {
		return nil, fmt.Errorf("sending the request: %w", err)
	}
	if _, err := w.br.Peek(1); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("the connection closed without an answer")
		}
		return nil, fmt.Errorf("reading the answer: %w", err)
	}
	resp, err := http.ReadResponse(w.br, &http.Request{Method: http.MethodPost})
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return &wireAnswer{frameErr: fmt.Errorf("malformed answer: %w", err)}, nil
	}
	a := &wireAnswer{status: resp.StatusCode, contentType: resp.Header.Get("Content-Type"), closes: resp.Close}
	switch {
	case !resp.Close:
	case !resp.ProtoAtLeast(1, 1):
		a.closeReason = "an " + resp.Proto + " answer, which closes the connection"
	case resp.ContentLength < 0 && len(resp.TransferEncoding) == 0:
		a.closeReason = "a body that ends with the connection (no Content-Length, not chunked)"
	default:
		a.closeReason = "Connection: close"
	}
	a.body, err = io.ReadAll(io.LimitReader(resp.Body, maxWireBody))
	_ = resp.Body.Close() // the connection is not kept after a bad body
	switch {
	case err != nil && ctx.Err() != nil:
		return nil, ctx.Err()
	case errors.Is(err, io.ErrUnexpectedEOF) && resp.ContentLength > 0:
		a.frameErr = fmt.Errorf("a body shorter than its Content-Length, %d", resp.ContentLength)
	case err != nil:
		a.frameErr = fmt.Errorf("the body cannot be read: %w", err)
	case w.br.Buffered() > 0:
		// What the plugin wrote beyond its answer, in the same breath.
		a.frameErr = fmt.Errorf("%d bytes after the end of the answer", w.br.Buffered())
	}
	return a, nil
}

// idleState is what a connection did in the moment after an answer.
type idleState int

const (
	stayedOpen idleState = iota
	closedSilently
	sentMore
)

// idle waits up to d for the plugin to close the connection or to write
// beyond its last answer.
func (w *wireConn) idle(d time.Duration) idleState {
	if w.br.Buffered() > 0 {
		return sentMore
	}
	_ = w.c.SetReadDeadline(time.Now().Add(d)) // a failure shows on the read
	_, err := w.br.Peek(1)
	_ = w.c.SetReadDeadline(time.Time{})
	var ne net.Error
	switch {
	case err == nil:
		return sentMore
	case errors.As(err, &ne) && ne.Timeout():
		return stayedOpen
	}
	return closedSilently
}

// isJSON reports whether a Content-Type is JSON's: application/json or a
// +json type.
func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && (mt == "application/json" || strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json"))
}

// observe notes what a raw answer showed of the plugin's framing and
// Content-Type.
func (r *runner) observe(method string, a *wireAnswer) {
	if a.frameErr != nil {
		r.frameIssues = append(r.frameIssues, method+": "+a.frameErr.Error())
		return
	}
	r.framed++
	if a.status == http.StatusOK && len(a.body) > 0 {
		r.json200++
		if !isJSON(a.contentType) {
			ct := "none"
			if a.contentType != "" {
				ct = strconv.Quote(a.contentType)
			}
			r.typeBugs = append(r.typeBugs, method+": Content-Type "+ct)
		}
	}
}

// raw sends one raw request of the section's interface on a connection of
// its own, as one of its calls.
func (s *section) raw(method string, body []byte) (*wireAnswer, error) {
	if s.r.target == nil {
		return nil, s.r.targetErr
	}
	var a *wireAnswer
	err := s.call(method, func(ctx context.Context) error {
		conn, err := s.r.target.dial(ctx)
		if err != nil {
			return err
		}
		defer conn.close()
		a, err = conn.exchange(ctx, method, body)
		return err
	})
	if a != nil {
		s.r.observe(method, a)
	}
	return a, err
}

// wireFindings judges framing and content-type on every raw answer.
func (r *runner) wireFindings() {
	s := r.plugin
	switch {
	case len(r.frameIssues) > 0:
		s.set("framing", Fail, joinIssues(r.frameIssues))
	case r.framed == 0:
		s.set("framing", Skip, "no raw request was answered")
	default:
		s.set("framing", Pass, plural(r.framed, "answer", "answers")+" read whole")
	}
	switch {
	case len(r.typeBugs) > 0:
		s.set("content-type", Warn, joinIssues(r.typeBugs))
	case r.json200 == 0:
		s.set("content-type", Skip, "no 200 answer with a body")
	default:
		s.set("content-type", Pass, plural(r.json200, "answer", "answers")+" labelled JSON")
	}
}

// joinIssues lists the first issues and counts the rest.
func joinIssues(issues []string) string {
	const shown = 3
	if len(issues) <= shown {
		return strings.Join(issues, "; ")
	}
	return strings.Join(issues[:shown], "; ") + fmt.Sprintf("; and %d more", len(issues)-shown)
}
