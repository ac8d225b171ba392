package plugins

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-dockerplugins/plugins/internal/testkit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGetActivatesAndReturnsThePlugin(t *testing.T) {
	e := newEnv(t)
	fp := newFakePlugin("VolumeDriver", "authz")
	serveUnix(t, e.socket("vol"), fp)
	s := e.store()

	p, err := s.Get("vol", "VolumeDriver")
	require.NoError(t, err)
	assert.Equal(t, "vol", p.Name)
	assert.Equal(t, "unix://"+e.socket("vol"), p.Addr)
	assert.Equal(t, e.socket("vol"), p.Source())
	require.NotNil(t, p.Manifest)
	assert.Equal(t, []string{"VolumeDriver", "authz"}, p.Manifest.Implements)
	require.NotNil(t, p.Client)
	assert.True(t, p.Implements("authz"))
	assert.False(t, p.Implements("NetworkDriver"))

	reqs := fp.Requests()
	require.Len(t, reqs, 1)
	assert.Equal(t, "/Plugin.Activate", reqs[0].Path)
	assert.Empty(t, reqs[0].Body, "activation sends an empty body")
	assert.EqualValues(t, 0, reqs[0].ContentLength)

	again, err := s.Get("vol", "authz")
	require.NoError(t, err)
	assert.Same(t, p, again, "the activated plugin is cached")
	assert.EqualValues(t, 1, fp.activated.Load())

	_, err = s.Get("vol", "NetworkDriver")
	require.ErrorIs(t, err, ErrNotImplements)
	assert.Equal(t, `Plugin does not implement the requested driver: plugin="vol", requested implementation="NetworkDriver"`, err.Error())
}

func TestGetOverSpecFiles(t *testing.T) {
	e := newEnv(t)
	pki := testkit.NewCA(t, testkit.ShortDir(t))
	tcp := serveTCP(t, newFakePlugin("NetworkDriver"))
	tlsAddr := serveTLS(t, newFakePlugin("authz"), pki.ServerConfig())
	writeFile(t, filepath.Join(e.specs[0], "net.spec"), "tcp://"+tcp+"\n")
	writeFile(t, filepath.Join(e.specs[1], "auth", "auth.json"),
		fmt.Sprintf(`{"Name": "ignored", "Addr": "https://%s", "TLSConfig": {"CAFile": %q}}`, tlsAddr, pki.File()))
	other := testkit.NewCA(t, testkit.ShortDir(t))
	writeFile(t, filepath.Join(e.specs[1], "badca.json"),
		fmt.Sprintf(`{"Addr": "https://%s", "TLSConfig": {"CAFile": %q}}`, tlsAddr, other.File()))
	s := e.store()

	p, err := s.Get("net", "NetworkDriver")
	require.NoError(t, err)
	assert.Equal(t, "tcp://"+tcp, p.Addr)

	p, err = s.Get("auth", "authz")
	require.NoError(t, err)
	assert.Equal(t, "auth", p.Name)
	assert.Equal(t, pki.File(), p.TLSConfig.CAFile)

	start := time.Now()
	_, err = s.Get("badca", "authz")
	require.ErrorContains(t, err, "unknown authority")
	assert.ErrorContains(t, err, `"badca"`)
	assert.Less(t, time.Since(start), time.Second, "a TLS failure is permanent")
}

func TestConcurrentGetsActivateOnce(t *testing.T) {
	e := newEnv(t)
	release := make(chan struct{})
	fp := newFakePlugin("VolumeDriver")
	var arrived atomic.Int32
	fp.on("/Plugin.Activate", func(w http.ResponseWriter, r *http.Request) {
		arrived.Add(1)
		<-release // hold activation until every caller is waiting
		_, _ = io.WriteString(w, `{"Implements": ["VolumeDriver"]}`)
	})
	serveUnix(t, e.socket("vol"), fp)
	s := e.store()

	const callers = 100
	var wg sync.WaitGroup
	got := make([]*Plugin, callers)
	errs := make([]error, callers)
	for i := 0; i < callers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i], errs[i] = s.Get("vol", "VolumeDriver")
		}()
	}
	require.Eventually(t, func() bool { return arrived.Load() == 1 }, 5*time.Second, time.Millisecond)
	time.Sleep(20 * time.Millisecond) // let the other callers pile up
	close(release)
	wg.Wait()

	for i := range got {
		require.NoError(t, errs[i])
		assert.Same(t, got[0], got[i])
	}
	assert.Len(t, fp.Requests(), 1, "exactly one /Plugin.Activate")
}

