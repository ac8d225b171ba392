package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-dockerplugins/plugins/pluginstest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lsEnv serves plugins of every kind, and broken ones.
func lsEnv(t *testing.T) (*pluginstest.Env, *pluginstest.Plugin) {
	env := pluginstest.New(t)
	vol := env.ServeSocket("vol", "VolumeDriver")
	env.ServeSpec("net", "NetworkDriver", "IpamDriver")
	env.ServeJSON("auth", "authz")
	env.StaleSocket("crashed")
	env.ServeSocket("hung", "LogDriver").Inject(pluginstest.Fault{Method: "Plugin.Activate", Delay: time.Hour})
	env.WriteSpecFile("typo.spec", "localhost:8080\n")
	return env, vol
}

// rowsByName maps the first word of each line after the header to the line.
func rowsByName(t *testing.T, out string) (header string, rows map[string]string) {
	t.Helper()
	ls := lines(out)
	require.NotEmpty(t, ls)
	rows = make(map[string]string)
	for _, l := range ls[1:] {
		rows[strings.Fields(l)[0]] = l
	}
	return ls[0], rows
}

func TestLs(t *testing.T) {
	t.Parallel()
	env, _ := lsEnv(t)
	start := time.Now()
	// With the library's back-off, whose first wait (1s) is not within
	// --timeout, an unreachable plugin is reported at once, without a retry.
	r := plugctlWith(t, env, "", func(a *app) { a.storeOptions = nil }, "--timeout", "1s", "ls")
	assert.Less(t, time.Since(start), 5*time.Second, "plugins are activated in parallel, each within --timeout")
	require.Equal(t, exitFailure, r.code, r.stderr)
	assert.Equal(t, "plugctl ls: 3 of 6 plugins failed (see their rows)\n", r.stderr)

	header, rows := rowsByName(t, r.stdout)
	assert.Regexp(t, `^NAME +SOURCE +ADDRESS +STATUS +TIME +IMPLEMENTS / ERROR$`, header)
	require.Len(t, rows, 6)
	sock, spec := env.SocketsDir(), env.SpecsDir()
	want := map[string]string{
		"vol":     `^vol +` + sock + `/vol.sock +\(socket\) +ok +\S+ +VolumeDriver$`,
		"net":     `^net +` + spec + `/net.spec +tcp://127.0.0.1:\d+ +ok +\S+ +NetworkDriver,IpamDriver$`,
		"auth":    `^auth +` + spec + `/auth.json +https://127.0.0.1:\d+ +ok +\S+ +authz$`,
		"crashed": `^crashed +` + sock + `/crashed.sock +\(socket\) +error +\S+ +connect: connection refused$`,
		"hung":    `^hung +` + sock + `/hung.sock +\(socket\) +error +\S+ +no answer within 1s$`,
		"typo":    `^typo +` + spec + `/typo.spec +- +error +- +Unknown protocol in plugin address "localhost:8080"`,
	}
	for name, re := range want {
		assert.Regexp(t, re, rows[name], name)
	}
	// Columns are aligned: every STATUS cell starts under its header.
	col := strings.Index(header, "STATUS")
	for name, row := range rows {
		assert.Regexp(t, `^  (ok|error)`, row[col-2:], name)
	}
}

// jsonRow is a line of ls --format json, read back with nothing assumed.
type jsonRow struct {
	Name              string   `json:"name"`
	Source            string   `json:"source"`
	Addr              string   `json:"addr"`
	Status            string   `json:"status"`
	Implements        []string `json:"implements"`
	ActivationSeconds *float64 `json:"activationSeconds"`
	Error             string   `json:"error"`
}

