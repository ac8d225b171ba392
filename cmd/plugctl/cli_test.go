package main

import (
	"context"
	"io"
	"net/http"
	"os"
	"regexp"
	"runtime/debug"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-dockerplugins/plugins/pluginstest"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// echoEnv serves a plugin whose X.Echo answers the body it was sent.
func echoEnv(t *testing.T) *pluginstest.Env {
	env := pluginstest.New(t)
	env.ServeSocket("vol", "VolumeDriver").HandleFunc("X.Echo", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(w, r.Body)
	})
	return env
}

// TestFlagsAnywhere: GNU-style flags, before or after the command and its
// arguments, and -- ending them.
func TestFlagsAnywhere(t *testing.T) {
	t.Parallel()
	env := echoEnv(t)
	tests := []struct {
		name   string
		args   []string
		stdin  string
		stdout string
	}{
		{"after the arguments", []string{"call", "vol", "X.Echo", "--timeout", "5s"}, "", "{}\n"},
		{"between the arguments", []string{"call", "vol", "--timeout=5s", "X.Echo", `[1]`}, "", "[\n  1\n]\n"},
		{"before the command", []string{"--timeout", "5s", "--debug", "call", "vol", "X.Echo"}, "", "{}\n"},
		{"-- ends the flags", []string{"call", "vol", "X.Echo", "--", "-1"}, "", "-1\n"},
		{"a trailing -- is no argument", []string{"call", "vol", "X.Echo", "--"}, "", "{}\n"},
		{"- after -- is stdin", []string{"call", "--", "vol", "X.Echo", "-"}, `"in"`, "\"in\"\n"},
		{"a boolean flag before the command", []string{"-q", "--no-activate", "ls"}, "", "vol\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := plugctlWith(t, env, tt.stdin, nil, tt.args...)
			require.Equal(t, exitOK, r.code, r.stderr)
			assert.Equal(t, tt.stdout, r.stdout)
			assert.Empty(t, r.stderr)
		})
	}
}

// listedFlags returns the flags a help lists, by long name.
func listedFlags(help string) []string {
	_, flags, _ := strings.Cut(help, "\nFlags:\n")
	var names []string
	for _, m := range regexp.MustCompile(`(?m)^ +(?:-\w, )?--([\w-]+)`).FindAllStringSubmatch(flags, -1) {
		names = append(names, m[1])
	}
	return names
}

// flagArgs is every flag of the tree as typed on a command line, with a
// value that parses when it takes one: long and short forms.
func flagArgs(root *cobra.Command) map[string]string {
	args := make(map[string]string) // argument -> long name
	walk(root, func(c *cobra.Command) {
		c.Flags().VisitAll(func(f *pflag.Flag) {
			value := ""
			if f.NoOptDefVal == "" {
				value = "=x"
				if f.Value.Type() == "duration" {
					value = "=1s"
				}
			}
			args["--"+f.Name+value] = f.Name
			if f.Shorthand != "" && value == "" {
				args["-"+f.Shorthand] = f.Name
			}
		})
	})
	return args
}

// TestHelpListsExactlyTheAcceptedFlags runs every command's -h and checks
// that the flags it lists are those the command accepts, trying every
// flag of every command on it.
func TestHelpListsExactlyTheAcceptedFlags(t *testing.T) {
	t.Parallel()
	root := newApp(nil, io.Discard, io.Discard).rootCommand()
	args := flagArgs(root)
	walk(root, func(c *cobra.Command) {
		if c.Hidden {
			return
		}
		path := strings.Fields(c.CommandPath())[1:]
		t.Run(c.CommandPath(), func(t *testing.T) {
			help := plugctl(t, nil, append(slices.Clone(path), "-h")...)
			require.Equal(t, exitOK, help.code)
			listed := listedFlags(help.stdout)
			require.Contains(t, listed, "help")
			for arg, name := range args {
				r := plugctl(t, nil, append(slices.Clone(path), arg, "-h")...)
				if slices.Contains(listed, name) {
					assert.Equal(t, exitOK, r.code, "%s is listed but refused: %s", arg, r.stderr)
					assert.Equal(t, help.stdout, r.stdout)
				} else {
					assert.Equal(t, exitUsage, r.code, "%s is accepted but not listed", arg)
					assert.Regexp(t, `unknown (shorthand )?flag`, r.stderr)
				}
			}
		})
	})
}

