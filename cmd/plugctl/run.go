package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/go-dockerplugins/plugins"
)

// Exit statuses.
const (
	exitOK      = 0
	exitFailure = 1 // the command ran and something failed
	exitUsage   = 2 // the command line is wrong
)

// command is a plugctl subcommand.
type command struct {
	name    string
	args    string // synopsis of the arguments
	summary string // one line, for the list of commands
	doc     string // the command's help, lines under 100 columns
	// flags defines the command's own flags on fs.
	flags func(fs *flag.FlagSet)
	run   func(ctx context.Context, a *app, args []string) error
}

func commands() []*command {
	return []*command{lsCommand(), inspectCommand(), callCommand(), demoCommand()}
}

func findCommand(name string) *command {
	for _, c := range commands() {
		if c.name == name {
			return c
		}
	}
	return nil
}

// usageError is an error in the command line.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{fmt.Sprintf(format, args...)}
}

// run runs plugctl with args (without the program name) and returns its
// exit status. Errors are reported on stderr in one line.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return newApp(stdin, stdout, stderr).run(ctx, args)
}

func newApp(stdin io.Reader, stdout, stderr io.Writer) *app {
	return &app{
		stdin: stdin, stdout: stdout, stderr: &lockedWriter{w: stderr},
		defaultTimeout: callDefaultTimeout, quietFor: quietBeforeNotice,
	}
}

func (a *app) run(ctx context.Context, args []string) int {
	top := a.flagSet("plugctl")
	if err := top.Parse(args); err != nil {
		return a.parseFailed(top, "plugctl", err)
	}
	if top.NArg() == 0 {
		fmt.Fprint(a.stderr, "plugctl: no command given (see 'plugctl -h')\n")
		return exitUsage
	}
	cmd := findCommand(top.Arg(0))
	if cmd == nil {
		fmt.Fprintf(a.stderr, "plugctl: unknown command %q (see 'plugctl -h')\n", top.Arg(0))
		return exitUsage
	}
	parsed := a.globals // defining the flags again resets them to their defaults
	fs := a.flagSet("plugctl " + cmd.name)
	a.globals = parsed
	if cmd.flags != nil {
		cmd.flags(fs)
	}
	fs.Usage = func() { a.commandUsage(fs, cmd) }
	if err := fs.Parse(top.Args()[1:]); err != nil {
		return a.parseFailed(fs, "plugctl "+cmd.name, err)
	}
	if f := misplacedFlag(fs); f != "" {
		fmt.Fprintf(a.stderr, "plugctl %s: flag %s must come before the arguments (see 'plugctl %s -h')\n", cmd.name, f, cmd.name)
		return exitUsage
	}
	err := cmd.run(ctx, a, fs.Args())
	var ue *usageError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(a.stderr, "plugctl %s: %s (see 'plugctl %s -h')\n", cmd.name, oneLine(err.Error()), cmd.name)
		return exitUsage
	default:
		fmt.Fprintf(a.stderr, "plugctl %s: %s\n", cmd.name, oneLine(err.Error()))
		return exitFailure
	}
}

// parseFailed reports a flag error in one line, or prints the usage for -h.
func (a *app) parseFailed(fs *flag.FlagSet, prog string, err error) int {
	if errors.Is(err, flag.ErrHelp) {
		fs.SetOutput(a.stdout)
		fs.Usage()
		return exitOK
	}
	fmt.Fprintf(a.stderr, "%s: %s (see '%s -h')\n", prog, oneLine(err.Error()), prog)
	return exitUsage
}

// misplacedFlag returns the first argument left after parsing that names
// one of fs's flags ("call x M --timeout 1s"): the flag package stops at the
// first argument, so such a flag would be taken for an argument.
func misplacedFlag(fs *flag.FlagSet) string {
	for _, arg := range fs.Args() {
		name, _, _ := strings.Cut(strings.TrimLeft(arg, "-"), "=")
		if strings.HasPrefix(arg, "-") && fs.Lookup(name) != nil {
			return arg
		}
	}
	return ""
}

// flagSet returns a flag set with the global flags, which are accepted
// before and after the command's name. It prints nothing by itself.
func (a *app) flagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	g := &a.globals
	fs.StringVar(&g.socketsDir, "sockets-dir", plugins.NewLocalRegistry().SocketsDir(), "search `DIR` for NAME.sock and NAME/NAME.sock")
	g.specsDirs = specsDirs{}
	fs.Var(&g.specsDirs, "specs-dir", "search `DIR` for NAME.spec and NAME.json; repeatable, replaces the defaults (default "+strings.Join(plugins.SpecsPaths(), ", ")+")")
	fs.DurationVar(&g.timeout, "timeout", 0, "bound lookup, activation and call to `DURATION` (default: "+lsDefaultTimeout.String()+" per plugin for ls, "+
		demoStepTimeout.String()+" per step for demo, the library's retry budget of "+a.defaultTimeout.String()+" otherwise)")
	fs.BoolVar(&g.debug, "debug", false, "log the library's warnings on stderr")
	fs.Usage = func() { a.topUsage(fs) }
	return fs
}

func (a *app) topUsage(fs *flag.FlagSet) {
	w := fs.Output()
	fmt.Fprint(w, "Usage: plugctl [flags] COMMAND [ARGS]\n\nInspect and call Docker legacy (v1) plugins.\n\nCommands:\n")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, "\nFlags (also accepted after the command):\n")
	fs.PrintDefaults()
	fmt.Fprint(w, "\nRun 'plugctl COMMAND -h' for a command's arguments.\n")
}

func (a *app) commandUsage(fs *flag.FlagSet, c *command) {
	w := fs.Output()
	fmt.Fprintf(w, "Usage: %s\n\n%s\n\nFlags:\n", strings.TrimSpace("plugctl "+c.name+" [flags] "+c.args), c.doc)
	fs.PrintDefaults()
}

// lockedWriter serialises writes: retries are reported from many goroutines.
// It notes when it was last written to, so that plugctl can tell a silence.
type lockedWriter struct {
	mu   sync.Mutex
	w    io.Writer
	last time.Time
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.last = time.Now()
	return l.w.Write(p)
}

// writeAfterSilence writes msg once d has passed since from and since the
// last write; before that, it writes nothing and returns when it may.
func (l *lockedWriter) writeAfterSilence(from time.Time, d time.Duration, msg string) (written bool, retryAt time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.last.After(from) {
		from = l.last
	}
	if time.Since(from) < d {
		return false, from.Add(d)
	}
	l.last = time.Now()
	_, _ = io.WriteString(l.w, msg)
	return true, time.Time{}
}

// oneLine joins the lines of a message, so that every error is one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.TrimSpace(s)), " ")
}

// lsDefaultTimeout bounds each plugin's activation in ls when --timeout is
// not given: as long as GetAll waits.
const lsDefaultTimeout = plugins.DefaultGetAllTimeout
