package plugins_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-dockerplugins/plugins"
	"github.com/go-dockerplugins/plugins/internal/testkit"
	"github.com/go-dockerplugins/plugins/pluginstest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A plugin directory with one live plugin, two stale sockets and one hung
// plugin: GetAll, with the default options and the real clock, returns the
// live one within about a second.
func TestGetAllDoesNotWaitForDeadPlugins(t *testing.T) {
	t.Parallel()
	env := pluginstest.New(t)
	live := env.ServeSocket("live", "VolumeDriver")
	env.StaleSocket("stale1")
	testkit.StaleSocket(t, filepath.Join(env.SocketsDir(), "stale2", "stale2.sock"))
	env.ServeRaw("hung", pluginstest.RawFunc(testkit.Hang))
	s := plugins.NewStore(env.Registry(), plugins.WithLogger(testkit.QuietLogger()))

	start := time.Now()
	all, err := s.GetAll("VolumeDriver")
	elapsed := time.Since(start)
	require.NoError(t, err)
	require.Len(t, all, 1)
	assert.Equal(t, "live", all[0].Name)
	assert.Less(t, elapsed, plugins.DefaultGetAllTimeout+time.Second)

	// The live plugin is not delayed by the others, and is cached from now on.
	start = time.Now()
	p, err := s.Get("live", "VolumeDriver")
	require.NoError(t, err)
	assert.Same(t, all[0], p)
	assert.Less(t, time.Since(start), 100*time.Millisecond)
	assert.Len(t, live.Calls("Plugin.Activate"), 1)
}

// Failures that waiting cannot fix come back at once, unretried, with the
// default budgets and the real clock.
func TestPermanentFailuresReturnAtOnce(t *testing.T) {
	t.Parallel()
	env := pluginstest.New(t)
	other := pluginstest.NewCA(t, testkit.ShortDir(t))
	secure := strings.TrimPrefix(env.ServeJSON("secure", "authz").Addr(), "https://")
	env.WriteSpecFile("scheme.spec", "ftp://127.0.0.1:21")
	env.WriteSpecFile("noport.spec", "tcp://127.0.0.1")
	env.WriteSpecFile("garbage.json", "{not json")
	env.WriteSpecFile("badca.json", fmt.Sprintf(`{"Addr": "https://%s", "TLSConfig": {"CAFile": %q}}`, secure, other.File()))
	env.WriteSpecFile("nocafile.json", fmt.Sprintf(`{"Addr": "https://%s", "TLSConfig": {"CAFile": "/nonexistent/ca.pem"}}`, secure))
	var seen testkit.Log[plugins.RetryEvent]
	s := plugins.NewStore(env.Registry(), plugins.WithLogger(testkit.QuietLogger()), plugins.WithRetryObserver(seen.Add))

	for _, tt := range []struct{ name, wantErr string }{
		{"../escape", "invalid plugin name"},
		{"", "invalid plugin name"},
		{"scheme", `Unknown protocol "ftp"`},
		{"noport", "want host:port"},
		{"garbage", "invalid JSON"},
		{"badca", "unknown authority"},
		{"nocafile", "TLS configuration"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			// Longer than a back-off wait, so that a retry is seen, but a
			// retried failure fails the test in seconds, not the budget.
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			start := time.Now()
			_, err := s.GetContext(ctx, tt.name, "authz")
			require.ErrorContains(t, err, tt.wantErr)
			assert.Less(t, time.Since(start), 500*time.Millisecond)
		})
	}
	assert.Empty(t, seen.All(), "no lookup or activation was retried")
}
