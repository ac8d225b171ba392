package plugins

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/go-dockerplugins/plugins/internal/testkit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGetOfAMissingPluginRetriesTheLookup(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	clk := newFakeClock()
	var seen testkit.Log[RetryEvent]
	s := e.store(withClock(clk), WithRetryObserver(seen.Add))

	_, err := s.Get("missing", "VolumeDriver")
	require.ErrorIs(t, err, ErrNotFound)
	assert.Contains(t, err.Error(), e.socket("missing"), "the error lists the paths searched")
	assert.Contains(t, err.Error(), "gave up after 5 attempts")
	s1 := time.Second
	assert.Equal(t, []time.Duration{s1, 2 * s1, 4 * s1, 8 * s1}, clk.Sleeps())
	for _, ev := range seen.All() {
		assert.Equal(t, "missing", ev.Plugin)
		assert.Empty(t, ev.Method, "a lookup retry names no method")
		assert.ErrorIs(t, ev.Err, ErrNotFound)
	}
}

func TestLookupBudgets(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	clk := newFakeClock()
	s := e.store(withClock(clk), WithLookupRetryBudget(0))
	_, err := s.Get("missing", "VolumeDriver")
	require.ErrorIs(t, err, ErrNotFound)
	assert.Empty(t, clk.Sleeps(), "no budget, no retry")

	clk = newFakeClock()
	s = e.store(withClock(clk), WithLookupRetryBudget(10*time.Second), WithBackoff(func(int) time.Duration { return 3 * time.Second }))
	_, err = s.Get("missing", "VolumeDriver")
	require.ErrorIs(t, err, ErrNotFound)
	assert.Equal(t, []time.Duration{3 * time.Second, 3 * time.Second, 3 * time.Second}, clk.Sleeps())
}

// A caller that gives up during the lookup's back-off ends the activation
// it was the last to wait for.
func TestGetContextCancellationStopsTheAbandonedActivation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	s := NewStore(e.registry(), WithLogger(testkit.QuietLogger()),
		WithBackoff(func(int) time.Duration { return time.Hour }), WithLookupRetryBudget(2*time.Hour),
		WithRetryObserver(func(RetryEvent) { cancel() }))
	start := time.Now()
	_, err := s.GetContext(ctx, "missing", "VolumeDriver")
	require.ErrorIs(t, err, context.Canceled)
	assert.Contains(t, err.Error(), `"missing"`)
	assert.Less(t, time.Since(start), 5*time.Second)
	require.Eventually(t, func() bool { return inFlight(s) == 0 }, 5*time.Second, time.Millisecond, "the abandoned activation stops")
}

func TestErrorsMatchTheSeedTexts(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "Plugin not found", ErrNotFound.Error())
	assert.Equal(t, "Plugin does not implement the requested driver", ErrNotImplements.Error())
	assert.True(t, errors.Is(notImplementsError("x", "y"), ErrNotImplements))
}