func TestFailedActivationIsForgotten(t *testing.T) {
	e := newEnv(t)
	var fail atomic.Bool
	fail.Store(true)
	fp := newFakePlugin("VolumeDriver")
	fp.on("/Plugin.Activate", func(w http.ResponseWriter, r *http.Request) {
		if fail.Load() {
			http.Error(w, `{"Err": "not ready"}`, http.StatusInternalServerError)
			return
		}
		_, _ = io.WriteString(w, `{"Implements": ["VolumeDriver"]}`)
	})
	serveUnix(t, e.socket("vol"), fp)
	s := e.store()

	_, err := s.Get("vol", "VolumeDriver")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "Plugin.Activate: not ready")
	assert.Contains(t, err.Error(), `"vol"`)
	var se *StatusError
	assert.ErrorAs(t, err, &se)

	fail.Store(false)
	p, err := s.Get("vol", "VolumeDriver")
	require.NoError(t, err, "the next Get activates again")
	assert.NotNil(t, p.Manifest)
	assert.Len(t, fp.Requests(), 2)
}

func TestGetOfAMissingPluginRetriesTheLookup(t *testing.T) {
	e := newEnv(t)
	clk := newFakeClock()
	var seen retries
	s := e.store(withClock(clk), WithRetryObserver(seen.observe))

	_, err := s.Get("missing", "VolumeDriver")
	require.ErrorIs(t, err, ErrNotFound)
	assert.Contains(t, err.Error(), e.socket("missing"), "the error lists the paths searched")
	assert.Contains(t, err.Error(), "gave up after 5 attempts")
	s1 := time.Second
	assert.Equal(t, []time.Duration{s1, 2 * s1, 4 * s1, 8 * s1}, clk.Sleeps())
	for _, ev := range seen.Events() {
		assert.Equal(t, "missing", ev.Plugin)
		assert.Empty(t, ev.Method, "a lookup retry names no method")
		assert.ErrorIs(t, ev.Err, ErrNotFound)
	}
}

func TestGetFindsAPluginThatAppearsWhileRetrying(t *testing.T) {
	e := newEnv(t)
	fp := newFakePlugin("VolumeDriver")
	clk := newFakeClock()
	clk.onSleep = func(n int) {
		if n == 2 {
			serveUnix(t, e.socket("late"), fp)
		}
	}
	s := e.store(withClock(clk))
	p, err := s.Get("late", "VolumeDriver")
	require.NoError(t, err)
	assert.Equal(t, "late", p.Name)
	assert.Equal(t, []time.Duration{time.Second, 2 * time.Second}, clk.Sleeps())
}

func TestLookupBudgets(t *testing.T) {
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

func TestPermanentLookupFailuresAreNotRetried(t *testing.T) {
	e := newEnv(t)
	writeFile(t, filepath.Join(e.specs[0], "bad.spec"), "ftp://127.0.0.1:21")
	clk := newFakeClock()
	s := e.store(withClock(clk))
	for _, name := range []string{"bad", "../escape", ""} {
		_, err := s.Get(name, "VolumeDriver")
		require.Error(t, err, name)
	}
	assert.Empty(t, clk.Sleeps())
}

func TestGetContextCancellation(t *testing.T) {
	e := newEnv(t)
	t.Run("during the lookup back-off", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		s := NewStore(e.registry(), WithLogger(testkit.QuietLogger()),
			WithBackoff(func(int) time.Duration { return time.Hour }), WithLookupRetryBudget(2*time.Hour),
			WithRetryObserver(func(RetryEvent) { cancel() }))
		start := time.Now()
		_, err := s.GetContext(ctx, "missing", "VolumeDriver")
		require.ErrorIs(t, err, context.Canceled)
		assert.Contains(t, err.Error(), `"missing"`)
		assert.Less(t, time.Since(start), 5*time.Second)
		require.Eventually(t, func() bool {
			s.mu.Lock()
			defer s.mu.Unlock()
			return len(s.flights) == 0
		}, 5*time.Second, time.Millisecond, "the abandoned activation stops")
	})
	t.Run("during activation, with another caller still waiting", func(t *testing.T) {
		release := make(chan struct{})
		fp := newFakePlugin("VolumeDriver")
		fp.on("/Plugin.Activate", func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-release:
			case <-r.Context().Done():
				return
			}
			_, _ = io.WriteString(w, `{"Implements": ["VolumeDriver"]}`)
		})
		serveUnix(t, e.socket("slow"), fp)
		t.Cleanup(func() {
			select {
			case <-release:
			default:
				close(release)
			}
		})
		s := e.store()

		patient := make(chan error, 1)
		go func() {
			_, err := s.Get("slow", "VolumeDriver")
			patient <- err
		}()
		require.Eventually(t, func() bool { return len(fp.Requests()) == 1 }, 5*time.Second, time.Millisecond)

		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		_, err := s.GetContext(ctx, "slow", "VolumeDriver")
		require.ErrorIs(t, err, context.DeadlineExceeded)

		close(release)
		require.NoError(t, <-patient, "the other caller still gets the plugin")
		assert.Len(t, fp.Requests(), 1)
	})
}

