package plugins

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"time"
)

// retry runs try until it succeeds, fails in a way that retrying cannot fix
// (try reports whether the error is worth a retry), the budget is spent or
// ctx is done. As in the engine, it gives up once the next wait would end
// budget or more after the first attempt, or once the next attempt would
// start after ctx's deadline. Every retry is logged and shown to the
// observer; ev names what is retried.
func (c *config) retry(ctx context.Context, budget time.Duration, ev RetryEvent, try func() (bool, error)) error {
	start := c.clock.Now()
	for attempt := 1; ; attempt++ {
		again, err := try()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return contextError(ctx, err)
		}
		if !again {
			return err
		}
		wait := c.backoff(attempt)
		elapsed := c.clock.Now().Sub(start)
		if elapsed+wait >= budget {
			if attempt == 1 {
				return err
			}
			return fmt.Errorf("%w (gave up after %d attempts in %v)", err, attempt, elapsed.Round(time.Millisecond))
		}
		// Waiting for an attempt the deadline would cut short helps no one.
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < wait {
			return fmt.Errorf("%w (not retried: the next attempt would start after the deadline; last error: %w)",
				context.DeadlineExceeded, err)
		}
		ev.Attempt, ev.Wait, ev.Err = attempt, wait, err
		c.logRetry(ev)
		if note, ok := ctx.Value(retryNoteKey{}).(func(error)); ok {
			note(err)
		}
		if c.observer != nil {
			c.observer(ev)
		}
		if c.clock.Sleep(ctx, wait) != nil {
			return contextError(ctx, err)
		}
	}
}

// logRetry logs a retry once, at warning level, with the address readable.
func (c *config) logRetry(ev RetryEvent) {
	l := c.logger.WithField("plugin", ev.Plugin).WithField("attempt", ev.Attempt).
		WithField("wait", ev.Wait).WithError(ev.Err)
	if ev.Method == "" {
		l.Warnf("Unable to locate plugin %q, retrying in %v", ev.Plugin, ev.Wait)
		return
	}
	l.WithField("method", ev.Method).WithField("addr", ev.Addr).
		Warnf("Unable to connect to plugin %q at %s: %s, retrying in %v", ev.Plugin, ev.Addr, ev.Method, ev.Wait)
}

// contextError is the error of an operation ended by ctx: it matches
// ctx.Err() and keeps the failure that was being retried, if any.
func contextError(ctx context.Context, last error) error {
	cerr := ctx.Err()
	if last == nil || errors.Is(last, cerr) {
		return cerr
	}
	return fmt.Errorf("%w (last error: %w)", cerr, last)
}

// retryable reports whether err means the request never got an answer
// because the plugin could not be reached or dropped the connection: a
// failed dial, a reset or closed connection, EOF before a response. TLS
// failures, malformed responses and everything else are not worth a retry.
func retryable(err error) bool {
	var (
		verify  *tls.CertificateVerificationError
		unknown x509.UnknownAuthorityError
		host    x509.HostnameError
		invalid x509.CertificateInvalidError
		header  tls.RecordHeaderError
		alert   tls.AlertError
	)
	var body *bodyReadError
	switch {
	case errors.As(err, &body):
		return false
	case errors.As(err, &verify), errors.As(err, &unknown), errors.As(err, &host),
		errors.As(err, &invalid), errors.As(err, &header), errors.As(err, &alert):
		return false
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return true
	}
	var op *net.OpError
	if errors.As(err, &op) {
		switch op.Op {
		case "dial", "read", "write":
			return true
		}
	}
	return false
}

// retryNoteKey keys the function that retry tells of each failure it is
// about to retry, so that a Store can say why an activation it waits for is
// late even though the retries run in another goroutine.
type retryNoteKey struct{}

func withRetryNote(ctx context.Context, note func(error)) context.Context {
	return context.WithValue(ctx, retryNoteKey{}, note)
}
