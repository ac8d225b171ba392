//go:build unix

package plugins

import (
	"net/http"
	"os"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/go-dockerplugins/plugins/internal/testkit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Fault tests whose schedule is checked on the fake clock; faults_test.go
// holds the others.

// The plugin's socket appears 1.5s after the call or the lookup began: it
// succeeds on the documented schedule, after waits of 1s and 2s.
func TestFaultPluginNotUpYet(t *testing.T) {
	t.Parallel()
	const late = 1500 * time.Millisecond
	wantWaits := []time.Duration{time.Second, 2 * time.Second}
	// upLate starts the plugin once late has passed on the clock.
	upLate := func(clk *fakeClock, plugin *testkit.Late) (began time.Time) {
		began = clk.Now()
		clk.onSleep = func(int) {
			if clk.Now().Sub(began) >= late {
				plugin.Start()
			}
		}
		return began
	}

	t.Run("Call", func(t *testing.T) {
		t.Parallel()
		sock := testkit.SocketPath(t, "late")
		var requests atomic.Int32
		plugin := testkit.ServeLate(t, sock, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			requests.Add(1)
			testkit.Echo(w, r)
		}))
		clk := newFakeClock()
		began := upLate(clk, plugin)
		var seen testkit.Log[RetryEvent]
		c := testClient(t, "unix://"+sock, withClock(clk), WithRetryObserver(seen.Add))

		var out string
		require.NoError(t, c.Call("Echo.Echo", "late", &out))
		assert.Equal(t, "late", out)
		assert.Equal(t, wantWaits, waits(seen.All()))
		assert.Equal(t, wantWaits, clk.Sleeps())
		assert.Equal(t, 3*time.Second, clk.Now().Sub(began), "the third attempt comes after 1s+2s")
		for _, ev := range seen.All() {
			assert.ErrorIs(t, ev.Err, syscall.ENOENT)
		}
		assert.EqualValues(t, 1, requests.Load())
	})
	t.Run("Get", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		require.NoError(t, os.MkdirAll(e.sockets, 0o755))
		var activations atomic.Int32
		plugin := testkit.ServeLate(t, e.socket("late"), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			activations.Add(1)
			manifest("VolumeDriver").ServeHTTP(w, r)
		}))
		clk := newFakeClock()
		began := upLate(clk, plugin)
		var seen testkit.Log[RetryEvent]
		s := e.store(withClock(clk), WithRetryObserver(seen.Add))

		got, err := s.Get("late", "VolumeDriver")
		require.NoError(t, err)
		defer got.Client.CloseIdleConnections()
		assert.Equal(t, "late", got.Name)
		assert.Equal(t, wantWaits, waits(seen.All()))
		assert.Equal(t, wantWaits, clk.Sleeps())
		for _, ev := range seen.All() {
			assert.Empty(t, ev.Method, "lookup retries, not call retries")
			assert.ErrorIs(t, ev.Err, ErrNotFound)
		}
		assert.Equal(t, 3*time.Second, clk.Now().Sub(began))
		assert.EqualValues(t, 1, activations.Load())
	})
}

// A stale socket (the plugin crashed, its socket file remains): retries on
// the schedule, then an error naming the plugin, its address and the last
// cause once the budget is spent.
func TestFaultStaleSocketSpendsTheBudget(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	testkit.StaleSocket(t, e.socket("stale"))
	addr := "unix://" + e.socket("stale")
	clk := newFakeClock()
	var seen testkit.Log[RetryEvent]
	s := e.store(withClock(clk), WithRetryObserver(seen.Add))
	_, err := s.Get("stale", "VolumeDriver")
	require.Error(t, err)
	assert.ErrorIs(t, err, syscall.ECONNREFUSED, "the last cause")
	for _, want := range []string{`"stale"`, addr, "Plugin.Activate", "gave up after 5 attempts"} {
		assert.Contains(t, err.Error(), want)
	}
	s1 := time.Second
	assert.Equal(t, []time.Duration{s1, 2 * s1, 4 * s1, 8 * s1}, clk.Sleeps())
	assert.Len(t, seen.All(), 4)
}
