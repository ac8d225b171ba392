package plugins

import (
	"errors"
	"net/http"
	"testing"

	"github.com/docker/go-connections/tlsconfig"
	"github.com/go-dockerplugins/plugins/internal/testkit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A call that loaded its client's target just as the plugin moved finds
// that target's connections shut: it goes at once to the new address,
// with no back-off wait.
func TestAnAttemptOnAMovedTargetGoesToTheNewOne(t *testing.T) {
	t.Parallel()
	moved := testkit.ServeSocket(t, testkit.SocketPath(t, "moved"), http.HandlerFunc(testkit.Echo))
	next, err := newTarget(moved.Addr(), tlsconfig.Options{})
	require.NoError(t, err)

	var c *Client
	var events []RetryEvent
	clk := newFakeClock()
	c, err = newClient("unix://"+testkit.SocketPath(t, "old"), tlsconfig.Options{}, "p",
		newConfig([]Option{WithLogger(testkit.QuietLogger()), withClock(clk), WithRetryObserver(func(ev RetryEvent) {
			events = append(events, ev)
			c.target.Store(next) // the store moved the client meanwhile
		})}))
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	c.target.Load().pool.shutdown(false) // as relocate shuts the old target

	var out string
	require.NoError(t, c.Call("X.Echo", "here", &out))
	assert.Equal(t, "here", out)
	require.Len(t, events, 1)
	assert.Zero(t, events[0].Wait, "no back-off")
	assert.True(t, errors.Is(events[0].Err, errPoolShut))
	assert.Empty(t, clk.Sleeps())
}