func TestLsFormatJSON(t *testing.T) {
	t.Parallel()
	env, _ := lsEnv(t)
	r := plugctlWith(t, env, "", func(a *app) { a.storeOptions = nil }, "ls", "--format", "json", "--timeout", "1s")
	require.Equal(t, exitFailure, r.code, r.stderr)
	assert.Equal(t, "plugctl ls: 3 of 6 plugins failed (see their rows)\n", r.stderr, "stdout is the JSON alone")
	var rows []jsonRow
	for _, l := range lines(r.stdout) {
		var row jsonRow
		require.NoError(t, json.Unmarshal([]byte(l), &row), "one object a line: %s", l)
		rows = append(rows, row)
	}
	require.Len(t, rows, 6)
	byName := make(map[string]jsonRow)
	for _, row := range rows {
		byName[row.Name] = row
	}
	vol := byName["vol"]
	assert.Equal(t, "ok", vol.Status)
	assert.Equal(t, []string{"VolumeDriver"}, vol.Implements)
	assert.Equal(t, "unix://"+env.SocketsDir()+"/vol.sock", vol.Addr)
	require.NotNil(t, vol.ActivationSeconds)
	assert.Greater(t, *vol.ActivationSeconds, 0.0)
	assert.Less(t, *vol.ActivationSeconds, 1.0)
	assert.Empty(t, vol.Error)

	assert.Equal(t, "error", byName["crashed"].Status)
	assert.Contains(t, byName["crashed"].Error, "connection refused")
	require.NotNil(t, byName["hung"].ActivationSeconds)
	assert.InDelta(t, 1.0, *byName["hung"].ActivationSeconds, 0.5, "the whole bound, in seconds")
	assert.Equal(t, "error", byName["typo"].Status)
	assert.Contains(t, byName["typo"].Error, "Unknown protocol")
	assert.Nil(t, byName["typo"].ActivationSeconds, "never activated: no time")
	assert.NotContains(t, r.stdout, "µs", "durations are numbers")
	assert.Equal(t, []string{"auth", "crashed", "hung", "net", "typo", "vol"},
		[]string{rows[0].Name, rows[1].Name, rows[2].Name, rows[3].Name, rows[4].Name, rows[5].Name}, "sorted by name")
}

// TestLsFormats: every output, one rule for the exit status: 1 when a
// plugin failed, once every plugin is printed.
func TestLsFormats(t *testing.T) {
	t.Parallel()
	env := pluginstest.New(t)
	env.ServeSocket("vol", "VolumeDriver", "Snapshot")
	env.ServeSpec("net", "NetworkDriver")
	env.StaleSocket("crashed")
	sock, spec := env.SocketsDir(), env.SpecsDir()

	tests := []struct {
		name   string
		args   []string
		stdout string // regexp, whole
		stderr string
	}{
		{
			name:   "quiet",
			args:   []string{"-q"},
			stdout: `^crashed\nnet\nvol\n$`,
			stderr: "plugctl ls: 1 of 3 plugins failed: crashed\n",
		},
		{
			name:   "quiet without activation",
			args:   []string{"--quiet", "--no-activate"},
			stdout: `^crashed\nnet\nvol\n$`,
		},
		{
			name:   "template",
			args:   []string{"--format", "{{.Name}} {{.Status}} {{join .Implements \",\"}}"},
			stdout: `^crashed error \nnet ok NetworkDriver\nvol ok VolumeDriver,Snapshot\n$`,
			stderr: "plugctl ls: 1 of 3 plugins failed: crashed\n",
		},
		{
			name:   "template with escapes, as in docker",
			args:   []string{"--no-activate", "--format", `{{.Name}}\t{{.Source}}`},
			stdout: `^crashed\t` + sock + `/crashed.sock\nnet\t` + spec + `/net.spec\nvol\t` + sock + `/vol.sock\n$`,
		},
		{
			name:   "table template",
			args:   []string{"--format", `table {{.Name}}\t{{.Status}}\t{{.Error}}`},
			stdout: `^NAME     STATUS  ERROR\ncrashed  error   connect: connection refused\nnet      ok      \nvol      ok      \n$`,
			stderr: "plugctl ls: 1 of 3 plugins failed: crashed\n",
		},
		{
			name:   "json of each row",
			args:   []string{"--no-activate", "--format", "{{json .}}"},
			stdout: `^\{"name":"crashed","source":"` + sock + `/crashed.sock","addr":"unix://` + sock + `/crashed.sock"\}\n`,
		},
		{
			name:   "table by name",
			args:   []string{"--format", "table"},
			stdout: `^NAME +SOURCE +ADDRESS +STATUS +TIME +IMPLEMENTS / ERROR\n`,
			stderr: "plugctl ls: 1 of 3 plugins failed (see their rows)\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := plugctl(t, env, append([]string{"ls"}, tt.args...)...)
			assert.Regexp(t, tt.stdout, r.stdout)
			assert.Equal(t, tt.stderr, r.stderr)
			want := exitOK
			if tt.stderr != "" {
				want = exitFailure
			}
			assert.Equal(t, want, r.code)
		})
	}
}

