package plugins

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-dockerplugins/plugins/internal/testkit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// noFlights reports whether, within a few seconds, the store has no
// activation in progress: what GetAll left running has ended.
func noFlights(s *Store) bool {
	return settles(func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return len(s.flights) == 0
	})
}

// A plugin slower to activate than GetAll waits is not lost: its
// activation goes on after GetAll stops waiting, once, and a later GetAll
// or Get finds it ready.
func TestGetAllDoesNotLoseSlowPlugins(t *testing.T) {
	e := newEnv(t)
	slow := newFakePlugin("VolumeDriver")
	slow.on("/Plugin.Activate", func(w http.ResponseWriter, r *http.Request) {
		slow.activated.Add(1)
		time.Sleep(900 * time.Millisecond)
		_ = json.NewEncoder(w).Encode(Manifest{Implements: []string{"VolumeDriver"}})
	})
	serveUnix(t, e.socket("slow"), slow)
	serveUnix(t, e.socket("fast"), newFakePlugin("VolumeDriver"))
	s := e.store(WithGetAllTimeout(300 * time.Millisecond))

	names := func(ps []*Plugin) []string {
		var out []string
		for _, p := range ps {
			out = append(out, p.Name)
		}
		return out
	}
	start := time.Now()
	all, err := s.GetAll("VolumeDriver")
	require.NoError(t, err)
	assert.Equal(t, []string{"fast"}, names(all), "GetAll does not wait for the slow one")
	assert.Less(t, time.Since(start), 800*time.Millisecond)

	var listed []string
	for time.Since(start) < 3*time.Second {
		all, err = s.GetAll("VolumeDriver")
		require.NoError(t, err)
		if listed = names(all); len(listed) == 2 {
			break
		}
	}
	assert.Equal(t, []string{"fast", "slow"}, listed, "the slow plugin is listed once activated")
	assert.Less(t, time.Since(start), 2*time.Second)
	assert.EqualValues(t, 1, slow.activated.Load(), "activated once, not once per GetAll")
	p, err := s.Get("slow", "VolumeDriver")
	require.NoError(t, err)
	require.Len(t, all, 2)
	assert.Same(t, all[1], p)
}

// Hundreds of crashed plugins (stale sockets) do not keep GetAll from the
// live ones: a refused connection costs one failed dial, not a place held
// through back-off waits.
func TestDeadPluginsDoNotHideLiveOnes(t *testing.T) {
	e := newEnv(t)
	for i := 0; i < 300; i++ {
		staleSocket(t, e.socket(fmt.Sprintf("dead%03d", i)))
	}
	var want []string
	for i := 0; i < 5; i++ {
		name := fmt.Sprintf("live%d", i)
		serveUnix(t, e.socket(name), newFakePlugin("VolumeDriver"))
		want = append(want, name)
	}
	// The default options, but for a short activation bound so that the
	// dead plugins' activations have ended before the test does.
	s := NewStore(e.registry(), WithLogger(testkit.QuietLogger()), WithLookupRetryBudget(2*time.Second))

	start := time.Now()
	all, err := s.GetAll("VolumeDriver")
	require.NoError(t, err)
	var got []string
	for _, p := range all {
		got = append(got, p.Name)
	}
	assert.Equal(t, want, got)
	assert.Less(t, time.Since(start), DefaultGetAllTimeout+time.Second)
	assert.True(t, noFlights(s), "the dead plugins' activations ended within the bound")
}

// Get never waits for ever by default: a plugin that accepts connections
// and never answers its handshake fails Get within the lookup budget, even
// without a deadline, with an error that names the plugin, its address and
// what did not answer.
func TestGetOfAHungPluginEndsWithinTheLookupBudget(t *testing.T) {
	e := newEnv(t)
	testkit.ServeRawSocket(t, e.socket("hung"), testkit.Hang)
	const budget = 300 * time.Millisecond
	s := e.store(WithLookupRetryBudget(budget))

	done := make(chan error, 1)
	start := time.Now()
	go func() {
		_, err := s.GetContext(context.Background(), "hung", "VolumeDriver")
		done <- err
	}()
	select {
	case err := <-done:
		assert.Less(t, time.Since(start), budget+time.Second)
		require.ErrorIs(t, err, context.DeadlineExceeded)
		assert.ErrorContains(t, err, fmt.Sprintf(`plugin "hung" (unix://%s): Plugin.Activate: no answer within 300ms`, e.socket("hung")))
	case <-time.After(5 * time.Second):
		t.Fatal("Get of a hung plugin still waiting after 5s")
	}
}

// What bounds Get as a whole when no deadline does.
func TestActivationBound(t *testing.T) {
	tests := []struct {
		name string
		opts []StoreOption
		want time.Duration
	}{
		{"default: the engine's 30s", nil, 30 * time.Second},
		{"the lookup budget", []StoreOption{WithLookupRetryBudget(5 * time.Second)}, 5 * time.Second},
		{"no lookup retries: the call budget", []StoreOption{WithLookupRetryBudget(0), WithCallRetryBudget(time.Second)}, time.Second},
		{"no retries at all: still bounded", []StoreOption{WithLookupRetryBudget(0), WithCallRetryBudget(0)}, DefaultRetryBudget},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, newConfig(tt.opts).activationBound())
		})
	}
}

// A .json spec file whose TLS files are missing: the error names the
// plugin, the spec file that named them and the missing file.
func TestTLSFileErrorsNameTheSpecFile(t *testing.T) {
	e := newEnv(t)
	spec := filepath.Join(e.specs[0], "tlsplug.json")
	writeFile(t, spec, `{"Addr": "https://127.0.0.1:1", "TLSConfig": {"CAFile": "/nonexistent/ca.pem"}}`)
	_, err := e.store().Get("tlsplug", "authz")
	require.Error(t, err)
	for _, want := range []string{`plugin "tlsplug"`, "spec file " + spec, "/nonexistent/ca.pem"} {
		assert.ErrorContains(t, err, want)
	}
}
