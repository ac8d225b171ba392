package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/go-dockerplugins/plugins"
	"github.com/go-dockerplugins/plugins/pluginstest"
	"github.com/sirupsen/logrus"
)

// app is what the commands share: their streams and the global flags.
type app struct {
	stdin  io.Reader
	stdout io.Writer
	stderr *lockedWriter
	globals

	// defaultTimeout bounds call and inspect when --timeout is not given,
	// and quietFor is how long they wait in silence before saying what they
	// wait for; tests shorten both.
	defaultTimeout time.Duration
	quietFor       time.Duration

	// storeOptions are added to those of every store; tests use them to
	// make retries fast.
	storeOptions []plugins.StoreOption
	// demoHook, when set, runs once the demo's plugins are served; tests
	// use it to make them misbehave.
	demoHook func(vol, net, authz *pluginstest.Plugin)
}

// globals are the flags accepted by every command.
type globals struct {
	socketsDir string
	specsDirs  specsDirs
	timeout    time.Duration
	debug      bool
}

// specsDirs is the repeatable --specs-dir flag: the first use replaces the
// default directories, later ones add to it.
type specsDirs struct {
	dirs []string
	set  bool
}

func (s *specsDirs) String() string { return strings.Join(s.dirs, ",") }

func (s *specsDirs) Set(dir string) error {
	if dir == "" {
		return errors.New("empty directory")
	}
	s.dirs, s.set = append(s.dirs, dir), true
	return nil
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
	opts := []plugins.RegistryOption{plugins.WithSocketsDir(a.socketsDir), plugins.WithLogger(a.logger())}
	if a.specsDirs.set {
		opts = append(opts, plugins.WithSpecsDirs(a.specsDirs.dirs...))
	}
	return plugins.NewLocalRegistry(opts...)
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

// retryBudget is --timeout, or def when it is not given (zero: the
// library's default).
func (a *app) retryBudget(def time.Duration) time.Duration {
	if a.timeout > 0 {
		return a.timeout
	}
	return def
}

// reportRetry tells the user what plugctl is waiting for. Every send
// counts: "retry N" follows the N-th attempt, made at once when a
// kept-alive connection failed under it.
func (a *app) reportRetry(ev plugins.RetryEvent) {
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

// withTimeout bounds ctx by --timeout, or by def when it is not given
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
