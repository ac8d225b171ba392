package main

import (
	"strings"
	"testing"

	"github.com/go-dockerplugins/plugins/pluginstest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRetriesAreReportedOnStderr(t *testing.T) {
	t.Parallel()
	env := pluginstest.New(t)
	fp := env.ServeSocket("p", "X").
		Handle("X.Do", pluginstest.Reply("done")).
		// The first drop hits the connection kept alive since activation: the
		// library sends again at once on a new one, then waits between the
		// next attempts. The plugin gets the call four times; each is told.
		Inject(pluginstest.Fault{Method: "X.Do", Times: 3, Drop: true})

	r := plugctl(t, env, "call", "p", "X.Do")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, "\"done\"\n", r.stdout)
	assert.Len(t, fp.Calls("X.Do"), 4)
	addr := fp.Addr()
	assert.Equal(t, []string{
		`plugctl: waiting for plugin "p" (` + addr + `): X.Do: connection closed without an answer; retry 1 at once`,
		`plugctl: waiting for plugin "p" (` + addr + `): X.Do: connection closed without an answer; retry 2 in 5ms`,
		`plugctl: waiting for plugin "p" (` + addr + `): X.Do: connection closed without an answer; retry 3 in 10ms`,
	}, lines(r.stderr))
}

// TestDebugLogsTheLibrarysWarnings: with --debug, each retry is told once,
// by the library's warning, which replaces plugctl's waiting line.
func TestDebugLogsTheLibrarysWarnings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		args  []string
		debug bool
	}{
		{"quiet by default", []string{"call", "p", "X.Do"}, false},
		{"--debug", []string{"call", "p", "X.Do", "--debug"}, true},
		{"--debug before the command", []string{"--debug", "call", "p", "X.Do"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := pluginstest.New(t)
			fp := env.ServeSocket("p", "X").
				Handle("X.Do", pluginstest.Reply("done")).
				Inject(pluginstest.Fault{Method: "X.Do", Times: 3, Drop: true}) // at once, then twice after a wait
			r := plugctl(t, env, tt.args...)
			require.Equal(t, exitOK, r.code, r.stderr)
			assert.Len(t, fp.Calls("X.Do"), 4)
			ls := lines(r.stderr)
			require.Len(t, ls, 3, "one line per retry: %q", r.stderr)
			if !tt.debug {
				assert.NotContains(t, r.stderr, "level=")
				for _, l := range ls {
					assert.True(t, strings.HasPrefix(l, `plugctl: waiting for plugin "p"`), l)
				}
				return
			}
			assert.NotContains(t, r.stderr, "plugctl: waiting")
			assert.Contains(t, ls[0], `level=warning msg="Kept-alive connection to plugin \"p\" at `)
			assert.Contains(t, ls[0], `error="connection closed without an answer"`)
			for _, l := range ls[1:] {
				assert.Contains(t, l, `level=warning msg="Unable to connect to plugin \"p\" at `)
			}
		})
	}
}
