package plugins_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/docker/go-connections/tlsconfig"
	"github.com/go-dockerplugins/plugins"
	"github.com/go-dockerplugins/plugins/internal/testkit"
	"github.com/go-dockerplugins/plugins/pluginstest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// echoPlugin serves a plugin called name on NAME.sock whose X.Echo answers
// its request.
func echoPlugin(env *pluginstest.Env, name string) *pluginstest.Plugin {
	return env.ServeSocket(name, "X").Handle("X.Echo", pluginstest.Func(func(v any) (any, error) { return v, nil }))
}

// serveAt serves a plugin implementing X at a UNIX socket path of the
// test's choosing, until stop or the end of the test: its X.Echo answers
// its request, or "moved" if echo is false. It counts its handshakes.
func serveAt(t *testing.T, path string, echo bool) (activations *atomic.Int32, stop func()) {
	activations = new(atomic.Int32)
	srv := testkit.ServeSocket(t, path, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/Plugin.Activate":
			activations.Add(1)
			_ = json.NewEncoder(w).Encode(plugins.Manifest{Implements: []string{"X"}})
		case echo:
			_, _ = io.Copy(w, r.Body)
		default:
			_ = json.NewEncoder(w).Encode("moved")
		}
	}))
	return activations, srv.Close
}

func TestForget(t *testing.T) {
	t.Parallel()
	env := pluginstest.New(t)
	p := echoPlugin(env, "p")
	s := env.Store()
	var handled atomic.Int32
	s.Handle("X", func(string, *plugins.Client) { handled.Add(1) })

	first, err := s.Get("p", "X")
	require.NoError(t, err)
	assert.True(t, s.Forget("p"))
	assert.False(t, s.Forget("p"), "already forgotten")
	assert.False(t, s.Forget("unknown"))

	var out string
	require.NoError(t, first.Client.Call("X.Echo", "still", &out), "a client held before Forget still works")
	assert.Equal(t, "still", out)

	second, err := s.Get("p", "X")
	require.NoError(t, err)
	assert.NotSame(t, first, second, "activated anew")
	assert.Len(t, p.Calls("Plugin.Activate"), 2)
	assert.EqualValues(t, 2, handled.Load(), "the handlers run for the new activation")
}

// A plugin that moved is reached where it is now, on the next retry of a
// call, with no lookup for calls that reach it.
func TestCallsFollowAPluginThatMoved(t *testing.T) {
	t.Parallel()
	env := pluginstest.New(t)
	old := echoPlugin(env, "p")
	reg := &countingRegistry{LocalRegistry: env.Registry()}
	s := plugins.NewStore(reg, pluginstest.Options()...)
	p, err := s.Get("p", "X")
	require.NoError(t, err)

	var out string
	for i := 0; i < 50; i++ {
		require.NoError(t, p.Client.Call("X.Echo", "here", &out))
	}
	assert.EqualValues(t, 1, reg.lookups.Load(), "healthy calls look nothing up")

	old.Stop() // its socket file goes
	moved := filepath.Join(env.SocketsDir(), "p", "p.sock")
	activations, _ := serveAt(t, moved, false)
	require.NoError(t, p.Client.Call("X.Echo", "there", &out))
	assert.Equal(t, "moved", out, "reached at its new address")
	assert.Zero(t, activations.Load(), "the same plugin: no new handshake")

	again, err := s.Get("p", "X")
	require.NoError(t, err)
	assert.Equal(t, "unix://"+moved, again.Addr, "Get says where it is now")
	assert.Same(t, p.Client, again.Client)
}

// A plugin whose spec file now names another address is reached there.
func TestCallsFollowASpecFileToANewAddress(t *testing.T) {
	t.Parallel()
	env := pluginstest.New(t)
	old := env.ServeSpec("p", "X")
	p, err := env.Store().Get("p", "X")
	require.NoError(t, err)
	old.Stop()

	moved := filepath.Join(env.SocketsDir(), "elsewhere.sock")
	serveAt(t, moved, false)
	env.WriteSpecFile("p.spec", "unix://"+moved)
	var out string
	require.NoError(t, p.Client.Call("X.Echo", "x", &out))
	assert.Equal(t, "moved", out)
}