// TestFlagsOfEachCommand: the directories belong to the commands that look
// plugins up, not to demo; --timeout and --debug to every plugin command.
func TestFlagsOfEachCommand(t *testing.T) {
	t.Parallel()
	common := []string{"debug", "help", "timeout"}
	dirs := []string{"sockets-dir", "specs-dir"}
	tests := []struct {
		command string
		flags   []string
	}{
		{"plugctl", []string{"help", "version"}},
		{"ls", append(append([]string{"format", "no-activate", "quiet"}, common...), dirs...)},
		{"inspect", append(slices.Clone(common), dirs...)},
		{"call", append(slices.Clone(common), dirs...)},
		{"check", append(append([]string{"format", "write"}, common...), dirs...)},
		{"demo", common},
		{"version", []string{"help"}},
		{"completion", []string{"help"}},
		{"completion bash", []string{"help", "no-descriptions"}},
		{"help", []string{"help"}},
	}
	for _, tt := range tests {
		t.Run(tt.command, func(t *testing.T) {
			args := strings.Fields(tt.command)
			if tt.command == "plugctl" {
				args = nil
			}
			r := plugctl(t, nil, append(args, "-h")...)
			require.Equal(t, exitOK, r.code)
			listed := listedFlags(r.stdout)
			slices.Sort(listed)
			slices.Sort(tt.flags)
			assert.Equal(t, tt.flags, listed)
		})
	}
}

func TestVersionOf(t *testing.T) {
	t.Parallel()
	const rev = "0123456789abcdef0123456789abcdef01234567"
	tests := []struct {
		name string
		info *debug.BuildInfo
		want string
	}{
		{"no build information", nil, "(devel)"},
		{"a module version", &debug.BuildInfo{Main: debug.Module{Version: "v1.2.3"}}, "v1.2.3"},
		{"a pseudo-version", &debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20250102030405-0123456789ab+dirty"}},
			"v0.0.0-20250102030405-0123456789ab+dirty"},
		{"a working tree without VCS information", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "(devel)"},
		{"a working tree", &debug.BuildInfo{
			Main:     debug.Module{Version: "(devel)"},
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: rev}, {Key: "vcs.modified", Value: "false"}},
		}, "(devel) (revision 0123456789ab)"},
		{"a modified working tree", &debug.BuildInfo{
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: rev}, {Key: "vcs.modified", Value: "true"}},
		}, "(devel) (revision 0123456789ab, modified)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, versionOf(tt.info))
		})
	}
}

func TestVersion(t *testing.T) {
	t.Parallel()
	want := "plugctl version " + buildVersion() + "\n"
	for _, args := range [][]string{{"--version"}, {"-v"}, {"version"}} {
		t.Run(args[0], func(t *testing.T) {
			r := plugctl(t, nil, args...)
			assert.Equal(t, exitOK, r.code)
			assert.Equal(t, want, r.stdout)
			assert.Empty(t, r.stderr)
		})
	}
}

func TestCompletionScripts(t *testing.T) {
	t.Parallel()
	tests := []struct{ shell, first string }{
		{"bash", "# bash completion V2 for plugctl"},
		{"zsh", "#compdef plugctl"},
		{"fish", "# fish completion for plugctl"},
		{"powershell", "# powershell completion for plugctl"},
	}
	for _, tt := range tests {
		t.Run(tt.shell, func(t *testing.T) {
			r := plugctl(t, nil, "completion", tt.shell)
			assert.Equal(t, exitOK, r.code, r.stderr)
			assert.True(t, strings.HasPrefix(r.stdout, tt.first), "%.80q", r.stdout)
			assert.Empty(t, r.stderr)
		})
	}
}

