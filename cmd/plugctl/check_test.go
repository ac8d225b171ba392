package main

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/go-dockerplugins/plugins/conformance"
	"github.com/go-dockerplugins/plugins/pluginstest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// checkEnv serves the demo's volume plugin, which passes every check, as
// vol, and a log plugin that answers Capabilities as the plugin
// documentation shows it, as logs.
func checkEnv(t *testing.T) (*pluginstest.Env, *volumeDriver) {
	env := pluginstest.New(t)
	d := new(volumeDriver)
	d.serve(env.ServeSocket("vol", "VolumeDriver"))
	env.ServeSocket("logs", "LogDriver").Handle("LogDriver.Capabilities", pluginstest.Reply(map[string]bool{"ReadLogs": true}))
	new(volumeDriver).serve(env.ServeSocket("mine", "VolumeDriver", "MyOwnThing"))
	return env, d
}

var checkRow = regexp.MustCompile(`^(\S+) +(\S+) +(PASS|WARN|FAIL|SKIP) +(.*)$`)

// checkRows returns the rows of the table: "Iface/check" to status and
// detail, and the consequence lines under them.
func checkRows(t *testing.T, out string) (rows map[string][2]string, consequences map[string]string, summary string) {
	t.Helper()
	ls := lines(out)
	require.NotEmpty(t, ls)
	require.Regexp(t, `^INTERFACE +CHECK +STATUS +DETAIL$`, ls[0])
	rows, consequences = map[string][2]string{}, map[string]string{}
	last := ""
	for _, l := range ls[1 : len(ls)-1] {
		if c, ok := strings.CutPrefix(strings.TrimLeft(l, " "), "-> "); ok {
			consequences[last] = c
			continue
		}
		m := checkRow.FindStringSubmatch(l)
		require.NotNil(t, m, l)
		last = m[1] + "/" + m[2]
		rows[last] = [2]string{m[3], m[4]}
	}
	return rows, consequences, ls[len(ls)-1]
}

func TestCheck(t *testing.T) {
	t.Parallel()
	env, d := checkEnv(t)
	r := plugctl(t, env, "check", "vol")
	require.Equal(t, exitOK, r.code, r.stdout+r.stderr)
	assert.Empty(t, r.stderr)
	rows, consequences, summary := checkRows(t, r.stdout)
	assert.Empty(t, consequences)
	assert.Equal(t, "13 checks: 13 passed, 0 warned, 0 failed, 0 skipped; 8 more with --write", summary)
	assert.Equal(t, [2]string{"PASS", "implements VolumeDriver"}, rows["Plugin/handshake"])
	assert.Equal(t, "PASS", rows["VolumeDriver/get-missing"][0])
	assert.NotContains(t, rows, "VolumeDriver/create", "only calls that change nothing")

	r = plugctl(t, env, "check", "--write", "vol")
	require.Equal(t, exitOK, r.code, r.stdout+r.stderr)
	rows, _, summary = checkRows(t, r.stdout)
	assert.Equal(t, "21 checks: 21 passed, 0 warned, 0 failed, 0 skipped", summary)
	assert.Regexp(t, `^conformance-probe-[0-9a-f]{12} is gone$`, rows["VolumeDriver/left-behind"][1])
	d.mu.Lock()
	assert.Empty(t, d.volumes, "the probe volume is removed")
	d.mu.Unlock()
}

// A failed check exits 1, once every row is printed; its row says what
// the engine does.
func TestCheckFails(t *testing.T) {
	t.Parallel()
	env, _ := checkEnv(t)
	r := plugctl(t, env, "check", "logs")
	assert.Equal(t, exitFailure, r.code)
	assert.Equal(t, "plugctl check: 1 of 10 checks failed (see their rows)", requireOneErrorLine(t, r))
	rows, consequences, summary := checkRows(t, r.stdout)
	assert.Equal(t, [2]string{"FAIL", `{"ReadLogs": true}, outside Cap`}, rows["LogDriver/capabilities"])
	assert.Equal(t, map[string]string{
		"LogDriver/capabilities": `The engine reads only {"Cap": {"ReadLogs": true}}: it never calls ReadLogs.`,
	}, consequences)
	assert.Equal(t, "10 checks: 8 passed, 0 warned, 1 failed, 1 skipped", summary)
}

// Warnings alone exit 0.
func TestCheckWarns(t *testing.T) {
	t.Parallel()
	env, _ := checkEnv(t)
	r := plugctl(t, env, "check", "mine")
	assert.Equal(t, exitOK, r.code, r.stderr)
	assert.Empty(t, r.stderr)
	rows, consequences, _ := checkRows(t, r.stdout)
	assert.Equal(t, [2]string{"WARN", "MyOwnThing: no such interface"}, rows["Plugin/implements"])
	assert.Equal(t, "The engine never asks a plugin for that interface; only programs of your own may.", consequences["Plugin/implements"])
}

