package main

import (
	"testing"

	"github.com/go-dockerplugins/plugins/pluginstest"
	"github.com/stretchr/testify/assert"
)

// TestBadInput: every mistake gives one clear line on stderr and a non-zero
// status, and prints nothing on stdout.
func TestBadInput(t *testing.T) {
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
		{"bad global flag", []string{"--bogus", "ls"}, false, exitUsage, `^plugctl: flag provided but not defined: -bogus \(see 'plugctl -h'\)$`},
		{"bad command flag", []string{"ls", "--bogus"}, true, exitUsage, `^plugctl ls: flag provided but not defined: -bogus \(see 'plugctl ls -h'\)$`},
		{"bad timeout", []string{"--timeout", "soon", "ls"}, false, exitUsage, `^plugctl: invalid value "soon" for flag -timeout: parse error \(see 'plugctl -h'\)$`},
		{"empty specs dir", []string{"--specs-dir=", "ls"}, false, exitUsage, `^plugctl: invalid value "" for flag -specs-dir: empty directory`},
		{"ls with an argument", []string{"ls", "x"}, true, exitUsage, `^plugctl ls: unexpected argument "x" \(see 'plugctl ls -h'\)$`},
		{"inspect without a name", []string{"inspect"}, true, exitUsage, `^plugctl inspect: want one plugin name, got 0 arguments`},
		{"inspect an invalid name", []string{"inspect", "../etc/x"}, true, exitFailure, `^plugctl inspect: invalid plugin name "../etc/x": contains a path separator$`},
		{"call without a method", []string{"call", "vol"}, true, exitUsage, `^plugctl call: want NAME METHOD \[JSON \| @FILE \| -\], got 1 arguments`},
		{"call an unknown plugin", []string{"call", "nope", "VolumeDriver.List"}, true, exitFailure, `^plugctl call: plugin "nope": Plugin not found \(searched \S+/nope.sock, `},
		{"malformed JSON argument", []string{"call", "vol", "VolumeDriver.Create", `{"Name":`}, true, exitUsage, `^plugctl call: argument is not valid JSON: unexpected end of JSON input \(see 'plugctl call -h'\)$`},
		{"empty JSON argument", []string{"call", "vol", "VolumeDriver.Create", ``}, true, exitUsage, `^plugctl call: empty JSON argument`},
		{"missing argument file", []string{"call", "vol", "VolumeDriver.Create", "@/nonexistent/arg.json"}, true, exitFailure, `^plugctl call: reading the argument: open /nonexistent/arg.json: no such file or directory$`},
		{"unreachable plugin", []string{"--timeout", "200ms", "call", "crashed", "VolumeDriver.List"}, true, exitFailure, `^plugctl call: plugin "crashed" \(unix://\S+/crashed.sock\): Plugin.Activate: dial unix \S+: connect: connection refused$`},
		{"flag after the arguments", []string{"call", "vol", "VolumeDriver.List", "--timeout", "1s"}, true, exitUsage, `^plugctl call: flag --timeout must come before the arguments \(see 'plugctl call -h'\)$`},
		{"demo with an argument", []string{"demo", "x"}, false, exitUsage, `^plugctl demo: unexpected argument "x"`},
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
	env := pluginstest.New(t)
	vol := env.ServeSocket("vol", "VolumeDriver")
	r := plugctlWith(t, env, "{Name: x}", nil, "call", "vol", "VolumeDriver.Create", "-")
	assert.Equal(t, exitUsage, r.code)
	assert.Equal(t, "plugctl call: standard input is not valid JSON: invalid character 'N' looking for beginning of object key string (see 'plugctl call -h')",
		requireOneErrorLine(t, r))
	assert.Empty(t, vol.Requests(), "nothing is sent")
}

func TestHelp(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"-h"}, "Usage: plugctl [flags] COMMAND [ARGS]"},
		{[]string{"--help"}, "Usage: plugctl [flags] COMMAND [ARGS]"},
		{[]string{"ls", "-h"}, "Usage: plugctl ls [flags]\n"},
		{[]string{"inspect", "-h"}, "Usage: plugctl inspect [flags] NAME\n"},
		{[]string{"call", "-h"}, "Usage: plugctl call [flags] NAME METHOD [JSON | @FILE | -]\n"},
		{[]string{"demo", "-h"}, "Usage: plugctl demo [flags]\n"},
	}
	for _, tt := range tests {
		t.Run(tt.args[0], func(t *testing.T) {
			r := plugctl(t, nil, tt.args...)
			assert.Equal(t, exitOK, r.code)
			assert.Contains(t, r.stdout, tt.want)
			assert.Contains(t, r.stdout, "-sockets-dir DIR", "global flags are listed")
			assert.Empty(t, r.stderr)
		})
	}
}

func TestGlobalFlagsBeforeAndAfterTheCommand(t *testing.T) {
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
