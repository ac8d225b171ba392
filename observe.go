package plugins

import (
	"context"
	"time"
)

// CallInfo describes one call that ended, for WithCallObserver: which
// plugin and method, where, how long it took and how it went.
type CallInfo struct {
	// Context is the call's context (context.Background for Call), where
	// an observer may find the trace the call belongs to.
	Context context.Context
	// Plugin is the plugin's name; empty for a Client made with NewClient.
	Plugin string
	// Method is the service method, e.g. "VolumeDriver.Mount".
	Method string
	// Addr is the address the call went to last.
	Addr string
	// Start is when the call began.
	Start time.Time
	// Duration is how long it took, retries and reading the answer
	// included; for Stream, until its body was closed.
	Duration time.Duration
	// Sends counts the times the request was sent: 1, plus every resend
	// and retry.
	Sends int
	// Status is the status of the plugin's answer; 0 when none came.
	Status int
	// BytesSent counts the bytes of the request's body written, over
	// every send; BytesReceived the bytes of the answer's body read.
	BytesSent, BytesReceived int64
	// Err is the call's error, nil on success.
	Err error
}

// WithCallObserver registers fn to be called, synchronously, once every
// call has ended (for Stream, once its body is closed), with what the
// call did: to time calls per plugin and method, count failures and
// retries, or trace them. Without it, calls record nothing. fn must not
// block. The retry observer (WithRetryObserver) still hears of each wait.
func WithCallObserver(fn func(CallInfo)) Option {
	return clientOption(func(c *config) { c.callObserver = fn })
}

// callStats is what a call did so far, recorded only for a call observer.
type callStats struct {
	ctx      context.Context
	start    time.Time
	sends    int
	status   int
	addr     string
	received int64 // bytes of an error answer's body read
}

// observe starts recording a call when a call observer is set; without
// one, it returns nil and the call records nothing.
func (c *Client) observe(ctx context.Context) *callStats {
	if c.cfg.callObserver == nil {
		return nil
	}
	return &callStats{ctx: ctx, start: time.Now()}
}

// sent is the bytes of a body of n bytes sent as often as the call sent it.
func (st *callStats) sent(n int) int64 {
	if st == nil {
		return 0
	}
	return int64(st.sends) * int64(n)
}

// report tells the call observer how a call recorded by st ended: sent
// bytes of request body, the answer whose body was read (nil if none).
func (c *Client) report(st *callStats, method string, sent int64, answer *respBody, err error) {
	if st == nil {
		return
	}
	info := CallInfo{
		Context: st.ctx, Plugin: c.plugin, Method: method, Addr: st.addr, Start: st.start, Duration: time.Since(st.start),
		Sends: st.sends, Status: st.status, BytesSent: sent, BytesReceived: st.received, Err: err,
	}
	if answer != nil {
		info.BytesReceived += answer.read
	}
	if info.Addr == "" {
		info.Addr = c.target.Load().addr
	}
	c.cfg.callObserver(info)
}
