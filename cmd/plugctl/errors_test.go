package main

import (
	"strings"
	"testing"

	"github.com/go-dockerplugins/plugins/pluginstest"
	"github.com/stretchr/testify/assert"
)

// TestBadInput: every mistake gives one clear line on stderr and a non-zero
// status, and prints nothing on stdout.
func TestBadInput(t *testing.T) {
	t.Parallel()
	env := pluginstest.New(t)
	env.ServeSocket("vol", "VolumeDriver")
	env.StaleSocket("crashed")

	tests := []struct {
		name   string
		args   []string
		env    bool // pass the environment's directories
		code   int
		stderr string // regexp
	}{
		{"no command", nil, false, exitUsage, `^plugctl: no command given \(see 'plugctl -h'\)$`},
		{"unknown command", []string{"frob"}, false, exitUsage, `^plugctl: unknown command "frob" \(see 'plugctl -h'\)$`},
		{"mistyped command", []string{"lss"}, false, exitUsage, `^plugctl: unknown command "lss"; did you mean "ls"\? \(see 'plugctl -h'\)$`},
		{"unknown flag before the command", []string{"--bogus", "ls"}, false, exitUsage, `^plugctl ls: unknown flag: --bogus \(see 'plugctl ls -h'\)$`},
		{"unknown flag", []string{"ls", "--bogus"}, true, exitUsage, `^plugctl ls: unknown flag: --bogus \(see 'plugctl ls -h'\)$`},
		{"unknown flag alone", []string{"--bogus"}, false, exitUsage, `^plugctl: unknown flag: --bogus \(see 'plugctl -h'\)$`},
		{"flag of another command", []string{"demo", "--sockets-dir", "x"}, false, exitUsage, `^plugctl demo: unknown flag: --sockets-dir \(see 'plugctl demo -h'\)$`},
		{"bad timeout", []string{"--timeout", "soon", "ls"}, false, exitUsage, `^plugctl ls: invalid argument "soon" for "--timeout" flag: not a duration \(e.g. 500ms, 2s, 1m\) \(see 'plugctl ls -h'\)$`},
		{"zero timeout", []string{"call", "--timeout=0", "vol", "VolumeDriver.List"}, true, exitUsage, `^plugctl call: invalid argument "0" for "--timeout" flag: must be positive \(see 'plugctl call -h'\)$`},
		{"timeout without a value", []string{"inspect", "vol", "--timeout"}, true, exitUsage, `^plugctl inspect: flag needs an argument: --timeout \(see 'plugctl inspect -h'\)$`},
		{"empty specs dir", []string{"--specs-dir=", "ls"}, false, exitUsage, `^plugctl ls: invalid argument "" for "--specs-dir" flag: empty directory \(see 'plugctl ls -h'\)$`},
		{"ls with an argument", []string{"ls", "x"}, true, exitUsage, `^plugctl ls: unexpected argument "x" \(see 'plugctl ls -h'\)$`},
		{"quiet and format", []string{"ls", "-q", "--format", "json"}, true, exitUsage, `^plugctl ls: --quiet and --format cannot be used together \(see 'plugctl ls -h'\)$`},
		{"malformed template", []string{"ls", "--format", "{{.Name"}, true, exitUsage, `^plugctl ls: --format: template: format:1: unclosed action \(see 'plugctl ls -h'\)$`},
		{"template of an unknown field", []string{"ls", "--format", "{{.Nope}}"}, true, exitUsage, `^plugctl ls: --format: template: format:1:2: executing "format" at <.Nope>: can't evaluate field Nope in type main.lsRow \(see 'plugctl ls -h'\)$`},
		{"inspect without a name", []string{"inspect"}, true, exitUsage, `^plugctl inspect: want one plugin name, got 0 arguments`},
		{"inspect an invalid name", []string{"inspect", "../etc/x"}, true, exitFailure, `^plugctl inspect: invalid plugin name "../etc/x": contains a path separator$`},
		{"call without a method", []string{"call", "vol"}, true, exitUsage, `^plugctl call: want NAME METHOD \[JSON \| @FILE \| -\], got 1 arguments`},
		{"call an unknown plugin", []string{"call", "nope", "VolumeDriver.List"}, true, exitFailure, `^plugctl call: plugin "nope": Plugin not found \(searched \S+/nope.sock, `},
		{"malformed JSON argument", []string{"call", "vol", "VolumeDriver.Create", `{"Name":`}, true, exitUsage, `^plugctl call: argument is not valid JSON: unexpected end of JSON input \(see 'plugctl call -h'\)$`},
		{"empty JSON argument", []string{"call", "vol", "VolumeDriver.Create", ``}, true, exitUsage, `^plugctl call: empty JSON argument`},
		{"argument taken for a flag", []string{"call", "vol", "VolumeDriver.Create", "-1"}, true, exitUsage, `^plugctl call: unknown shorthand flag: '1' in -1 \(see 'plugctl call -h'\)$`},
		{"missing argument file", []string{"call", "vol", "VolumeDriver.Create", "@/nonexistent/arg.json"}, true, exitFailure, `^plugctl call: reading the argument: open /nonexistent/arg.json: no such file or directory$`},
		{"unreachable plugin", []string{"--timeout", "200ms", "call", "crashed", "VolumeDriver.List"}, true, exitFailure, `^plugctl call: plugin "crashed" \(unix://\S+/crashed.sock\): Plugin.Activate: dial unix \S+: connect: connection refused$`},
		{"demo with an argument", []string{"demo", "x"}, false, exitUsage, `^plugctl demo: unexpected argument "x"`},
		{"version with an argument", []string{"version", "x"}, false, exitUsage, `^plugctl version: unexpected argument "x" \(see 'plugctl version -h'\)$`},
		{"help for an unknown command", []string{"help", "frob"}, false, exitUsage, `^plugctl help: unknown command "frob" \(see 'plugctl help -h'\)$`},
		{"completion without a shell", []string{"completion"}, false, exitUsage, `^plugctl completion: no shell given: want bash, zsh, fish, powershell \(see 'plugctl completion -h'\)$`},
		{"completion for an unknown shell", []string{"completion", "tcsh"}, false, exitUsage, `^plugctl completion: unknown shell "tcsh": want bash, zsh, fish, powershell`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var e *pluginstest.Env
			if tt.env {
				e = env
			}
			// The library's own back-off: with --timeout shorter than its
			// first wait, an unreachable plugin is reported at once.
			r := plugctlWith(t, e, "", func(a *app) { a.storeOptions = nil }, tt.args...)
			assert.Equal(t, tt.code, r.code)
			assert.Regexp(t, tt.stderr, requireOneErrorLine(t, r))
			assert.Empty(t, r.stdout)
		})
	}
}

