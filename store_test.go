package plugins_test

import (
	"context"
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

	"github.com/go-dockerplugins/plugins"
	"github.com/go-dockerplugins/plugins/internal/testkit"
	"github.com/go-dockerplugins/plugins/pluginstest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGetActivatesAndReturnsThePlugin(t *testing.T) {
	t.Parallel()
	env := pluginstest.New(t)
	fp := env.ServeSocket("vol", "VolumeDriver", "authz")
	sock := filepath.Join(env.SocketsDir(), "vol.sock")
	s := env.Store()

	p, err := s.Get("vol", "VolumeDriver")
	require.NoError(t, err)
	assert.Equal(t, "vol", p.Name)
	assert.Equal(t, "unix://"+sock, p.Addr)
	assert.Equal(t, sock, p.Source())
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
	assert.Len(t, fp.Calls("Plugin.Activate"), 1)

	_, err = s.Get("vol", "NetworkDriver")
	require.ErrorIs(t, err, plugins.ErrNotImplements)
	assert.Equal(t, `Plugin does not implement the requested driver: plugin="vol", requested implementation="NetworkDriver"`, err.Error())
}

func TestGetOverSpecFiles(t *testing.T) {
	t.Parallel()
	l := newLayout(t)
	network := l.ServeSpec("net", "NetworkDriver")
	secure := l.ServeJSON("secure", "authz")
	writeFile(t, filepath.Join(l.lib, "auth", "auth.json"),
		fmt.Sprintf(`{"Name": "ignored", "Addr": %q, "TLSConfig": {"CAFile": %q}}`, secure.Addr(), l.CAFile()))
	other := pluginstest.NewCA(t, testkit.ShortDir(t))
	writeFile(t, filepath.Join(l.lib, "badca.json"),
		fmt.Sprintf(`{"Addr": %q, "TLSConfig": {"CAFile": %q}}`, secure.Addr(), other.File()))
	s := plugins.NewStore(l.registry(), pluginstest.Options()...)

	p, err := s.Get("net", "NetworkDriver")
	require.NoError(t, err)
	assert.Equal(t, network.Addr(), p.Addr)

	p, err = s.Get("auth", "authz")
	require.NoError(t, err)
	assert.Equal(t, "auth", p.Name)
	assert.Equal(t, l.CAFile(), p.TLSConfig.CAFile)

	start := time.Now()
	_, err = s.Get("badca", "authz")
	require.ErrorContains(t, err, "unknown authority")
	assert.ErrorContains(t, err, `"badca"`)
	assert.Less(t, time.Since(start), time.Second, "a TLS failure is permanent")
}

func TestConcurrentGetsActivateOnce(t *testing.T) {
	t.Parallel()
	env := pluginstest.New(t)
	release := make(chan struct{})
	var arrived atomic.Int32
	fp := env.ServeSocket("vol").HandleFunc("Plugin.Activate", func(w http.ResponseWriter, r *http.Request) {
		arrived.Add(1)
		select { // hold activation until every caller is waiting
		case <-release:
		case <-r.Context().Done():
			return
		}
		_, _ = io.WriteString(w, `{"Implements": ["VolumeDriver"]}`)
	})
	// The engine's activation bound, not the environment's 1s.
	s := env.NewStore(plugins.WithLookupRetryBudget(plugins.DefaultRetryBudget))

	const callers = 100
	var wg sync.WaitGroup
	got := make([]*plugins.Plugin, callers)
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
	t.Parallel()
	env := pluginstest.New(t)
	var fail atomic.Bool
	fail.Store(true)
	fp := env.ServeSocket("vol").HandleFunc("Plugin.Activate", func(w http.ResponseWriter, r *http.Request) {
		if fail.Load() {
			http.Error(w, `{"Err": "not ready"}`, http.StatusInternalServerError)
			return
		}
		_, _ = io.WriteString(w, `{"Implements": ["VolumeDriver"]}`)
	})
	s := env.Store()

	_, err := s.Get("vol", "VolumeDriver")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "Plugin.Activate: not ready")
	assert.Contains(t, err.Error(), `"vol"`)
	var se *plugins.StatusError
	assert.ErrorAs(t, err, &se)

	fail.Store(false)
	p, err := s.Get("vol", "VolumeDriver")
	require.NoError(t, err, "the next Get activates again")
	assert.NotNil(t, p.Manifest)
	assert.Len(t, fp.Requests(), 2)
}

// A caller that gives up leaves the activation to the others still
// waiting for it.
func TestGetContextCancellation(t *testing.T) {
	t.Parallel()
	env := pluginstest.New(t)
	release := make(chan struct{})
	fp := env.ServeSocket("slow").HandleFunc("Plugin.Activate", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
			return
		}
		_, _ = io.WriteString(w, `{"Implements": ["VolumeDriver"]}`)
	})
	var once sync.Once
	t.Cleanup(func() { once.Do(func() { close(release) }) })
	s := env.NewStore(plugins.WithLookupRetryBudget(plugins.DefaultRetryBudget))

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

	once.Do(func() { close(release) })
	require.NoError(t, <-patient, "the other caller still gets the plugin")
	assert.Len(t, fp.Requests(), 1)
}

