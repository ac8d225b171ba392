package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"time"

	"github.com/go-dockerplugins/plugins"
	"github.com/go-dockerplugins/plugins/pluginstest"
	"github.com/sirupsen/logrus"
)

// app is what the commands share: their streams and the flags of the
// command that runs.
type app struct {
	stdin  io.Reader
	stdout io.Writer
	stderr *lockedWriter
	options

	// defaultTimeout bounds call and inspect when --timeout is not given,
	// and quietFor is how long they wait in silence before saying what they
	// wait for; tests shorten both.
	defaultTimeout time.Duration
	quietFor       time.Duration

	// storeOptions are added to those of every store; tests use them to
	// make retries fast.
	storeOptions []plugins.StoreOption
	// demoHook, when set, runs once the demo's plugins are served; tests
	// use it to make them misbehave or to interrupt the demo.
	demoHook func(vol, net, authz *pluginstest.Plugin)
}

// logger is where the library logs: nowhere unless --debug.
func (a *app) logger() logrus.FieldLogger {
	l := logrus.New()
	l.SetOutput(io.Discard)
	if a.debug {
		l.SetOutput(a.stderr)
		l.SetLevel(logrus.WarnLevel)
	}
	return l
}

// registry returns the registry over the directories the flags chose.
func (a *app) registry() *plugins.LocalRegistry {
	return plugins.NewLocalRegistry(
		plugins.WithSocketsDir(a.socketsDir),
		plugins.WithSpecsDirs(a.specsDirs.dirs...),
		plugins.WithLogger(a.logger()),
	)
}

// warnMissingDirs warns about the directories named on the command line
// that do not exist: a mistyped one would otherwise list nothing, and
// succeed.
func (a *app) warnMissingDirs() {
	for _, d := range a.dirsGiven {
		fi, err := os.Stat(d.path)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			fmt.Fprintf(a.stderr, "plugctl: warning: %s %s does not exist\n", d.what, d.path)
		case err == nil && !fi.IsDir():
			fmt.Fprintf(a.stderr, "plugctl: warning: %s %s is not a directory\n", d.what, d.path)
		}
	}
}

// store returns a store over reg that reports what it waits for on
// stderr. A missing plugin is reported at once: waiting for it to appear
// helps a daemon starting with its plugins, not someone typing a name. An
// unreachable plugin is retried within budget (see retryBudget), so that a
// retry that could not end in time is not even started.
func (a *app) store(reg plugins.Registry, budget time.Duration) *plugins.Store {
	opts := []plugins.StoreOption{
		plugins.WithLogger(a.logger()),
		plugins.WithLookupRetryBudget(0),
		plugins.WithRetryObserver(a.reportRetry),
	}
	if d := a.retryBudget(budget); d > 0 {
		opts = append(opts, plugins.WithCallRetryBudget(d))
	}
	return plugins.NewStore(reg, append(opts, a.storeOptions...)...)
}

// retryBudget is --timeout, or def when no command set it (zero: the
// library's default).
func (a *app) retryBudget(def time.Duration) time.Duration {
	if a.timeout > 0 {
		return a.timeout
	}
	return def
}

// reportRetry tells the user what plugctl is waiting for. Every send
// counts: "retry N" follows the N-th attempt, made at once when a
// kept-alive connection failed under it. With --debug the library logs
// every retry itself, and one line per retry is enough.
func (a *app) reportRetry(ev plugins.RetryEvent) {
	// Until the next attempt, plugctl waits for the back-off, not for an
	// answer: the silence before saying so starts with that attempt.
	a.stderr.quietUntil(time.Now().Add(ev.Wait))
	if a.debug {
		return
	}
	when := "at once"
	if ev.Wait > 0 {
		when = "in " + ev.Wait.String()
	}
	if ev.Method == "" {
		fmt.Fprintf(a.stderr, "plugctl: waiting for plugin %q to appear: %s; retry %d %s\n",
			ev.Plugin, brief(ev.Err, 0), ev.Attempt, when)
		return
	}
	fmt.Fprintf(a.stderr, "plugctl: waiting for plugin %q (%s): %s: %s; retry %d %s\n",
		ev.Plugin, ev.Addr, ev.Method, brief(ev.Err, 0), ev.Attempt, when)
}

// withTimeout bounds ctx by --timeout, or by def when no command set it
// (zero: no bound).
func (a *app) withTimeout(ctx context.Context, def time.Duration) (context.Context, context.CancelFunc) {
	d := a.retryBudget(def)
	if d <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, d)
}

// brief shortens a connection error to its cause ("connect: connection
// refused"), which is what a user can act on; other errors are kept whole.
// bound, when known, is the time the failed operation was given.
func brief(err error, bound time.Duration) string {
	var op *net.OpError
	cause := ""
	if errors.As(err, &op) && op.Err != nil {
		cause = op.Err.Error()
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		msg := "no answer in time"
		if bound > 0 {
			msg = fmt.Sprintf("no answer within %v", bound)
		}
		if cause != "" {
			msg += " (last error: " + cause + ")"
		}
		return msg
	case cause != "":
		return cause
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed without an answer"
	}
	return oneLine(err.Error())
}
