package main

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/go-dockerplugins/plugins/pluginstest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func inspectJSON(t *testing.T, r result) inspection {
	t.Helper()
	var out inspection
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &out), r.stdout)
	return out
}

func TestInspectSocketPlugin(t *testing.T) {
	t.Parallel()
	env := pluginstest.New(t)
	fp := env.ServeSocket("vol", "VolumeDriver")
	r := plugctl(t, env, "inspect", "vol")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Empty(t, r.stderr)

	out := inspectJSON(t, r)
	assert.Equal(t, "vol", out.Name)
	assert.Equal(t, []string{fp.Source()}, out.Lookup.Searched, "the first path matched")
	assert.Equal(t, fp.Source(), out.Lookup.Found)
	assert.Equal(t, fp.Addr(), out.Addr)
	require.NotNil(t, out.TLS)
	assert.False(t, out.TLS.Used)
	require.NotNil(t, out.Manifest)
	assert.Equal(t, []string{"VolumeDriver"}, out.Manifest.Implements)
	require.NotNil(t, out.Activation)
	assert.Greater(t, out.Activation.Seconds, 0.0, "a number of seconds")
	assert.Less(t, out.Activation.Seconds, 5.0)
	assert.Empty(t, out.Activation.Error)
	assert.Contains(t, r.stdout, "\n  \"lookup\": {\n", "indented")
}

func TestInspectTLSPlugin(t *testing.T) {
	t.Parallel()
	env := pluginstest.New(t)
	fp := env.ServeJSON("auth", "authz")
	r := plugctl(t, env, "inspect", "auth")
	require.Equal(t, exitOK, r.code, r.stderr)

	out := inspectJSON(t, r)
	s, e := env.SocketsDir(), env.SpecsDir()
	assert.Equal(t, []string{
		filepath.Join(s, "auth.sock"), filepath.Join(s, "auth", "auth.sock"),
		filepath.Join(e, "auth.spec"), filepath.Join(e, "auth", "auth.spec"),
		filepath.Join(e, "auth.json"),
	}, out.Lookup.Searched, "every path tried, in order, up to the match")
	assert.Equal(t, fp.Source(), out.Lookup.Found)
	assert.Equal(t, &tlsInfo{Used: true, CAFile: env.CAFile()}, out.TLS)
	assert.Equal(t, []string{"authz"}, out.Manifest.Implements)
	assert.NotContains(t, r.stdout, "CERTIFICATE", "file names only, never their contents")
}

func TestInspectFailures(t *testing.T) {
	t.Parallel()
	env := pluginstest.New(t)
	env.StaleSocket("crashed")
	env.WriteSpecFile("typo.spec", "localhost:8080")
	env.ServeSocket("refusing").Inject(pluginstest.Fault{Status: 500, Err: "not ready"})

	tests := []struct {
		name       string
		args       []string
		stderr     string // regexp of the one line on stderr
		lookupErr  string
		searched   int
		activation string
		// realBackoff keeps the library's 1s first wait, longer than
		// --timeout: no retry is even started.
		realBackoff bool
	}{
		{
			name:      "not found",
			args:      []string{"inspect", "nope"},
			stderr:    `^plugctl inspect: plugin "nope": Plugin not found \(searched 6 paths\)$`,
			lookupErr: "Plugin not found",
			searched:  6,
		},
		{
			name:      "unusable spec file",
			args:      []string{"inspect", "typo"},
			stderr:    `^plugctl inspect: plugin "typo": spec file \S+/typo.spec: Unknown protocol`,
			lookupErr: "Unknown protocol",
			searched:  3,
		},
		{
			name:        "unreachable",
			args:        []string{"--timeout", "50ms", "inspect", "crashed"},
			stderr:      `^plugctl inspect: plugin "crashed": activation failed: connect: connection refused$`,
			searched:    1,
			activation:  "connection refused",
			realBackoff: true,
		},
		{
			name:       "activation refused",
			args:       []string{"inspect", "refusing"},
			stderr:     `^plugctl inspect: plugin "refusing": activation failed: .*Plugin.Activate: not ready$`,
			searched:   1,
			activation: "Plugin.Activate: not ready",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := plugctlWith(t, env, "", func(a *app) {
				if tt.realBackoff {
					a.storeOptions = nil
				}
			}, tt.args...)
			assert.Equal(t, exitFailure, r.code)
			assert.Regexp(t, tt.stderr, requireOneErrorLine(t, r))
			out := inspectJSON(t, r)
			assert.Len(t, out.Lookup.Searched, tt.searched)
			if tt.lookupErr != "" {
				assert.Contains(t, out.Lookup.Error, tt.lookupErr)
				assert.Nil(t, out.Activation)
				return
			}
			require.NotNil(t, out.Activation)
			assert.Contains(t, out.Activation.Error, tt.activation)
			assert.Nil(t, out.Manifest)
		})
	}
}