func TestHandlers(t *testing.T) {
	e := newEnv(t)
	serveUnix(t, e.socket("vol1"), newFakePlugin("VolumeDriver"))
	serveUnix(t, e.socket("vol2"), newFakePlugin("VolumeDriver", "authz"))
	serveUnix(t, e.socket("net"), newFakePlugin("NetworkDriver"))
	s := e.store()

	var mu sync.Mutex
	runs := map[string]int{}
	record := func(tag string) func(string, *Client) {
		return func(name string, c *Client) {
			require.NotNil(t, c)
			mu.Lock()
			defer mu.Unlock()
			runs[tag+":"+name]++
		}
	}
	snapshot := func() map[string]int {
		mu.Lock()
		defer mu.Unlock()
		out := map[string]int{}
		for k, v := range runs {
			out[k] = v
		}
		return out
	}

	s.Handle("VolumeDriver", record("early"))
	s.Handle("VolumeDriver", nil) // ignored
	for i := 0; i < 3; i++ {
		_, err := s.Get("vol1", "VolumeDriver")
		require.NoError(t, err)
	}
	assert.Equal(t, map[string]int{"early:vol1": 1}, snapshot(), "a handler runs once per plugin, before Get returns")

	// Registered after vol1 was activated: it runs on vol1's next Get.
	s.Handle("VolumeDriver", record("late"))
	s.Handle("authz", record("authz"))
	_, err := s.Get("vol1", "VolumeDriver")
	require.NoError(t, err)
	_, err = s.Get("vol2", "authz")
	require.NoError(t, err)
	_, err = s.Get("net", "NetworkDriver")
	require.NoError(t, err)
	for i := 0; i < 3; i++ {
		_, _ = s.Get("vol1", "VolumeDriver")
		_, _ = s.Get("vol2", "VolumeDriver")
	}
	assert.Equal(t, map[string]int{
		"early:vol1": 1, "late:vol1": 1,
		"early:vol2": 1, "late:vol2": 1, "authz:vol2": 1,
	}, snapshot(), "each handler once per plugin that implements its interface, none twice")
}

func TestHandleRacingWithGets(t *testing.T) {
	e := newEnv(t)
	const plugins = 8
	for i := 0; i < plugins; i++ {
		serveUnix(t, e.socket(fmt.Sprint("p", i)), newFakePlugin("VolumeDriver"))
	}
	s := e.store()

	var mu sync.Mutex
	runs := map[string]int{}
	const handlers = 10
	var wg sync.WaitGroup
	for h := 0; h < handlers; h++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.Handle("VolumeDriver", func(name string, _ *Client) {
				mu.Lock()
				runs[fmt.Sprint(h, name)]++
				mu.Unlock()
			})
		}()
	}
	for g := 0; g < 20; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < plugins; i++ {
				_, err := s.Get(fmt.Sprint("p", (i+g)%plugins), "VolumeDriver")
				assert.NoError(t, err)
			}
		}()
	}
	wg.Wait()
	for i := 0; i < plugins; i++ { // every plugin catches up with every handler
		_, err := s.Get(fmt.Sprint("p", i), "VolumeDriver")
		require.NoError(t, err)
	}
	mu.Lock()
	defer mu.Unlock()
	assert.Len(t, runs, handlers*plugins)
	for k, n := range runs {
		assert.Equal(t, 1, n, k)
	}
}

