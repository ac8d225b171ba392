package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/go-dockerplugins/plugins"
	"github.com/spf13/cobra"
)

// Exit statuses.
const (
	exitOK          = 0
	exitFailure     = 1   // the command ran and something failed
	exitUsage       = 2   // the command line is wrong
	exitInterrupted = 130 // SIGINT or SIGTERM, as shells report an interrupted command
)

func init() {
	// The commands are listed in the order they are added: the plugin
	// commands first, then the tools.
	cobra.EnableCommandSorting = false
}

// usageError is an error in the command line.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{fmt.Sprintf(format, args...)}
}

// run runs plugctl with args (without the program name) and returns its
// exit status. Errors are reported on stderr in one line. Once ctx is
// done (plugctl was interrupted), the command cleans up and plugctl exits
// with status 130.
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
	root := a.rootCommand()
	// cobra reads os.Args when given nil.
	root.SetArgs(append([]string{}, commandFirst(root, args)...))
	if len(args) > 1 && (args[0] == cobra.ShellCompRequestCmd || args[0] == cobra.ShellCompNoDescRequestCmd) {
		// Completing: the word being typed stays last.
		last := len(args) - 1
		root.SetArgs(append(append(args[:1:1], commandFirst(root, args[1:last])...), args[last]))
	}
	cmd, err := root.ExecuteContextC(ctx)
	path := cmd.CommandPath()
	var ue *usageError
	switch {
	case ctx.Err() != nil:
		fmt.Fprintf(a.stderr, "%s: interrupted\n", path)
		return exitInterrupted
	case err == nil:
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(a.stderr, "%s: %s (see '%s -h')\n", path, oneLine(err.Error()), path)
		return exitUsage
	default:
		fmt.Fprintf(a.stderr, "%s: %s\n", path, oneLine(err.Error()))
		return exitFailure
	}
}

// rootCommand returns the command tree, complete: help, completion and the
// flags cobra adds are there before it runs, so that tests can walk it.
func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "plugctl [flags] COMMAND",
		Short: "list, inspect, call and check Docker legacy (v1) plugins",
		Long: "plugctl lists, inspects, calls and checks Docker legacy (v1) plugins: processes that extend\n" +
			"the engine by answering JSON over HTTP on a UNIX socket, TCP or TLS, found through the files of\n" +
			"the plugin directories. A command's flags may come anywhere on the line, before or after its\n" +
			"name; -- ends them.\n\n" +
			"Exit status: 0 when the command succeeded, 1 when something failed, 2 when the command line is\n" +
			"wrong, 130 when interrupted (SIGINT or SIGTERM), after cleaning up.",
		Version:       buildVersion(),
		SilenceErrors: true,
		SilenceUsage:  true,
		Args: func(c *cobra.Command, args []string) error {
			if len(args) == 0 {
				return nil
			}
			if s := c.SuggestionsFor(args[0]); len(s) > 0 {
				return usagef("unknown command %q; did you mean %q?", args[0], s[0])
			}
			return usagef("unknown command %q", args[0])
		},
		RunE: func(*cobra.Command, []string) error { return usagef("no command given") },
		// The root has no argument to complete but the commands' names.
		ValidArgsFunction:          cobra.NoFileCompletions,
		SuggestionsMinimumDistance: 2,
	}
	root.SetIn(a.stdin)
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err.Error()} })
	root.SetUsageFunc(usage)
	root.SetVersionTemplate("plugctl version {{.Version}}\n")
	root.AddCommand(a.lsCommand(), a.inspectCommand(), a.callCommand(), a.checkCommand(), a.demoCommand(), versionCommand())
	root.InitDefaultCompletionCmd()
	fixCompletionCommand(root)
	root.SetHelpCommand(helpCommand())
	root.InitDefaultHelpCmd()
	root.InitDefaultVersionFlag()
	walk(root, func(c *cobra.Command) { c.InitDefaultHelpFlag() })
	return root
}

// walk calls fn on c and every command under it.
func walk(c *cobra.Command, fn func(*cobra.Command)) {
	fn(c)
	for _, sub := range c.Commands() {
		walk(sub, fn)
	}
}

// shells are the shells "plugctl completion" writes scripts for.
var shells = []string{"bash", "zsh", "fish", "powershell"}

