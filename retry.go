package plugins

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"
)

// retryAction is what to do after a failed attempt.
type retryAction uint8

const (
	giveUp     retryAction = iota // the failure is final
	retryLater                    // after the next back-off wait
	retryNow                      // at once: a kept-alive connection was found closed
)

// retry runs try until it succeeds, fails in a way that retrying cannot fix
// (try says what its failure is worth), the budget is spent or ctx is done.
// As in the engine, it gives up once the next back-off wait would end
// budget or more after the first attempt, or once the next attempt would
// start after ctx's deadline; an attempt made at once is not bound by the
// budget. Every attempt counts, and every retry is logged, shown to the
// observer and told to note, if set; ev names what is retried.
func (c *config) retry(ctx context.Context, budget time.Duration, ev *RetryEvent, note func(error), try func() (retryAction, error)) error {
	start := c.clock.Now()
	waits := 0
	for attempt := 1; ; attempt++ {
		action, err := try()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return contextError(ctx, err)
		}
		if action == giveUp {
			return err
		}
		var wait time.Duration
		if action == retryLater {
			wait = c.backoff(waits + 1)
			elapsed := c.clock.Now().Sub(start)
			if elapsed+wait >= budget {
				if attempt == 1 {
					return err
				}
				return fmt.Errorf("%w (gave up after %d attempts in %v)", err, attempt, elapsed.Round(time.Millisecond))
			}
			// Waiting for an attempt the deadline would cut short helps no one.
			if deadline, ok := ctx.Deadline(); ok && deadline.Sub(c.clock.Now()) < wait {
				return fmt.Errorf("%w (not retried: the next attempt would start after the deadline; last error: %w)",
					context.DeadlineExceeded, err)
			}
			waits++
		}
		ev.Attempt, ev.Wait, ev.Err = attempt, wait, err
		c.logRetry(*ev)
		if note != nil {
			note(err)
		}
		if c.observer != nil {
			c.observer(*ev)
		}
		if wait > 0 && c.clock.Sleep(ctx, wait) != nil {
			return contextError(ctx, err)
		}
	}
}

// logRetry logs a retry once, at warning level, with the address readable.
func (c *config) logRetry(ev RetryEvent) {
	l := c.logger.WithField("plugin", ev.Plugin).WithField("attempt", ev.Attempt).
		WithField("wait", ev.Wait).WithError(ev.Err)
	if ev.Method == "" {
		// The paths searched, which a LookupError lists, are the same at
		// every retry: they are logged once, with the first.
		var le *LookupError
		if errors.As(ev.Err, &le) && errors.Is(le.Err, ErrNotFound) {
			l = c.logger.WithField("plugin", ev.Plugin).WithField("attempt", ev.Attempt).
				WithField("wait", ev.Wait).WithError(le.Err)
			if ev.Attempt == 1 {
				l = l.WithField("searched", strings.Join(le.Searched, ", "))
			}
		}
		l.Warnf("Unable to locate plugin %q, retrying in %v", ev.Plugin, ev.Wait)
		return
	}
	who := "plugin at " + ev.Addr
	if ev.Plugin != "" {
		who = fmt.Sprintf("plugin %q at %s", ev.Plugin, ev.Addr)
	}
	l = l.WithField("method", ev.Method).WithField("addr", ev.Addr)
	if ev.Wait == 0 {
		l.Warnf("Kept-alive connection to %s failed: %s, sending again at once on a new one", who, ev.Method)
		return
	}
	l.Warnf("Unable to connect to %s: %s, retrying in %v", who, ev.Method, ev.Wait)
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