// TestLsWarnsOfMissingDirectories: a directory named on the command line
// that does not exist is a warning, and the listing goes on.
func TestLsWarnsOfMissingDirectories(t *testing.T) {
	t.Parallel()
	env := pluginstest.New(t)
	env.ServeSocket("vol", "VolumeDriver")
	missing := filepath.Join(t.TempDir(), "missing")
	file := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(file, nil, 0o644))

	tests := []struct {
		name   string
		args   []string
		rows   int
		stderr []string
	}{
		{
			name:   "sockets directory",
			args:   []string{"--sockets-dir", missing, "--specs-dir", env.SpecsDir()},
			stderr: []string{"plugctl: warning: sockets directory " + missing + " does not exist"},
		},
		{
			name: "specs directories",
			args: []string{"--sockets-dir", env.SocketsDir(), "--specs-dir", missing, "--specs-dir", file},
			rows: 1,
			stderr: []string{
				"plugctl: warning: specs directory " + missing + " does not exist",
				"plugctl: warning: specs directory " + file + " is not a directory",
			},
		},
		{
			name: "directories that exist",
			args: []string{"--sockets-dir", env.SocketsDir(), "--specs-dir", env.SpecsDir()},
			rows: 1,
		},
		{
			name: "no sockets directory",
			args: []string{"--sockets-dir", "", "--specs-dir", env.SpecsDir()},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := plugctl(t, nil, append([]string{"ls"}, tt.args...)...)
			assert.Equal(t, exitOK, r.code, "a warning does not change the exit status")
			assert.Len(t, lines(r.stdout), 1+tt.rows)
			assert.Equal(t, tt.stderr, lines(r.stderr))
		})
	}
}

func TestLsNoActivate(t *testing.T) {
	t.Parallel()
	env, vol := lsEnv(t)
	r := plugctl(t, env, "ls", "--no-activate")
	require.Equal(t, exitFailure, r.code, "the typo is a failure, found without contacting anyone")
	header, rows := rowsByName(t, r.stdout)
	assert.Regexp(t, `^NAME +SOURCE +ADDRESS +ERROR$`, header)
	require.Len(t, rows, 6)
	assert.Regexp(t, `^vol +\S+/vol.sock +\(socket\) +-$`, rows["vol"])
	assert.Regexp(t, `^typo +\S+/typo.spec +- +Unknown protocol`, rows["typo"])
	assert.Empty(t, vol.Requests(), "plugins are not contacted")
	assert.Equal(t, "plugctl ls: 1 of 6 plugins failed (see their rows)\n", r.stderr)
}

func TestLsBoundsEachPluginToASecondByDefault(t *testing.T) {
	t.Parallel()
	env := pluginstest.New(t)
	env.ServeSocket("hung").Inject(pluginstest.Fault{Delay: time.Hour})
	env.ServeSocket("vol", "VolumeDriver")
	start := time.Now()
	r := plugctl(t, env, "ls")
	assert.Less(t, time.Since(start), 5*time.Second)
	require.Equal(t, exitFailure, r.code)
	_, rows := rowsByName(t, r.stdout)
	assert.Regexp(t, `error +1(\.\d+)?s +no answer within 1s$`, rows["hung"])
	assert.Regexp(t, ` ok +.* VolumeDriver$`, rows["vol"])
}

func TestLsExitsZeroWhenEveryRowIsOK(t *testing.T) {
	t.Parallel()
	env := pluginstest.New(t)
	env.ServeSocket("vol", "VolumeDriver")
	env.ServeSpec("net", "NetworkDriver")
	r := plugctl(t, env, "ls")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Len(t, lines(r.stdout), 3)
	assert.Empty(t, r.stderr)
}

func TestLsEmpty(t *testing.T) {
	t.Parallel()
	r := plugctl(t, pluginstest.New(t), "ls")
	require.Equal(t, exitOK, r.code)
	assert.Len(t, lines(r.stdout), 1, "the header only")
}