func TestGetAll(t *testing.T) {
	e := newEnv(t)
	vol1, vol2 := newFakePlugin("VolumeDriver"), newFakePlugin("VolumeDriver", "authz")
	serveUnix(t, e.socket("b-vol"), vol1)
	serveUnix(t, e.socket("a-vol"), vol2)
	serveUnix(t, e.socket("net"), newFakePlugin("NetworkDriver"))
	writeFile(t, filepath.Join(e.specs[0], "c-vol.spec"), "tcp://"+serveTCP(t, newFakePlugin("VolumeDriver")))
	writeFile(t, filepath.Join(e.specs[0], "broken.spec"), "nonsense")
	listenSocket(t, e.socket("hung")) // accepts connections, never answers
	staleSocket(t, e.socket("stale")) // nothing listens
	writeFile(t, filepath.Join(e.specs[0], "refused.spec"), "unix://"+filepath.Join(e.sockets, "gone.sock"))
	var handled atomic.Int32
	s := e.store(withClock(realClock{}), WithGetAllTimeout(300*time.Millisecond))
	s.Handle("VolumeDriver", func(string, *Client) { handled.Add(1) })

	start := time.Now()
	all, err := s.GetAll("VolumeDriver")
	require.NoError(t, err)
	assert.Less(t, time.Since(start), 3*time.Second, "plugins that do not answer cost the GetAll timeout, not the retry budget")
	var names []string
	for _, p := range all {
		names = append(names, p.Name)
	}
	assert.Equal(t, []string{"a-vol", "b-vol", "c-vol"}, names)
	assert.EqualValues(t, 3, handled.Load(), "handlers ran for the plugins GetAll activated")

	// Activated plugins come from the cache.
	all2, err := s.GetAll("VolumeDriver")
	require.NoError(t, err)
	assert.Equal(t, all, all2)
	assert.EqualValues(t, 1, vol1.activated.Load())
	assert.EqualValues(t, 1, vol2.activated.Load())

	authz, err := s.GetAll("authz")
	require.NoError(t, err)
	require.Len(t, authz, 1)
	assert.Equal(t, "a-vol", authz[0].Name)

	none, err := s.GetAll("LogDriver")
	require.NoError(t, err)
	assert.Empty(t, none)
}

// countingRegistry counts the calls of Plugins on a LocalRegistry.
type countingRegistry struct {
	*LocalRegistry
	plugins atomic.Int32
}

func (r *countingRegistry) Plugins() ([]*Plugin, error) {
	r.plugins.Add(1)
	return r.LocalRegistry.Plugins()
}

func TestGetAllOfActivatedPluginsReadsNoSpecFile(t *testing.T) {
	e := newEnv(t)
	for _, name := range []string{"b", "a", "c"} {
		writeFile(t, filepath.Join(e.specs[0], name+".spec"), "unix://"+e.socket("p"))
	}
	serveUnix(t, e.socket("p"), newFakePlugin("VolumeDriver"))
	reg := &countingRegistry{LocalRegistry: e.registry()}
	s := NewStore(reg, WithLogger(testkit.QuietLogger()))

	first, err := s.GetAll("VolumeDriver")
	require.NoError(t, err)
	require.Len(t, first, 4, "a, b, c and the socket p")
	assert.EqualValues(t, 1, reg.plugins.Load(), "the first GetAll resolves the plugins")

	var handled atomic.Int32
	s.Handle("VolumeDriver", func(string, *Client) { handled.Add(1) })
	again, err := s.GetAll("VolumeDriver")
	require.NoError(t, err)
	assert.Equal(t, first, again, "the same plugins, sorted")
	assert.EqualValues(t, 1, reg.plugins.Load(), "then lists names only, as the engine does")
	assert.EqualValues(t, 4, handled.Load(), "handlers registered since run on the cached path too")

	writeFile(t, filepath.Join(e.specs[0], "d.spec"), "unix://"+e.socket("p"))
	withNew, err := s.GetAll("VolumeDriver")
	require.NoError(t, err)
	assert.Len(t, withNew, 5)
	assert.EqualValues(t, 2, reg.plugins.Load(), "a plugin not activated yet is resolved")
}

