package plugins

import (
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/docker/go-connections/tlsconfig"
	"github.com/go-dockerplugins/plugins/internal/testkit"
	"github.com/stretchr/testify/require"
)

// Helpers of the internal tests (package plugins): those that need the fake
// clock, the configuration or the pool. Plugins come from internal/testkit;
// helpers_external_test.go holds the helpers of the tests of the public API.

// withClock replaces the clock, for tests of back-off and budgets.
func withClock(c clock) Option {
	return clientOption(func(cfg *config) { cfg.clock = c })
}

// fakeClock advances by the waits it is asked to sleep, instantly.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	sleeps  []time.Duration
	onSleep func(n int) // called after the n-th sleep (1-based), outside the lock
}

// newFakeClock starts at the real time, so that a context's deadline is as
// far from it as from the real clock, then moves only by the waits asked.
func newFakeClock() *fakeClock { return &fakeClock{now: time.Now()} }

func (f *fakeClock) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	f.mu.Lock()
	f.sleeps = append(f.sleeps, d)
	f.now = f.now.Add(d)
	n, hook := len(f.sleeps), f.onSleep
	f.mu.Unlock()
	if hook != nil {
		hook(n)
	}
	return ctx.Err()
}

func (f *fakeClock) Sleeps() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Duration(nil), f.sleeps...)
}

// waits returns the back-off waits that retry events announced.
func waits(evs []RetryEvent) []time.Duration {
	var out []time.Duration
	for _, ev := range evs {
		out = append(out, ev.Wait)
	}
	return out
}

// testClient returns a quiet client of addr with a fake clock, so that
// retries cost no time, unless opts say otherwise.
func testClient(t *testing.T, addr string, opts ...Option) *Client {
	t.Helper()
	c, err := NewClientWithOptions(addr, tlsconfig.Options{}, append([]Option{WithLogger(testkit.QuietLogger()), withClock(newFakeClock())}, opts...)...)
	require.NoError(t, err)
	t.Cleanup(c.CloseIdleConnections)
	return c
}

// manifest answers every request with a manifest listing implements: a
// plugin that only activates.
func manifest(implements ...string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(Manifest{Implements: implements})
	})
}

// env is a plugin directory layout of its own, none of the machine's: a
// sockets directory and a spec directory.
type env struct {
	sockets, specs string
}

func newEnv(t testing.TB) env {
	root := testkit.ShortDir(t)
	return env{sockets: filepath.Join(root, "s"), specs: filepath.Join(root, "e")}
}

func (e env) registry() *LocalRegistry {
	return NewLocalRegistry(WithSocketsDir(e.sockets), WithSpecsDirs(e.specs), WithLogger(testkit.QuietLogger()))
}

// store returns a quiet store over the env with a fake clock, so that
// retries cost no time, unless opts say otherwise.
func (e env) store(opts ...StoreOption) *Store {
	return NewStore(e.registry(), append([]StoreOption{WithLogger(testkit.QuietLogger()), withClock(newFakeClock())}, opts...)...)
}

// socket returns the path of NAME.sock in the sockets directory.
func (e env) socket(name string) string { return filepath.Join(e.sockets, name+".sock") }

// inFlight returns how many activations the store has in progress.
func inFlight(s *Store) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.flights)
}
