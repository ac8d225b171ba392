package main

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// options are the flags shared by the commands that use plugins; each
// command has its own, so that its help shows its own defaults.
type options struct {
	socketsDir string
	specsDirs  specsDirs
	timeout    time.Duration
	debug      bool
	// dirsGiven lists the directories named on the command line, whose
	// absence is worth a warning (the defaults are often missing).
	dirsGiven []namedDir
}

type namedDir struct{ what, path string }

// specsDirs is the repeatable --specs-dir flag: the first use replaces the
// default directories, later ones add to it.
type specsDirs struct {
	dirs []string
	set  bool
}

func (s *specsDirs) String() string { return strings.Join(s.dirs, ",") }
func (s *specsDirs) Type() string   { return "dirs" }

func (s *specsDirs) Set(dir string) error {
	if dir == "" {
		return errors.New("empty directory")
	}
	if !s.set {
		s.dirs = nil
	}
	s.dirs, s.set = append(s.dirs, dir), true
	return nil
}

// timeoutValue is --timeout: a positive duration, since a bound of zero
// would end every wait before it starts.
type timeoutValue time.Duration

func (t *timeoutValue) String() string { return time.Duration(*t).String() }
func (t *timeoutValue) Type() string   { return "duration" }

func (t *timeoutValue) Set(s string) error {
	d, err := time.ParseDuration(s)
	if err != nil {
		return errors.New("not a duration (e.g. 500ms, 2s, 1m)")
	}
	if d <= 0 {
		return errors.New("must be positive")
	}
	*t = timeoutValue(d)
	return nil
}

// Usage texts shared by several commands; docs/plugctl.md repeats them.
const (
	socketsDirUsage = "search `DIR` for NAME.sock and NAME/NAME.sock"
	specsDirUsage   = "search `DIR` for NAME.spec and NAME.json; repeatable, replaces the defaults"
	debugUsage      = "log the library's warnings on stderr, each retry included"
)

// addDirFlags adds --sockets-dir and --specs-dir, with the library's
// defaults, to the commands that look plugins up.
func addDirFlags(c *cobra.Command, o *options, defaultSockets string, defaultSpecs []string) {
	fs := c.Flags()
	fs.StringVar(&o.socketsDir, "sockets-dir", defaultSockets, socketsDirUsage)
	o.specsDirs = specsDirs{dirs: defaultSpecs}
	fs.Var(&o.specsDirs, "specs-dir", specsDirUsage)
	for _, name := range []string{"sockets-dir", "specs-dir"} {
		_ = c.MarkFlagDirname(name)
	}
}

// addCommonFlags adds --timeout, whose default and meaning depend on the
// command, and --debug.
func addCommonFlags(c *cobra.Command, o *options, timeout time.Duration, timeoutUsage string) {
	o.timeout = timeout
	c.Flags().Var((*timeoutValue)(&o.timeout), "timeout", timeoutUsage)
	c.Flags().BoolVar(&o.debug, "debug", false, debugUsage)
}

// given records the directories named on the command line.
func (o *options) given(fs *pflag.FlagSet) {
	o.dirsGiven = nil
	if fs.Changed("sockets-dir") && o.socketsDir != "" {
		o.dirsGiven = append(o.dirsGiven, namedDir{"sockets directory", o.socketsDir})
	}
	if fs.Changed("specs-dir") {
		for _, d := range o.specsDirs.dirs {
			o.dirsGiven = append(o.dirsGiven, namedDir{"specs directory", d})
		}
	}
}

// flagUsages lists fs's flags, one a line, in the help's format. pflag's
// own listing marks every boolean flag "[=true|false]", which reads as if
// it took a value.
func flagUsages(fs *pflag.FlagSet) string {
	type line struct{ left, usage string }
	var lines []line
	width := 0
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Hidden {
			return
		}
		left := "      --" + f.Name
		if f.Shorthand != "" {
			left = "  -" + f.Shorthand + ", --" + f.Name
		}
		varname, usage := pflag.UnquoteUsage(f)
		if varname != "" {
			left += " " + varname
		}
		if def := flagDefault(f); def != "" {
			usage += " (default " + def + ")"
		}
		width = max(width, len(left))
		lines = append(lines, line{left, usage})
	})
	var b strings.Builder
	for _, l := range lines {
		fmt.Fprintf(&b, "%-*s   %s\n", width, l.left, l.usage)
	}
	return b.String()
}

// flagDefault is the default shown in the help, if worth showing.
func flagDefault(f *pflag.Flag) string {
	switch {
	case f.DefValue == "" || f.Value.Type() == "bool":
		return ""
	case f.Value.Type() == "string":
		return fmt.Sprintf("%q", f.DefValue)
	}
	return f.DefValue
}

// commandFirst moves the command's name to the front of args, so that
// every flag of a command may also come before its name ("plugctl --debug
// ls"): cobra looks for the command with the root's flags only, and would
// take the word after an unknown flag for that flag's value. A flag that
// takes a value in any command skips the word after it; "--" ends the
// search.
func commandFirst(root *cobra.Command, args []string) []string {
	takesValue := func(arg string) bool {
		name, _, hasValue := strings.Cut(strings.TrimLeft(arg, "-"), "=")
		if hasValue {
			return false
		}
		long := strings.HasPrefix(arg, "--")
		if !long && len(name) != 1 {
			return false // -qv: shorthands without values
		}
		for _, c := range append([]*cobra.Command{root}, root.Commands()...) {
			f := c.Flags().Lookup(name)
			if !long {
				f = c.Flags().ShorthandLookup(name)
			}
			if f != nil && f.NoOptDefVal == "" {
				return true
			}
		}
		return false
	}
	for i := 0; i < len(args); i++ {
		arg := args[i]
		switch {
		case arg == "--":
			return args
		case strings.HasPrefix(arg, "-") && arg != "-":
			if takesValue(arg) {
				i++
			}
		default:
			for _, c := range root.Commands() {
				if c.Name() == arg {
					return append([]string{arg}, append(args[:i:i], args[i+1:]...)...)
				}
			}
			return args
		}
	}
	return args
}