// A plugin restarting in place is reached as soon as it is back.
func TestCallsReachAPluginRestartingInPlace(t *testing.T) {
	t.Parallel()
	env := pluginstest.New(t)
	plugin := echoPlugin(env, "p")
	// It is back as the call's first retry is announced: during its wait.
	var restart sync.Once
	s := env.NewStore(plugins.WithRetryObserver(func(plugins.RetryEvent) {
		restart.Do(func() { assert.NoError(t, plugin.Start()) })
	}))
	p, err := s.Get("p", "X")
	require.NoError(t, err)
	plugin.Stop()
	var out string
	require.NoError(t, p.Client.Call("X.Echo", "back", &out))
	assert.Equal(t, "back", out)
	assert.Len(t, plugin.Calls("X.Echo"), 1)
}

// A plugin that stays gone ends the call, once the budget is spent, with
// an error that says so and wraps ErrNotFound; the next Get looks it up
// anew instead of returning it.
func TestAPluginThatStaysGone(t *testing.T) {
	t.Parallel()
	env := pluginstest.New(t)
	plugin := echoPlugin(env, "p")
	s := env.NewStore(plugins.WithCallRetryBudget(200 * time.Millisecond))
	p, err := s.Get("p", "X")
	require.NoError(t, err)
	plugin.Stop()

	err = p.Client.Call("X.Echo", "x", nil)
	require.ErrorIs(t, err, plugins.ErrNotFound)
	assert.ErrorContains(t, err, "X.Echo: no longer found: plugin \"p\": Plugin not found")
	assert.ErrorContains(t, err, "gave up after")

	_, err = s.Get("p", "X")
	require.ErrorIs(t, err, plugins.ErrNotFound, "looked up anew, not the plugin that went away")

	require.NoError(t, plugin.Start())
	_, err = s.Get("p", "X")
	require.NoError(t, err, "and found again once back")
}

func TestCheck(t *testing.T) {
	t.Parallel()
	env := pluginstest.New(t)
	echoPlugin(env, "up")
	env.ServeSocket("hung", "X").Inject(pluginstest.Fault{Method: "Plugin.Activate", Delay: time.Hour})
	env.StaleSocket("crashed")
	s := env.Store()
	_, err := s.Get("up", "X")
	require.NoError(t, err)

	h := s.Check(context.Background(), "up")
	require.True(t, h.OK(), h.String())
	assert.Equal(t, []string{"X"}, h.Implements)
	assert.Positive(t, h.Took)
	assert.Equal(t, "unix://"+filepath.Join(env.SocketsDir(), "up.sock"), h.Addr)

	start := time.Now()
	h = s.Check(context.Background(), "crashed")
	assert.ErrorContains(t, h.Err, "connection refused", "not activated: checked all the same")
	assert.Less(t, time.Since(start), 500*time.Millisecond, "no retries")

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	h = s.Check(ctx, "hung")
	assert.ErrorIs(t, h.Err, context.DeadlineExceeded)

	h = s.Check(context.Background(), "missing")
	assert.ErrorIs(t, h.Err, plugins.ErrNotFound)

	all := s.CheckAll(context.Background())
	require.Len(t, all, 1, "the activated plugins only: checks activate nothing")
	assert.Equal(t, "up", all[0].Name)
	assert.True(t, all[0].OK())
}

