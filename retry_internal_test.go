package plugins

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/docker/go-connections/tlsconfig"
	"github.com/go-dockerplugins/plugins/internal/testkit"
	"github.com/sirupsen/logrus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Back-off schedules and budgets, on the fake clock: what the real clock
// would make the tests wait for is checked without waiting for it.

// The real clock sleeps as long as it is asked, or until the context
// ends: what the fake clock stands in for everywhere else.
func TestRealClock(t *testing.T) {
	t.Parallel()
	var c clock = realClock{}
	assert.WithinDuration(t, time.Now(), c.Now(), time.Second)
	start := time.Now()
	require.NoError(t, c.Sleep(context.Background(), 20*time.Millisecond))
	assert.GreaterOrEqual(t, time.Since(start), 20*time.Millisecond)

	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(10*time.Millisecond, cancel)
	start = time.Now()
	assert.ErrorIs(t, c.Sleep(ctx, time.Hour), context.Canceled)
	assert.Less(t, time.Since(start), 5*time.Second)
}

func TestRetryBudget(t *testing.T) {
	t.Parallel()
	s := time.Second
	tests := []struct {
		name      string
		budget    time.Duration
		wantWaits []time.Duration
	}{
		// The engine's rule: give up once the next wait would end 30s or
		// more after the first attempt, so 1+2+4+8 = 15s, and 15+16 >= 30.
		{"default", DefaultRetryBudget, []time.Duration{1 * s, 2 * s, 4 * s, 8 * s}},
		{"two minutes", 2 * time.Minute, []time.Duration{1 * s, 2 * s, 4 * s, 8 * s, 16 * s, 30 * s, 30 * s}},
		{"no retries", 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sock := filepath.Join(testkit.ShortDir(t), "stale.sock")
			var seen testkit.Log[RetryEvent]
			clk := newFakeClock()
			c, err := NewClientWithOptions("unix://"+sock, tlsconfig.Options{},
				WithLogger(testkit.QuietLogger()), withClock(clk), WithRetryObserver(seen.Add), WithCallRetryBudget(tt.budget))
			require.NoError(t, err)

			err = c.Call("VolumeDriver.Create", nil, nil)
			require.Error(t, err)
			assert.ErrorIs(t, err, syscall.ENOENT, "the last cause is kept")
			assert.Contains(t, err.Error(), sock)
			assert.Contains(t, err.Error(), "VolumeDriver.Create")
			assert.Equal(t, tt.wantWaits, clk.Sleeps())
			assert.Equal(t, tt.wantWaits, waits(seen.All()))
			if len(tt.wantWaits) > 0 {
				assert.Contains(t, err.Error(), fmt.Sprintf("gave up after %d attempts", len(tt.wantWaits)+1))
			}
			for i, ev := range seen.All() {
				assert.Equal(t, i+1, ev.Attempt)
				assert.Equal(t, "VolumeDriver.Create", ev.Method)
				assert.Equal(t, "unix://"+sock, ev.Addr)
				assert.ErrorIs(t, ev.Err, syscall.ENOENT)
			}
		})
	}
}

func TestNoRetryPastTheDeadline(t *testing.T) {
	t.Parallel()
	stale := filepath.Join(testkit.ShortDir(t), "stale.sock")
	var seen testkit.Log[RetryEvent]
	clk := newFakeClock()
	c := testClient(t, "unix://"+stale, withClock(clk), WithRetryObserver(seen.Add))
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	err := c.CallContext(ctx, "X.Y", nil, nil)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.ErrorIs(t, err, syscall.ENOENT, "the last cause is kept")
	// The first wait (1s) fits before the deadline, the second (2s) does not:
	// one retry, and no wait for an attempt that could not happen.
	assert.Equal(t, []time.Duration{time.Second}, waits(seen.All()))
	assert.Equal(t, []time.Duration{time.Second}, clk.Sleeps(), "the clock's time, not the real one, decides")
}

func TestEveryRetryIsLoggedOnceReadably(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(testkit.ShortDir(t), "dir with space")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	sock := filepath.Join(dir, "vol.sock")
	testkit.StaleSocket(t, sock)
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
	t.Parallel()
	e := newEnv(t)
	testkit.StaleSocket(t, e.socket("vol"))
	clk := newFakeClock()
	var seen testkit.Log[RetryEvent]
	s := NewStore(e.registry(), WithLogger(testkit.QuietLogger()), withClock(clk), WithRetryObserver(seen.Add),
		WithCallRetryBudget(4*time.Second), WithBackoff(func(int) time.Duration { return time.Second }))

	_, err := s.GetContext(context.Background(), "vol", "VolumeDriver")
	require.Error(t, err)
	assert.Equal(t, []time.Duration{time.Second, time.Second, time.Second}, clk.Sleeps())
	require.Len(t, seen.All(), 3)
	for i, ev := range seen.All() {
		assert.Equal(t, RetryEvent{Plugin: "vol", Method: "Plugin.Activate", Addr: "unix://" + e.socket("vol"),
			Attempt: i + 1, Wait: time.Second, Err: ev.Err}, ev)
		assert.ErrorContains(t, ev.Err, "connection refused")
	}
}
