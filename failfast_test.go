package plugins

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-dockerplugins/plugins/internal/testkit"
	"github.com/sirupsen/logrus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A plugin directory with one live plugin, two stale sockets and one hung
// plugin: GetAll, with the default options and the real clock, returns the
// live one within about a second.
func TestGetAllDoesNotWaitForDeadPlugins(t *testing.T) {
	e := newEnv(t)
	live := newFakePlugin("VolumeDriver")
	serveUnix(t, e.socket("live"), live)
	staleSocket(t, e.socket("stale1"))
	staleSocket(t, filepath.Join(e.sockets, "stale2", "stale2.sock"))
	testkit.ServeRawSocket(t, e.socket("hung"), testkit.Hang)
	s := NewStore(e.registry(), WithLogger(testkit.QuietLogger()))

	start := time.Now()
	all, err := s.GetAll("VolumeDriver")
	elapsed := time.Since(start)
	require.NoError(t, err)
	require.Len(t, all, 1)
	assert.Equal(t, "live", all[0].Name)
	assert.Less(t, elapsed, DefaultGetAllTimeout+time.Second)

	// The live plugin is not delayed by the others, and is cached from now on.
	start = time.Now()
	p, err := s.Get("live", "VolumeDriver")
	require.NoError(t, err)
	assert.Same(t, all[0], p)
	assert.Less(t, time.Since(start), 100*time.Millisecond)
	assert.EqualValues(t, 1, live.activated.Load())
}

// Failures that waiting cannot fix come back at once, with the default
// budgets and the real clock.
func TestPermanentFailuresReturnAtOnce(t *testing.T) {
	e := newEnv(t)
	pki := testkit.NewCA(t, testkit.ShortDir(t))
	other := testkit.NewCA(t, testkit.ShortDir(t))
	tlsAddr := serveTLS(t, newFakePlugin("authz"), pki.ServerConfig())
	writeFile(t, filepath.Join(e.specs[0], "scheme.spec"), "ftp://127.0.0.1:21")
	writeFile(t, filepath.Join(e.specs[0], "noport.spec"), "tcp://127.0.0.1")
	writeFile(t, filepath.Join(e.specs[0], "garbage.json"), "{not json")
	writeFile(t, filepath.Join(e.specs[0], "badca.json"),
		fmt.Sprintf(`{"Addr": "https://%s", "TLSConfig": {"CAFile": %q}}`, tlsAddr, other.File()))
	writeFile(t, filepath.Join(e.specs[0], "nocafile.json"),
		fmt.Sprintf(`{"Addr": "https://%s", "TLSConfig": {"CAFile": "/nonexistent/ca.pem"}}`, tlsAddr))
	s := NewStore(e.registry(), WithLogger(testkit.QuietLogger()))

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
			start := time.Now()
			_, err := s.Get(tt.name, "authz")
			require.ErrorContains(t, err, tt.wantErr)
			assert.Less(t, time.Since(start), 500*time.Millisecond)
		})
	}
}

func TestEveryRetryIsLoggedOnceReadably(t *testing.T) {
	dir := filepath.Join(testkit.ShortDir(t), "dir with space")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	sock := filepath.Join(dir, "vol.sock")
	staleSocket(t, sock)
	var out testkit.Buffer
	logger := logrus.New()
	logger.SetOutput(&out)
	logger.SetFormatter(&logrus.TextFormatter{DisableTimestamp: true})
	clk := newFakeClock()
	s := NewStore(NewLocalRegistry(WithSocketsDir(dir), WithSpecsDirs()), WithLogger(logger), withClock(clk))

	_, err := s.Get("vol", "VolumeDriver")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `plugin "vol" (unix://`+sock+`)`, "the error names the plugin and its address")
	assert.Contains(t, err.Error(), "Plugin.Activate")
	assert.Contains(t, err.Error(), "connection refused")

	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.Len(t, lines, 4, "one line per retry: after 1s, 2s, 4s and 8s")
	for i, line := range lines {
		assert.Contains(t, line, "level=warning")
		assert.Contains(t, line, `plugin=vol`)
		assert.Contains(t, line, `method=Plugin.Activate`)
		assert.Contains(t, line, `addr="unix://`+sock+`"`, "the address is readable, not URL-escaped")
		assert.Contains(t, line, fmt.Sprintf("attempt=%d", i+1))
		assert.Contains(t, line, fmt.Sprintf("wait=%v", time.Second<<i))
		assert.Contains(t, line, "connection refused")
		assert.NotContains(t, line, "%2F")
	}
}

func TestStoreBudgetsReachItsClients(t *testing.T) {
	e := newEnv(t)
	staleSocket(t, e.socket("vol"))
	clk := newFakeClock()
	var seen retries
	s := NewStore(e.registry(), WithLogger(testkit.QuietLogger()), withClock(clk), WithRetryObserver(seen.observe),
		WithCallRetryBudget(4*time.Second), WithBackoff(func(int) time.Duration { return time.Second }))

	_, err := s.GetContext(context.Background(), "vol", "VolumeDriver")
	require.Error(t, err)
	assert.Equal(t, []time.Duration{time.Second, time.Second, time.Second}, clk.Sleeps())
	require.Len(t, seen.Events(), 3)
	for i, ev := range seen.Events() {
		assert.Equal(t, RetryEvent{Plugin: "vol", Method: "Plugin.Activate", Addr: "unix://" + e.socket("vol"),
			Attempt: i + 1, Wait: time.Second, Err: ev.Err}, ev)
		assert.ErrorContains(t, ev.Err, "connection refused")
	}
}
