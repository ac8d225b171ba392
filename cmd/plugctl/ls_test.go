package main

import (
	"encoding/json"
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

func TestLsJSON(t *testing.T) {
	t.Parallel()
	env, _ := lsEnv(t)
	r := plugctlWith(t, env, "", func(a *app) { a.storeOptions = nil }, "ls", "--json", "--timeout", "1s")
	require.Equal(t, exitFailure, r.code, r.stderr)
	assert.Equal(t, "plugctl ls: 3 of 6 plugins failed (see their rows)\n", r.stderr, "stdout is the JSON alone")
	var rows []lsRow
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &rows), r.stdout)
	require.Len(t, rows, 6)
	byName := make(map[string]lsRow)
	for _, row := range rows {
		byName[row.Name] = row
	}
	vol := byName["vol"]
	assert.Equal(t, "ok", vol.Status)
	assert.Equal(t, []string{"VolumeDriver"}, vol.Implements)
	assert.Equal(t, "unix://"+env.SocketsDir()+"/vol.sock", vol.Addr)
	_, err := time.ParseDuration(vol.Activation)
	assert.NoError(t, err)
	assert.Empty(t, vol.Error)

	assert.Equal(t, "error", byName["crashed"].Status)
	assert.Contains(t, byName["crashed"].Error, "connection refused")
	assert.Equal(t, "error", byName["typo"].Status)
	assert.Contains(t, byName["typo"].Error, "Unknown protocol")
	assert.Equal(t, []string{"auth", "crashed", "hung", "net", "typo", "vol"},
		[]string{rows[0].Name, rows[1].Name, rows[2].Name, rows[3].Name, rows[4].Name, rows[5].Name}, "sorted by name")
}

func TestLsNoActivate(t *testing.T) {
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
	env := pluginstest.New(t)
	env.ServeSocket("vol", "VolumeDriver")
	env.ServeSpec("net", "NetworkDriver")
	r := plugctl(t, env, "ls")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Len(t, lines(r.stdout), 3)
	assert.Empty(t, r.stderr)
}

func TestLsEmpty(t *testing.T) {
	r := plugctl(t, pluginstest.New(t), "ls")
	require.Equal(t, exitOK, r.code)
	assert.Len(t, lines(r.stdout), 1, "the header only")
}
