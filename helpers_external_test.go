package plugins_test

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/docker/go-connections/tlsconfig"
	"github.com/go-dockerplugins/plugins"
	"github.com/go-dockerplugins/plugins/internal/testkit"
	"github.com/go-dockerplugins/plugins/pluginstest"
	"github.com/stretchr/testify/require"
)

// Helpers of the tests of the public API (package plugins_test). Plugins
// come from pluginstest, or internal/testkit where a test needs a server
// of its own making; helpers_test.go holds those of the internal tests.

// errorBound is how much of an error answer's message a StatusError keeps,
// as in the engine: 64 KiB.
const errorBound = 64 << 10

// newClient returns a client of addr with the client options of
// pluginstest's store: quiet, retrying after 10ms, doubling up to 100ms,
// within 1s.
func newClient(t testing.TB, addr string, tlsOpts tlsconfig.Options, opts ...plugins.Option) *plugins.Client {
	t.Helper()
	var all []plugins.Option
	for _, o := range pluginstest.Options() {
		if co, ok := o.(plugins.Option); ok {
			all = append(all, co)
		}
	}
	c, err := plugins.NewClientWithOptions(addr, tlsOpts, append(all, opts...)...)
	require.NoError(t, err)
	t.Cleanup(c.CloseIdleConnections)
	return c
}

// echoArgs is what the tests send to an echo method (testkit.Echo).
type echoArgs struct {
	Name string
	N    int
}

// port returns the port of a plugin's tcp:// or https:// address.
func port(addr string) string {
	u, err := url.Parse(addr)
	if err != nil {
		panic(err)
	}
	return u.Port()
}

// countingRegistry counts the lookups (Plugin) and listings (Plugins) a
// store makes; Scan is LocalRegistry's, so GetAll lists names as usual.
type countingRegistry struct {
	*plugins.LocalRegistry
	lookups, listings atomic.Int32
}

func (r *countingRegistry) Plugin(name string) (*plugins.Plugin, error) {
	r.lookups.Add(1)
	return r.LocalRegistry.Plugin(name)
}

func (r *countingRegistry) Plugins() ([]*plugins.Plugin, error) {
	r.listings.Add(1)
	return r.LocalRegistry.Plugins()
}

// heapGrowth runs f and returns how much the allocated heap grew in total
// meanwhile (every allocation counts, freed or not). Its callers must not
// run in parallel: other tests' allocations would count.
func heapGrowth(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// echo is testkit.Echo as a handler, for pluginstest's Handle.
var echo = http.HandlerFunc(testkit.Echo)

// writeFile writes content to path, creating its directory; env.WriteSpecFile
// writes in the spec directory only.
func writeFile(t testing.TB, path, content string) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
}