func TestMalformedJSONOnStdin(t *testing.T) {
	t.Parallel()
	env := pluginstest.New(t)
	vol := env.ServeSocket("vol", "VolumeDriver")
	r := plugctlWith(t, env, "{Name: x}", nil, "call", "vol", "VolumeDriver.Create", "-")
	assert.Equal(t, exitUsage, r.code)
	assert.Equal(t, "plugctl call: standard input is not valid JSON: invalid character 'N' looking for beginning of object key string (see 'plugctl call -h')",
		requireOneErrorLine(t, r))
	assert.Empty(t, vol.Requests(), "nothing is sent")
}

func TestHelp(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args  []string
		usage string // the synopsis, under "Usage:"
	}{
		{[]string{"-h"}, "plugctl [flags] COMMAND"},
		{[]string{"--help"}, "plugctl [flags] COMMAND"},
		{[]string{"help"}, "plugctl [flags] COMMAND"},
		{[]string{"ls", "-h"}, "plugctl ls [flags]"},
		{[]string{"help", "ls"}, "plugctl ls [flags]"},
		{[]string{"-h", "ls"}, "plugctl ls [flags]"},
		{[]string{"inspect", "--help"}, "plugctl inspect [flags] NAME"},
		{[]string{"call", "-h"}, "plugctl call [flags] NAME METHOD [JSON | @FILE | -]"},
		{[]string{"demo", "-h"}, "plugctl demo [flags]"},
		{[]string{"version", "-h"}, "plugctl version [flags]"},
		{[]string{"completion", "-h"}, "plugctl completion SHELL [flags]"},
		{[]string{"help", "completion", "zsh"}, "plugctl completion zsh [flags]"},
		{[]string{"help", "help"}, "plugctl help [COMMAND] [flags]"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			r := plugctl(t, nil, tt.args...)
			assert.Equal(t, exitOK, r.code)
			assert.Contains(t, r.stdout, "\nUsage:\n  "+tt.usage+"\n\n")
			assert.Contains(t, r.stdout, "  -h, --help ")
			assert.NotContains(t, r.stdout, "[=true|false]", "boolean flags take no value")
			assert.Empty(t, r.stderr)
		})
	}
	// help COMMAND is COMMAND -h.
	assert.Equal(t, plugctl(t, nil, "ls", "-h").stdout, plugctl(t, nil, "help", "ls").stdout)
	assert.Equal(t, plugctl(t, nil, "-h").stdout, plugctl(t, nil, "help").stdout)
}

func TestGlobalFlagsBeforeAndAfterTheCommand(t *testing.T) {
	t.Parallel()
	env := pluginstest.New(t)
	other := pluginstest.New(t)
	env.ServeSocket("a", "VolumeDriver")
	other.ServeSpec("b", "NetworkDriver")
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"before", []string{"--sockets-dir", env.SocketsDir(), "--specs-dir", other.SpecsDir(), "ls", "--no-activate"}, []string{"a", "b"}},
		{"after", []string{"ls", "--no-activate", "--sockets-dir", env.SocketsDir(), "--specs-dir", other.SpecsDir()}, []string{"a", "b"}},
		{"repeated specs dirs add up", []string{"--sockets-dir", "", "--specs-dir", env.SpecsDir(), "ls", "--specs-dir", other.SpecsDir(), "--no-activate"}, []string{"b"}},
		{"no sockets dir", []string{"--sockets-dir", "", "--specs-dir", env.SpecsDir(), "ls", "--no-activate"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := plugctl(t, nil, tt.args...)
			assert.Equal(t, exitOK, r.code, r.stderr)
			_, rows := rowsByName(t, r.stdout)
			var names []string
			for _, n := range []string{"a", "b"} {
				if _, ok := rows[n]; ok {
					names = append(names, n)
				}
			}
			assert.Equal(t, tt.want, names)
		})
	}
}