// fixCompletionCommand makes cobra's "completion" reject a missing or
// unknown shell as a usage error: by itself it prints its help and
// succeeds.
func fixCompletionCommand(root *cobra.Command) {
	for _, c := range root.Commands() {
		if c.Name() != "completion" {
			continue
		}
		c.Use = "completion SHELL"
		c.Short = "print the script that completes plugctl's commands, flags and plugin names in SHELL"
		c.Long = "Print the script that completes plugctl's commands, flags and plugin names in SHELL, one of\n" +
			strings.Join(shells, ", ") + ". Plugin names are those found in the directories given on the line\n" +
			"so far, or the defaults; no plugin is contacted. 'plugctl completion SHELL -h' tells how to\n" +
			"load the script."
		for _, sub := range c.Commands() {
			sub.Short = "print the completion script for " + sub.Name()
		}
		c.Args = func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usagef("no shell given: want %s", strings.Join(shells, ", "))
			}
			return usagef("unknown shell %q: want %s", args[0], strings.Join(shells, ", "))
		}
		c.RunE = func(*cobra.Command, []string) error { return nil } // Args has failed
	}
}

// helpCommand is "plugctl help [COMMAND]". Unlike cobra's, it reports an
// unknown command as a usage error rather than printing the root's help.
func helpCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "help [COMMAND]",
		Short: "show the help of plugctl or of COMMAND",
		Long:  "Show the help of plugctl or of COMMAND (e.g. plugctl help completion bash), as -h does.",
		RunE: func(c *cobra.Command, args []string) error {
			target, rest, err := c.Root().Find(args)
			if err != nil || len(rest) > 0 {
				return usagef("unknown command %q", strings.Join(args, " "))
			}
			return target.Help()
		},
		ValidArgsFunction: func(c *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
			target, rest, err := c.Root().Find(args)
			if err != nil || len(rest) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			var names []string
			for _, sub := range target.Commands() {
				if (sub.IsAvailableCommand() || sub == c) && strings.HasPrefix(sub.Name(), toComplete) {
					names = append(names, sub.Name()+"\t"+sub.Short)
				}
			}
			return names, cobra.ShellCompDirectiveNoFileComp
		},
	}
}

// usage is the usage part of every help: synopsis, commands and flags.
func usage(c *cobra.Command) error {
	var b strings.Builder
	b.WriteString("Usage:\n  " + c.UseLine() + "\n")
	if c.HasAvailableSubCommands() {
		b.WriteString("\nCommands:\n")
		for _, sub := range c.Commands() {
			if sub.IsAvailableCommand() || sub.Name() == "help" {
				fmt.Fprintf(&b, "  %-*s %s\n", sub.NamePadding(), sub.Name(), sub.Short)
			}
		}
	}
	if c.HasAvailableFlags() {
		b.WriteString("\nFlags:\n" + flagUsages(c.Flags()))
	}
	if !c.HasParent() {
		b.WriteString("\nRun 'plugctl COMMAND -h' for the help of a command.\n")
	}
	_, err := io.WriteString(c.OutOrStderr(), b.String())
	return err
}

// pluginCommand completes c, a command that uses plugins: it adds the
// flags that every such command has (the directories when dirs is set)
// and runs fn with them in a.options.
func (a *app) pluginCommand(c *cobra.Command, o *options, dirs bool, timeout time.Duration, timeoutUsage string,
	fn func(ctx context.Context, args []string) error) *cobra.Command {
	if dirs {
		addDirFlags(c, o, plugins.NewLocalRegistry().SocketsDir(), plugins.SpecsPaths())
	}
	addCommonFlags(c, o, timeout, timeoutUsage)
	c.RunE = func(c *cobra.Command, args []string) error {
		o.given(c.Flags())
		a.options = *o
		a.warnMissingDirs()
		return fn(c.Context(), args)
	}
	return c
}

// noArgs rejects any argument, as a usage error.
func noArgs(_ *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usagef("unexpected argument %q", args[0])
	}
	return nil
}

// lockedWriter serialises writes: retries are reported from many goroutines.
// It notes when it was last written to, or when a retry is due, so that
// plugctl can tell a silence.
type lockedWriter struct {
	mu   sync.Mutex
	w    io.Writer
	last time.Time
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now := time.Now(); now.After(l.last) {
		l.last = now
	}
	return l.w.Write(p)
}

// quietUntil counts the silence from t at the earliest.
func (l *lockedWriter) quietUntil(t time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if t.After(l.last) {
		l.last = t
	}
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
