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
	"github.com/sirupsen/logrus"
)

// app is what the commands share: their streams and the global flags.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	globals
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
	opts := []plugins.RegistryOption{plugins.WithSocketsDir(a.socketsDir), plugins.WithRegistryLogger(a.logger())}
	if a.specsDirs.set {
		opts = append(opts, plugins.WithSpecsDirs(a.specsDirs.dirs...))
	}
	return plugins.NewLocalRegistry(opts...)
}

// store returns a store over reg that reports what it waits for on stderr.
// A missing plugin is reported at once: waiting for it to appear helps a
// daemon starting with its plugins, not someone typing a name.
func (a *app) store(reg plugins.Registry) *plugins.Store {
	return plugins.NewStore(reg,
		plugins.WithLogger(a.logger()),
		plugins.WithLookupRetryBudget(0),
		plugins.WithRetryObserver(a.reportRetry),
	)
}

// reportRetry tells the user what plugctl is waiting for.
func (a *app) reportRetry(ev plugins.RetryEvent) {
	if ev.Method == "" {
		fmt.Fprintf(a.stderr, "plugctl: waiting for plugin %q to appear: %s; retry %d in %v\n",
			ev.Plugin, brief(ev.Err), ev.Attempt, ev.Wait)
		return
	}
	fmt.Fprintf(a.stderr, "plugctl: waiting for plugin %q (%s): %s: %s; retry %d in %v\n",
		ev.Plugin, ev.Addr, ev.Method, brief(ev.Err), ev.Attempt, ev.Wait)
}

// withTimeout bounds ctx by --timeout, or by def when it is not given.
func (a *app) withTimeout(ctx context.Context, def time.Duration) (context.Context, context.CancelFunc) {
	d := a.timeout
	if d <= 0 {
		d = def
	}
	if d <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, d)
}

// brief shortens a connection error to its cause ("connect: connection
// refused"), which is what a user can act on; other errors are kept whole.
func brief(err error) string {
	var op *net.OpError
	cause := ""
	if errors.As(err, &op) && op.Err != nil {
		cause = op.Err.Error()
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded) && cause != "":
		return "no answer in time (last error: " + cause + ")"
	case errors.Is(err, context.DeadlineExceeded):
		return "no answer in time"
	case cause != "":
		return cause
	}
	return oneLine(err.Error())
}