func TestHandlers(t *testing.T) {
	t.Parallel()
	env := pluginstest.New(t)
	env.ServeSocket("vol1", "VolumeDriver")
	env.ServeSocket("vol2", "VolumeDriver", "authz")
	env.ServeSocket("net", "NetworkDriver")
	s := env.Store()

	var mu sync.Mutex
	runs := map[string]int{}
	record := func(tag string) func(string, *plugins.Client) {
		return func(name string, c *plugins.Client) {
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
	t.Parallel()
	env := pluginstest.New(t)
	const count = 8
	for i := 0; i < count; i++ {
		env.ServeSocket(fmt.Sprint("p", i), "VolumeDriver")
	}
	s := env.Store()

	var mu sync.Mutex
	runs := map[string]int{}
	const handlers = 10
	var wg sync.WaitGroup
	for h := 0; h < handlers; h++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.Handle("VolumeDriver", func(name string, _ *plugins.Client) {
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
			for i := 0; i < count; i++ {
				_, err := s.Get(fmt.Sprint("p", (i+g)%count), "VolumeDriver")
				assert.NoError(t, err)
			}
		}()
	}
	wg.Wait()
	for i := 0; i < count; i++ { // every plugin catches up with every handler
		_, err := s.Get(fmt.Sprint("p", i), "VolumeDriver")
		require.NoError(t, err)
	}
	mu.Lock()
	defer mu.Unlock()
	assert.Len(t, runs, handlers*count)
	for k, n := range runs {
		assert.Equal(t, 1, n, k)
	}
}

func TestGetAll(t *testing.T) {
	t.Parallel()
	env := pluginstest.New(t)
	vol1 := env.ServeSocket("b-vol", "VolumeDriver")
	vol2 := env.ServeSocket("a-vol", "VolumeDriver", "authz")
	env.ServeSocket("net", "NetworkDriver")
	env.ServeSpec("c-vol", "VolumeDriver")
	env.WriteSpecFile("broken.spec", "nonsense")
	testkit.ListenUnix(t, filepath.Join(env.SocketsDir(), "hung.sock")) // accepts connections, never answers
	env.StaleSocket("stale")                                            // nothing listens
	env.WriteSpecFile("refused.spec", "unix://"+filepath.Join(env.SocketsDir(), "gone.sock"))
	var handled atomic.Int32
	// The default budgets, with the real clock. Every GetAll below waits
	// for the plugins that do not answer, for its timeout.
	s := plugins.NewStore(env.Registry(), plugins.WithLogger(testkit.QuietLogger()), plugins.WithGetAllTimeout(100*time.Millisecond))
	s.Handle("VolumeDriver", func(string, *plugins.Client) { handled.Add(1) })

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
	assert.Len(t, vol1.Calls("Plugin.Activate"), 1)
	assert.Len(t, vol2.Calls("Plugin.Activate"), 1)

	authz, err := s.GetAll("authz")
	require.NoError(t, err)
	require.Len(t, authz, 1)
	assert.Equal(t, "a-vol", authz[0].Name)

	none, err := s.GetAll("LogDriver")
	require.NoError(t, err)
	assert.Empty(t, none)
}

func TestGetAllOfActivatedPluginsReadsNoSpecFile(t *testing.T) {
	t.Parallel()
	env := pluginstest.New(t)
	sock := "unix://" + filepath.Join(env.SocketsDir(), "p.sock")
	for _, name := range []string{"b", "a", "c"} {
		env.WriteSpecFile(name+".spec", sock)
	}
	env.ServeSocket("p", "VolumeDriver")
	reg := &countingRegistry{LocalRegistry: env.Registry()}
	s := plugins.NewStore(reg, plugins.WithLogger(testkit.QuietLogger()))

	first, err := s.GetAll("VolumeDriver")
	require.NoError(t, err)
	require.Len(t, first, 4, "a, b, c and the socket p")
	assert.EqualValues(t, 1, reg.listings.Load(), "the first GetAll resolves the plugins")

	var handled atomic.Int32
	s.Handle("VolumeDriver", func(string, *plugins.Client) { handled.Add(1) })
	again, err := s.GetAll("VolumeDriver")
	require.NoError(t, err)
	assert.Equal(t, first, again, "the same plugins, sorted")
	assert.EqualValues(t, 1, reg.listings.Load(), "then lists names only, as the engine does")
	assert.EqualValues(t, 4, handled.Load(), "handlers registered since run on the cached path too")

	env.WriteSpecFile("d.spec", sock)
	withNew, err := s.GetAll("VolumeDriver")
	require.NoError(t, err)
	assert.Len(t, withNew, 5)
	assert.EqualValues(t, 2, reg.listings.Load(), "a plugin not activated yet is resolved")
}

func TestGetAllRegistryError(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(testkit.ShortDir(t), "loop")
	require.NoError(t, os.Symlink(dir, dir))
	s := plugins.NewStore(plugins.NewLocalRegistry(plugins.WithSocketsDir(dir)), plugins.WithLogger(testkit.QuietLogger()))
	_, err := s.GetAll("VolumeDriver")
	require.Error(t, err)
}

// memRegistry is a Registry of plugins described in memory.
type memRegistry map[string]string

func (m memRegistry) Plugin(name string) (*plugins.Plugin, error) {
	if addr, ok := m[name]; ok {
		return plugins.NewLocalPlugin(name, addr), nil
	}
	return nil, fmt.Errorf("memory registry: %w", plugins.ErrNotFound)
}

func (m memRegistry) Plugins() ([]*plugins.Plugin, error) {
	var out []*plugins.Plugin
	for name := range m {
		p, _ := m.Plugin(name)
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func TestStoresAreIndependent(t *testing.T) {
	t.Parallel()
	env := pluginstest.New(t)
	env.ServeSocket("only1", "VolumeDriver")
	mem := pluginstest.New(t).ServeSocket("mem", "VolumeDriver")
	s1 := env.Store()
	s2 := plugins.NewStore(memRegistry{"mem": mem.Addr()}, plugins.WithLogger(testkit.QuietLogger()), plugins.WithLookupRetryBudget(0))

	_, err := s1.Get("only1", "VolumeDriver")
	require.NoError(t, err)
	_, err = s2.Get("only1", "VolumeDriver")
	require.ErrorIs(t, err, plugins.ErrNotFound)
	p, err := s2.Get("mem", "VolumeDriver")
	require.NoError(t, err)
	assert.Equal(t, mem.Addr(), p.Addr)
	assert.Empty(t, p.Source())
	all, err := s2.GetAll("VolumeDriver")
	require.NoError(t, err)
	require.Len(t, all, 1)
	assert.Same(t, p, all[0])
}

func TestPackageLevelFunctionsRefuseInvalidNames(t *testing.T) {
	t.Parallel()
	start := time.Now()
	for _, name := range []string{"", "../../etc/passwd", "/abs"} {
		_, err := plugins.Get(name, "VolumeDriver")
		require.ErrorIs(t, err, plugins.ErrInvalidName)
		require.ErrorIs(t, err, plugins.ErrNotFound)
		_, err = plugins.GetContext(context.Background(), name, "VolumeDriver")
		require.ErrorIs(t, err, plugins.ErrInvalidName)
	}
	assert.Less(t, time.Since(start), time.Second, "no retry, no file system access")
}

func TestNewStoreWithNilRegistryUsesTheLocalOne(t *testing.T) {
	t.Parallel()
	s := plugins.NewStore(nil)
	_, ok := s.Registry().(*plugins.LocalRegistry)
	assert.True(t, ok)
}

func TestStoreActivateIgnoresInterfaces(t *testing.T) {
	t.Parallel()
	env := pluginstest.New(t)
	fp := env.ServeSpec("net", "NetworkDriver")
	ran := 0
	env.Store().Handle("NetworkDriver", func(string, *plugins.Client) { ran++ })

	p, err := env.Store().Activate(context.Background(), "net")
	require.NoError(t, err)
	assert.Equal(t, []string{"NetworkDriver"}, p.Manifest.Implements)
	assert.Equal(t, 1, ran, "handlers run")

	again, err := env.Store().GetContext(context.Background(), "net", "NetworkDriver")
	require.NoError(t, err)
	assert.Same(t, p, again, "Activate fills the cache")
	assert.Len(t, fp.Calls("Plugin.Activate"), 1)

	_, err = env.Store().Activate(context.Background(), "missing")
	require.ErrorIs(t, err, plugins.ErrNotFound)
	_, err = env.Store().Activate(context.Background(), "../x")
	require.ErrorIs(t, err, plugins.ErrInvalidName)
}

func TestGetContextSaysWhatActivationWasRetrying(t *testing.T) {
	t.Parallel()
	env := pluginstest.New(t)
	env.StaleSocket("stale")
	var seen testkit.Log[plugins.RetryEvent]
	s := plugins.NewStore(env.Registry(), plugins.WithLogger(testkit.QuietLogger()), plugins.WithRetryObserver(seen.Add),
		plugins.WithBackoff(func(int) time.Duration { return 20 * time.Millisecond }))
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := s.GetContext(ctx, "stale", "VolumeDriver")
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.NotEmpty(t, seen.All())
	assert.ErrorContains(t, err, "connection refused", "the cause the activation was retrying")
	assert.ErrorContains(t, err, `"stale"`)
}

func BenchmarkGetCached(b *testing.B) {
	env := pluginstest.New(b)
	env.ServeSocket("vol", "VolumeDriver")
	s := env.Store()
	s.Handle("VolumeDriver", func(string, *plugins.Client) {})
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
