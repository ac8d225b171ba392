package plugins_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/go-dockerplugins/plugins"
	"github.com/go-dockerplugins/plugins/pluginstest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A plugin slower to activate than GetAll waits is not lost: its
// activation goes on after GetAll stops waiting, once, and a later GetAll
// or Get finds it ready.
func TestGetAllDoesNotLoseSlowPlugins(t *testing.T) {
	t.Parallel()
	env := pluginstest.New(t)
	slow := env.ServeSocket("slow", "VolumeDriver").
		Inject(pluginstest.Fault{Method: "Plugin.Activate", Delay: 900 * time.Millisecond})
	env.ServeSocket("fast", "VolumeDriver")
	// The engine's lookup budget bounds the slow activation, not the
	// environment's 1s call budget.
	s := env.NewStore(plugins.WithGetAllTimeout(300*time.Millisecond), plugins.WithLookupRetryBudget(plugins.DefaultRetryBudget))

	names := func(ps []*plugins.Plugin) []string {
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
	assert.Len(t, slow.Calls("Plugin.Activate"), 1, "activated once, not once per GetAll")
	p, err := s.Get("slow", "VolumeDriver")
	require.NoError(t, err)
	require.Len(t, all, 2)
	assert.Same(t, all[1], p)
}

// Get never waits for ever by default: a plugin that accepts connections
// and never answers its handshake fails Get within the lookup budget, even
// without a deadline, with an error that names the plugin, its address and
// what did not answer.
func TestGetOfAHungPluginEndsWithinTheLookupBudget(t *testing.T) {
	t.Parallel()
	env := pluginstest.New(t)
	hung := env.ServeSocket("hung", "VolumeDriver").Inject(pluginstest.Fault{Method: "Plugin.Activate", Delay: time.Hour})
	const budget = 100 * time.Millisecond
	s := env.NewStore(plugins.WithLookupRetryBudget(budget))

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
		assert.ErrorContains(t, err, fmt.Sprintf(`plugin "hung" (%s): Plugin.Activate: no answer within 100ms`, hung.Addr()))
	case <-time.After(5 * time.Second):
		t.Fatal("Get of a hung plugin still waiting after 5s")
	}
}

// A .json spec file whose TLS files are missing: the error names the
// plugin, the spec file that named them and the missing file.
func TestTLSFileErrorsNameTheSpecFile(t *testing.T) {
	t.Parallel()
	env := pluginstest.New(t)
	spec := env.WriteSpecFile("tlsplug.json", `{"Addr": "https://127.0.0.1:1", "TLSConfig": {"CAFile": "/nonexistent/ca.pem"}}`)
	_, err := env.Store().Get("tlsplug", "authz")
	require.Error(t, err)
	for _, want := range []string{`plugin "tlsplug"`, "spec file " + spec, "/nonexistent/ca.pem"} {
		assert.ErrorContains(t, err, want)
	}
}
