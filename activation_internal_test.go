package plugins

import (
	"fmt"
	"testing"
	"time"

	"github.com/go-dockerplugins/plugins/internal/testkit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Hundreds of crashed plugins (stale sockets) do not keep GetAll from the
// live ones: a refused connection costs one failed dial, not a place held
// through back-off waits.
func TestDeadPluginsDoNotHideLiveOnes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for i := 0; i < 300; i++ {
		testkit.StaleSocket(t, e.socket(fmt.Sprintf("dead%03d", i)))
	}
	var want []string
	for i := 0; i < 5; i++ {
		name := fmt.Sprintf("live%d", i)
		testkit.ServeSocket(t, e.socket(name), manifest("VolumeDriver"))
		want = append(want, name)
	}
	// GetAll waits less than the dead plugins' first back-off wait, which
	// they would spend holding their places; the activation bound ends them
	// after their second attempt, before the test does.
	const getAll, wait = 300 * time.Millisecond, 400 * time.Millisecond
	s := NewStore(e.registry(), WithLogger(testkit.QuietLogger()), WithGetAllTimeout(getAll),
		WithBackoff(ExponentialBackoff(wait, time.Minute)), WithLookupRetryBudget(3*wait))

	start := time.Now()
	all, err := s.GetAll("VolumeDriver")
	require.NoError(t, err)
	var got []string
	for _, p := range all {
		got = append(got, p.Name)
	}
	assert.Equal(t, want, got)
	assert.Less(t, time.Since(start), getAll+time.Second)
	assert.Eventually(t, func() bool { return inFlight(s) == 0 }, 5*time.Second, 5*time.Millisecond,
		"the dead plugins' activations ended within the bound")
}

// What bounds Get as a whole when no deadline does.
func TestActivationBound(t *testing.T) {
	t.Parallel()
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
