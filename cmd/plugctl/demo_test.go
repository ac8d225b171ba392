package main

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/go-dockerplugins/plugins/pluginstest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var demoRow = regexp.MustCompile(`^(.+?)  +(ok|FAIL) +(\S+)  (.*)$`)

func TestDemo(t *testing.T) {
	t.Parallel()
	r := plugctl(t, nil, "demo")
	require.Equal(t, exitOK, r.code, r.stdout+r.stderr)
	assert.Empty(t, r.stderr)

	ls := lines(r.stdout)
	require.Greater(t, len(ls), 5)
	// The first line tells what a plugin is, to someone who never used one.
	assert.Equal(t, "A Docker plugin is a process that extends the engine (volumes, networks, authorization, logging) "+
		"by answering JSON over HTTP on a socket; this demo serves three and uses them through the library.", ls[0])
	assert.Empty(t, ls[1])
	assert.Regexp(t, `^STEP +STATUS +TIME  DETAILS$`, ls[2])
	assert.Regexp(t, `^all 23 steps passed in \S+$`, ls[len(ls)-1])
	steps := map[string]string{}
	for _, l := range ls[3 : len(ls)-1] {
		m := demoRow.FindStringSubmatch(l)
		require.NotNil(t, m, l)
		assert.Equal(t, "ok", m[2], l)
		steps[strings.TrimSpace(m[1])] = m[4]
	}
	assert.Len(t, steps, 23)
	for step, want := range map[string]string{
		"discover (Registry.Plugins)":         "demo-authz.json, demo-net.spec, demo-volumes.sock",
		"activate demo-volumes (UNIX socket)": "implements [VolumeDriver] at unix://",
		"activate demo-net (.spec, TCP)":      "implements [NetworkDriver] at tcp://127.0.0.1:",
		"activate demo-authz (.json, TLS)":    "certificate verified with ca.pem",
		"volume.Mount":                        "mounted at /mnt/demo-volumes/data",
		"typed clients (FromPlugin)":          "none for a plugin that does not implement it",
		"VolumeDriver.List (Stream)":          "volumes [data logs]",
		"error answer (StatusError)":          "status 500: VolumeDriver.Mount: no such volume: ghost",
		"optional method (fallback)":          "Capabilities answered 404, so the client assumes scope local",
		"unknown plugin (ErrNotFound)":        "Plugin not found after searching 6 paths",
		"GetAll(VolumeDriver)":                "[demo-volumes]",
		// The last step checks a sample plugin, which passes every check.
		"check demo-volumes (conformance.Run)": "21 checks, the life cycle of a probe volume included: 21 passed, 0 warned",
	} {
		assert.Contains(t, steps[step], want, step)
	}

	// It cleans up after itself.
	dir := strings.TrimPrefix(steps["start sample plugins"], "3 plugins in ")
	require.NotEmpty(t, dir)
	_, err := os.Stat(dir)
	assert.True(t, os.IsNotExist(err), "%s was left behind", dir)
}

func TestDemoFailsWhenAStepMisbehaves(t *testing.T) {
	t.Parallel()
	r := plugctlWith(t, nil, "", func(a *app) {
		a.storeOptions = nil // no retry within --timeout: stderr holds the error only
		a.demoHook = func(vol, _, authz *pluginstest.Plugin) {
			vol.Inject(pluginstest.Fault{Method: "VolumeDriver.Mount", Times: 1, Status: 500, Err: "disk on fire"})
			authz.Stop()
		}
	}, "--timeout", "900ms", "demo") // shorter than the first retry's wait: no retry

	assert.Equal(t, exitFailure, r.code)
	assert.Equal(t, "plugctl demo: 6 of 23 steps failed", requireOneErrorLine(t, r))
	failed := map[string]string{}
	for _, l := range lines(r.stdout) {
		if m := demoRow.FindStringSubmatch(l); m != nil && m[2] == "FAIL" {
			failed[strings.TrimSpace(m[1])] = m[4]
		}
	}
	assert.Contains(t, failed["volume.Mount"], "VolumeDriver.Mount: disk on fire")
	// Depending on timing, the stopped plugin's port refuses the connection or resets it.
	assert.Regexp(t, `connection (refused|reset by peer)`, failed["activate demo-authz (.json, TLS)"])
	assert.Contains(t, failed["volume.Unmount"], "volume data is not mounted")
	assert.Contains(t, failed, "authorization.AuthZReq over TLS")
	assert.Contains(t, failed["typed clients (FromPlugin)"], "no authorization client")
	assert.Contains(t, failed, "handlers ran once per plugin")
	assert.NotContains(t, failed, "clean up", "later steps still run")
}