// TestCompletion asks for completions as the shell scripts do: the
// candidates, one a line (with a tab before any description), then the
// directive.
func TestCompletion(t *testing.T) {
	t.Parallel()
	env := pluginstest.New(t)
	env.ServeSocket("vol", "VolumeDriver")
	env.ServeSocket("vault", "authz")
	env.ServeSpec("net", "NetworkDriver")
	dirs := []string{"--sockets-dir", env.SocketsDir(), "--specs-dir", env.SpecsDir()}

	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"commands", []string{""}, []string{"ls", "inspect", "call", "check", "demo", "version", "completion", "help"}},
		{"plugin names", append([]string{"inspect"}, append(dirs, "")...), []string{"net", "vault", "vol"}},
		{"plugin names by prefix", append([]string{"call"}, append(dirs, "v")...), []string{"vault", "vol"}},
		{"flags before the command", append(append([]string{"--debug"}, dirs...), "inspect", ""), []string{"net", "vault", "vol"}},
		{"one name only", append([]string{"inspect"}, append(dirs, "vol", "")...), nil},
		{"no method names", append([]string{"call"}, append(dirs, "vol", "")...), nil},
		{"the flags of demo", []string{"demo", "--"}, []string{"--debug", "--help", "--timeout"}},
		{"formats", []string{"ls", "--format", ""}, []string{"table", "json", "{{.Name}}"}},
		{"formats of check", []string{"check", "--format", ""}, []string{"table", "json", "{{.Check}}"}},
		{"plugin names to check", append([]string{"check"}, append(dirs, "")...), []string{"net", "vault", "vol"}},
		{"help topics", []string{"help", "c"}, []string{"call", "check", "completion"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := plugctl(t, nil, append([]string{cobra.ShellCompRequestCmd}, tt.args...)...)
			require.Equal(t, exitOK, r.code, r.stderr)
			ls := lines(r.stdout)
			require.NotEmpty(t, ls)
			assert.Regexp(t, `^:\d+$`, ls[len(ls)-1], "the directive")
			var got []string
			for _, l := range ls[:len(ls)-1] {
				got = append(got, strings.Split(l, "\t")[0])
			}
			assert.Equal(t, tt.want, got)
		})
	}
}

// TestInterrupted: a cancelled context stands for SIGINT or SIGTERM.
// plugctl cleans up, says so in one line and exits with status 130.
func TestInterrupted(t *testing.T) {
	t.Parallel()
	env := pluginstest.New(t)
	env.ServeSocket("hung", "X").Inject(pluginstest.Fault{Delay: time.Hour})

	tests := []struct {
		name string
		args []string
		env  bool
	}{
		{"call", []string{"call", "hung", "X.Do"}, true},
		{"check", []string{"check", "hung"}, true},
		{"inspect", []string{"inspect", "hung"}, true},
		{"ls", []string{"ls", "--timeout", "1h"}, true},
		{"demo", []string{"demo"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var e *pluginstest.Env
			if tt.env {
				e = env
				time.AfterFunc(100*time.Millisecond, cancel)
			}
			start := time.Now()
			r := plugctlCtx(t, ctx, e, "", func(a *app) {
				a.demoHook = func(_, _, _ *pluginstest.Plugin) { cancel() } // once the plugins are served
			}, tt.args...)
			assert.Less(t, time.Since(start), 5*time.Second)
			assert.Equal(t, exitInterrupted, r.code)
			assert.Equal(t, "plugctl "+tt.args[0]+": interrupted", requireOneErrorLine(t, r))
			if tt.name != "demo" {
				assert.Empty(t, r.stdout, "nothing but that it was interrupted")
				return
			}
			// The demo's directory is gone, the steps after the interruption
			// not run.
			m := regexp.MustCompile(`(?m)^start sample plugins +ok +\S+  3 plugins in (\S+)$`).FindStringSubmatch(r.stdout)
			require.NotNil(t, m, r.stdout)
			_, err := os.Stat(m[1])
			assert.True(t, os.IsNotExist(err), "%s was left behind", m[1])
			assert.NotContains(t, r.stdout, "clean up")
		})
	}
}
