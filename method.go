package plugins

import (
	"context"
	"fmt"
	"io"
	"time"
)

// Method is one method of a plugin interface, typed: the request it sends,
// the answer it reads, and the conventions the engine follows for it. A
// typed client's method is one line of it:
//
//	var mount = plugins.Method[MountRequest, MountResponse]{
//		Name:    "VolumeDriver.Mount",
//		Timeout: 2 * time.Minute,
//		Failure: plugins.AnswerFailure("VolumeDriver.Mount", "", func(r *MountResponse) string { return r.Err }),
//	}
//
//	func (c *Client) Mount(ctx context.Context, req MountRequest) (MountResponse, error) {
//		return mount.Call(ctx, c.plugin, req)
//	}
//
// so that an interface this library does not know can be given a typed
// client in a few lines. The zero value of every field but Name is the
// engine's plain Call: the request as JSON, the whole answer decoded, no
// timeout, an error for any status but 200.
type Method[Req, Resp any] struct {
	// Name is the service method, e.g. "VolumeDriver.Mount".
	Name string
	// Timeout bounds a call whose context has no deadline: the engine's
	// per-method timeouts (two minutes for a volume's Create and Mount,
	// say). A deadline on the context replaces it, longer or shorter.
	Timeout time.Duration
	// NoBody sends an empty body instead of the request's JSON, as the
	// engine does for methods without arguments (NetworkDriver.GetCapabilities).
	NoBody bool
	// Discard does not read the answer, as the engine does for methods
	// whose answer it ignores (MetricsCollector.StartMetrics): any 200
	// answer, even an empty one, succeeds.
	Discard bool
	// Failure returns the error a 200 answer carries by the interface's
	// convention (its Err field, or Error for IPAM), or nil; nil for
	// interfaces whose 200 answers carry none.
	Failure func(*Resp) error
	// Optional makes a 404 answer, from a plugin that does not implement
	// the method, return Fallback and no error: what the engine assumes.
	Optional bool
	// Fallback is the answer assumed when an Optional method is answered 404.
	Fallback Resp
}

// Call sends req to the plugin and returns its answer, or the error of the
// call, the interface's error in a 200 answer, or Fallback for an Optional
// method the plugin does not implement.
func (m Method[Req, Resp]) Call(ctx context.Context, c *Client, req Req) (Resp, error) {
	ctx, cancel := m.bound(ctx)
	defer cancel()
	var (
		resp Resp
		args any = req
		ret  any = &resp
	)
	if m.NoBody {
		args = nil
	}
	if m.Discard {
		ret = nil
	}
	if err := c.CallContext(ctx, m.Name, args, ret); err != nil {
		if m.Optional && IsNotFound(err) {
			return m.Fallback, nil
		}
		return resp, err
	}
	if m.Failure != nil {
		if err := m.Failure(&resp); err != nil {
			return resp, err
		}
	}
	return resp, nil
}

// Stream sends req to the plugin and returns the body of its answer, for
// methods whose answer is a stream (LogDriver.ReadLogs); the caller must
// close it. Timeout, when it applies, bounds reading the body too.
func (m Method[Req, Resp]) Stream(ctx context.Context, c *Client, req Req) (io.ReadCloser, error) {
	ctx, cancel := m.bound(ctx)
	rc, err := c.StreamContext(ctx, m.Name, req)
	if err != nil {
		cancel()
		return nil, err
	}
	return &cancelOnClose{ReadCloser: rc, cancel: cancel}, nil
}

// SendFile sends body as the request, streamed, to the method name (the
// Name, or a name with a query string, as GraphDriver.ApplyDiff?id=x has),
// and returns its answer as Call does.
func (m Method[Req, Resp]) SendFile(ctx context.Context, c *Client, name string, body io.Reader) (Resp, error) {
	ctx, cancel := m.bound(ctx)
	defer cancel()
	var resp Resp
	if err := c.SendFileContext(ctx, name, body, &resp); err != nil {
		if m.Optional && IsNotFound(err) {
			return m.Fallback, nil
		}
		return resp, err
	}
	if m.Failure != nil {
		if err := m.Failure(&resp); err != nil {
			return resp, err
		}
	}
	return resp, nil
}

// bound applies Timeout to a context without a deadline.
func (m Method[Req, Resp]) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok || m.Timeout <= 0 {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, m.Timeout)
}

// cancelOnClose releases a stream's context when the stream is closed.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c *cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}

// ClientFor returns the client of p if its manifest lists iface, or the
// error Get would return for it, matching ErrNotImplements: typed clients
// made from a plugin check it with this.
func (p *Plugin) ClientFor(iface string) (*Client, error) {
	if !p.Implements(iface) {
		return nil, notImplementsError(p.Name, iface)
	}
	if p.Client == nil {
		return nil, fmt.Errorf("plugin %q: not activated: no client", p.Name)
	}
	return p.Client, nil
}

// TypedClient returns the typed client newClient makes of p's client, or
// the error ClientFor returns for iface: a typed client's FromPlugin is one
// line of it,
//
//	func FromPlugin(p *plugins.Plugin) (*Client, error) {
//		return plugins.TypedClient(p, Interface, NewClient)
//	}
func TypedClient[C any](p *Plugin, iface string, newClient func(*Client) C) (C, error) {
	c, err := p.ClientFor(iface)
	if err != nil {
		var zero C
		return zero, err
	}
	return newClient(c), nil
}

// AnswerFailure returns a Method's Failure for an interface whose 200
// answers carry the plugin's error as text, which errText reads from the
// answer: when it is not empty, the call fails with an *AnswerError of
// method, its text after prefix ("remote: " for network and IPAM drivers,
// "" for most).
//
//	Failure: plugins.AnswerFailure("VolumeDriver.Mount", "", func(r *MountResponse) string { return r.Err })
func AnswerFailure[Resp any](method, prefix string, errText func(*Resp) string) func(*Resp) error {
	return func(r *Resp) error {
		if msg := errText(r); msg != "" {
			return &AnswerError{Method: method, Message: msg, Prefix: prefix}
		}
		return nil
	}
}