func TestGetAllRegistryError(t *testing.T) {
	dir := filepath.Join(testkit.ShortDir(t), "loop")
	require.NoError(t, os.Symlink(dir, dir))
	s := NewStore(NewLocalRegistry(WithSocketsDir(dir)), WithLogger(testkit.QuietLogger()))
	_, err := s.GetAll("VolumeDriver")
	require.Error(t, err)
}

// memRegistry is a Registry of plugins described in memory.
type memRegistry map[string]string

func (m memRegistry) Plugin(name string) (*Plugin, error) {
	if addr, ok := m[name]; ok {
		return NewLocalPlugin(name, addr), nil
	}
	return nil, fmt.Errorf("memory registry: %w", ErrNotFound)
}

func (m memRegistry) Plugins() ([]*Plugin, error) {
	var out []*Plugin
	for name := range m {
		p, _ := m.Plugin(name)
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func TestStoresAreIndependent(t *testing.T) {
	e1 := newEnv(t)
	serveUnix(t, e1.socket("only1"), newFakePlugin("VolumeDriver"))
	sock := filepath.Join(testkit.ShortDir(t), "mem.sock")
	serveUnix(t, sock, newFakePlugin("VolumeDriver"))
	s1 := e1.store()
	s2 := NewStore(memRegistry{"mem": "unix://" + sock}, WithLogger(testkit.QuietLogger()), WithLookupRetryBudget(0))

	_, err := s1.Get("only1", "VolumeDriver")
	require.NoError(t, err)
	_, err = s2.Get("only1", "VolumeDriver")
	require.ErrorIs(t, err, ErrNotFound)
	p, err := s2.Get("mem", "VolumeDriver")
	require.NoError(t, err)
	assert.Equal(t, "unix://"+sock, p.Addr)
	assert.Empty(t, p.Source())
	all, err := s2.GetAll("VolumeDriver")
	require.NoError(t, err)
	require.Len(t, all, 1)
	assert.Same(t, p, all[0])
}

func TestPackageLevelFunctionsRefuseInvalidNames(t *testing.T) {
	start := time.Now()
	for _, name := range []string{"", "../../etc/passwd", "/abs"} {
		_, err := Get(name, "VolumeDriver")
		require.ErrorIs(t, err, ErrInvalidName)
		require.ErrorIs(t, err, ErrNotFound)
		_, err = GetContext(context.Background(), name, "VolumeDriver")
		require.ErrorIs(t, err, ErrInvalidName)
	}
	assert.Less(t, time.Since(start), time.Second, "no retry, no file system access")
}

func TestNewStoreWithNilRegistryUsesTheLocalOne(t *testing.T) {
	s := NewStore(nil)
	_, ok := s.Registry().(*LocalRegistry)
	assert.True(t, ok)
}

func TestErrorsMatchTheSeedTexts(t *testing.T) {
	assert.Equal(t, "Plugin not found", ErrNotFound.Error())
	assert.Equal(t, "Plugin does not implement the requested driver", ErrNotImplements.Error())
	assert.True(t, errors.Is(notImplementsError("x", "y"), ErrNotImplements))
}

func BenchmarkGetCached(b *testing.B) {
	e := newEnv(b)
	serveUnix(b, e.socket("vol"), newFakePlugin("VolumeDriver"))
	s := e.store()
	s.Handle("VolumeDriver", func(string, *Client) {})
	if _, err := s.Get("vol", "VolumeDriver"); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := s.Get("vol", "VolumeDriver"); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func TestGetContextSaysWhatActivationWasRetrying(t *testing.T) {
	e := newEnv(t)
	staleSocket(t, e.socket("stale"))
	var seen retries
	s := NewStore(e.registry(), WithLogger(testkit.QuietLogger()), WithRetryObserver(seen.observe),
		WithBackoff(func(int) time.Duration { return 20 * time.Millisecond }))
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := s.GetContext(ctx, "stale", "VolumeDriver")
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.NotEmpty(t, seen.Events())
	assert.ErrorContains(t, err, "connection refused", "the cause the activation was retrying")
	assert.ErrorContains(t, err, `"stale"`)
}