func TestCheckFormats(t *testing.T) {
	t.Parallel()
	env, _ := checkEnv(t)

	r := plugctl(t, env, "check", "logs", "--format", "json")
	assert.Equal(t, exitFailure, r.code)
	assert.Equal(t, "plugctl check: 1 of 10 checks failed (see their rows)", requireOneErrorLine(t, r))
	var statuses []string
	for _, l := range lines(r.stdout) {
		var f conformance.Finding
		require.NoError(t, json.Unmarshal([]byte(l), &f), l)
		var raw map[string]any
		require.NoError(t, json.Unmarshal([]byte(l), &raw))
		statuses = append(statuses, raw["status"].(string))
		if f.Status == conformance.Fail {
			assert.Equal(t, "LogDriver/capabilities", f.Interface+"/"+f.Check)
			assert.NotEmpty(t, raw["consequence"])
		}
	}
	assert.Len(t, statuses, 10)
	assert.Contains(t, statuses, "fail")
	assert.Contains(t, statuses, "pass")

	r = plugctl(t, env, "check", "logs", "--format", "{{.Interface}}/{{.Check}} {{.Status}}")
	assert.Equal(t, exitFailure, r.code)
	assert.Equal(t, "plugctl check: 1 of 10 checks failed: LogDriver/capabilities", requireOneErrorLine(t, r), "the names: the output may not show them")
	assert.Equal(t, "Plugin/handshake PASS", lines(r.stdout)[0])
	assert.Contains(t, lines(r.stdout), "LogDriver/capabilities FAIL")

	r = plugctl(t, env, "check", "vol", "--format", `table {{.Check}}\t{{.Status}}`)
	assert.Equal(t, exitOK, r.code, r.stderr)
	ls := lines(r.stdout)
	assert.Regexp(t, `^CHECK +STATUS$`, ls[0])
	assert.Regexp(t, `^handshake +PASS$`, ls[1])

	r = plugctl(t, env, "check", "vol", "--format", "{{json .}}")
	assert.Equal(t, exitOK, r.code, r.stderr)
	assert.True(t, strings.HasPrefix(lines(r.stdout)[0], `{"interface":"Plugin","check":"handshake","status":"pass",`), r.stdout)
}

func TestCheckErrors(t *testing.T) {
	t.Parallel()
	env, _ := checkEnv(t)
	env.ServeSocket("hung", "VolumeDriver").Inject(pluginstest.Fault{Method: "VolumeDriver.List", Delay: time.Hour})
	tests := []struct {
		name string
		args []string
		code int
		err  string // regexp of the one line on stderr
	}{
		{"no name", []string{"check"}, exitUsage, `^plugctl check: want one plugin name, got 0 arguments \(see 'plugctl check -h'\)$`},
		{"two names", []string{"check", "a", "b"}, exitUsage, `want one plugin name, got 2 arguments`},
		{"a bad template", []string{"check", "vol", "--format", "{{.Nope}}"}, exitUsage, `^plugctl check: --format: .*can't evaluate field Nope`},
		{"not found", []string{"check", "nope"}, exitFailure, `^plugctl check: .*Plugin not found`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := plugctl(t, env, tt.args...)
			assert.Equal(t, tt.code, r.code)
			assert.Regexp(t, tt.err, requireOneErrorLine(t, r))
			assert.Empty(t, r.stdout)
		})
	}
}

// The help lists every check, with what the engine does when it warns or
// fails.
func TestCheckHelpListsEveryCheck(t *testing.T) {
	t.Parallel()
	r := plugctl(t, nil, "check", "-h")
	require.Equal(t, exitOK, r.code)
	help := strings.Join(strings.Fields(r.stdout), " ")
	for _, c := range conformance.Checks() {
		name := c.Interface + "/" + c.ID
		if c.Write {
			name += " (--write)"
		}
		item := fmt.Sprintf("- %s: %s", name, c.Title)
		if c.Warn != "" {
			item += " WARN: " + c.WarnConsequence
		}
		if c.Fail != "" {
			item += " FAIL: " + c.FailConsequence
		}
		assert.Contains(t, help, strings.Join(strings.Fields(item), " "))
	}
	long, _, _ := strings.Cut(r.stdout, "\nUsage:")
	for _, l := range lines(long) {
		assert.LessOrEqual(t, len(l), helpWidth, l)
	}
}
