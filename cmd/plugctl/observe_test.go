package main

import (
	"testing"

	"github.com/go-dockerplugins/plugins/pluginstest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRetriesAreReportedOnStderr(t *testing.T) {
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

func TestDebugLogsTheLibrarysWarnings(t *testing.T) {
	tests := []struct {
		name  string
		debug bool
	}{{"quiet by default", false}, {"--debug", true}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := pluginstest.New(t)
			env.ServeSocket("p", "X").
				Handle("X.Do", pluginstest.Reply("done")).
				Inject(pluginstest.Fault{Method: "X.Do", Times: 1, Drop: true}) // sent again at once
			args := []string{"call", "p", "X.Do"}
			if tt.debug {
				args = append([]string{"--debug"}, args...)
			}
			r := plugctl(t, env, args...)
			require.Equal(t, exitOK, r.code, r.stderr)
			if tt.debug {
				assert.Contains(t, r.stderr, `level=warning msg="Kept-alive connection to plugin \"p\" at `)
				assert.Contains(t, r.stderr, `error="connection closed without an answer"`)
				assert.Len(t, lines(r.stderr), 2, "the warning and the waiting line, once each")
			} else {
				assert.NotContains(t, r.stderr, "level=")
				assert.Len(t, lines(r.stderr), 1, "the waiting line only")
			}
		})
	}
}