func TestClose(t *testing.T) {
	t.Parallel()
	env := pluginstest.New(t)
	plugin := echoPlugin(env, "p").
		Handle("X.Hang", pluginstest.Reply("late")).
		Inject(pluginstest.Fault{Method: "X.Hang", Delay: time.Hour})
	s := env.NewStore()
	p, err := s.Get("p", "X")
	require.NoError(t, err)

	hung := make(chan error, 1)
	go func() { hung <- p.Client.Call("X.Hang", nil, nil) }()
	require.Eventually(t, func() bool { return len(plugin.Calls("X.Hang")) == 1 }, 5*time.Second, time.Millisecond,
		"the call is in progress")
	require.NoError(t, s.Close())
	select {
	case err := <-hung:
		assert.ErrorIs(t, err, plugins.ErrClientClosed, "a call in progress ends")
	case <-time.After(2 * time.Second):
		t.Fatal("a call in progress was not ended by Close")
	}
	assert.ErrorIs(t, p.Client.Call("X.Echo", "x", nil), plugins.ErrClientClosed)
	_, err = s.Get("p", "X")
	assert.ErrorIs(t, err, plugins.ErrStoreClosed)
	assert.ErrorContains(t, err, "plugin store closed")
	_, err = s.GetAll("X")
	assert.ErrorIs(t, err, plugins.ErrStoreClosed)
	require.NoError(t, s.Close(), "closing twice is harmless")
}

func TestClientClose(t *testing.T) {
	t.Parallel()
	env := pluginstest.New(t)
	p := echoPlugin(env, "p")
	c, err := plugins.NewClientWithOptions(p.Addr(), tlsconfig.Options{}, plugins.WithLogger(testkit.QuietLogger()))
	require.NoError(t, err)
	var out string
	require.NoError(t, c.Call("X.Echo", "x", &out))
	require.NoError(t, c.Close())
	assert.ErrorIs(t, c.Call("X.Echo", "x", &out), plugins.ErrClientClosed)
}

// Plugins removed, moved and restarted while 100 goroutines call them: no
// error but those the changes explain, and nothing left after Close. Not
// parallel: it counts goroutines.
func TestLifecycleUnderLoad(t *testing.T) {
	// Registered first, so it runs last: after the plugins stop.
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) })
	env := pluginstest.New(t)
	names := []string{"a", "b", "c", "d"}
	served := map[string]*pluginstest.Plugin{}
	for _, n := range names {
		served[n] = echoPlugin(env, n)
	}
	s := env.NewStore()
	var (
		stop     atomic.Bool
		wg       sync.WaitGroup
		calls    atomic.Int64
		explains atomic.Int64
	)
	for g := 0; g < 100; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := names[g%len(names)]
			for !stop.Load() {
				p, err := s.Get(name, "X")
				if err == nil {
					var out int
					err = p.Client.Call("X.Echo", g, &out)
					if err == nil && out != g {
						t.Errorf("call %d answered %d", g, out)
					}
				}
				calls.Add(1)
				switch {
				case err == nil:
				case errors.Is(err, plugins.ErrNotFound), errors.Is(err, plugins.ErrClientClosed):
					explains.Add(1) // removed for longer than the budget, or forgotten under it
				default:
					t.Errorf("%s: %v", name, err)
				}
			}
		}()
	}
	// Each change lasts long enough for hundreds of calls to meet it.
	for round := 0; round < 12; round++ {
		time.Sleep(10 * time.Millisecond)
		name := names[round%len(names)]
		p := served[name]
		switch round % 3 {
		case 0: // restarted in place
			p.Stop()
			time.Sleep(15 * time.Millisecond)
			require.NoError(t, p.Start())
		case 1: // moved to NAME/NAME.sock for a while, then back
			p.Stop()
			_, stopMoved := serveAt(t, filepath.Join(env.SocketsDir(), name, name+".sock"), true)
			time.Sleep(20 * time.Millisecond)
			stopMoved()
			require.NoError(t, p.Start())
		case 2: // removed from the cache
			s.Forget(name)
		}
		_ = s.CheckAll(context.Background())
	}
	stop.Store(true)
	wg.Wait()
	require.NoError(t, s.Close())
	t.Logf("%d calls, %d explained errors", calls.Load(), explains.Load())
	for _, p := range served {
		p.Stop()
	}
}
