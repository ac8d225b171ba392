package plugins

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-dockerplugins/plugins/internal/testkit"
	"github.com/stretchr/testify/require"
)

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

// request is what a fake plugin received.
type request struct {
	Method           string
	Path             string
	RawQuery         string
	Host             string
	Header           http.Header
	ContentLength    int64
	TransferEncoding []string
	Body             []byte
}

// fakePlugin is an HTTP plugin that activates with its manifest, answers
// other methods with the handlers set on it, and records every request.
type fakePlugin struct {
	implements []string
	mu         sync.Mutex
	handlers   map[string]http.HandlerFunc
	requests   []request
	activated  atomic.Int32
}

func newFakePlugin(implements ...string) *fakePlugin {
	return &fakePlugin{implements: implements, handlers: make(map[string]http.HandlerFunc)}
}

// on sets the handler of a service method, e.g. "/VolumeDriver.Create".
func (p *fakePlugin) on(path string, h http.HandlerFunc) *fakePlugin {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.handlers[path] = h
	return p
}

func (p *fakePlugin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	p.mu.Lock()
	p.requests = append(p.requests, request{
		Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery, Host: r.Host,
		Header: r.Header.Clone(), ContentLength: r.ContentLength,
		TransferEncoding: r.TransferEncoding, Body: body,
	})
	h := p.handlers[r.URL.Path]
	p.mu.Unlock()
	if h != nil {
		h(w, r)
		return
	}
	if r.URL.Path == "/Plugin.Activate" {
		p.activated.Add(1)
		w.Header().Set("Content-Type", "application/vnd.docker.plugins.v1.1+json")
		_ = json.NewEncoder(w).Encode(Manifest{Implements: p.implements})
		return
	}
	http.Error(w, `{"Err":"no such method"}`, http.StatusNotFound)
}

func (p *fakePlugin) Requests() []request {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]request(nil), p.requests...)
}

// serve serves h on l until the test ends; configure, if given, adjusts
// the server before it starts.
func serve(t testing.TB, l net.Listener, h http.Handler, configure ...func(*http.Server)) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	srv.Listener.Close()
	srv.Listener = l
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	for _, c := range configure {
		c(srv.Config)
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

// serveUnix serves h on a UNIX socket at path.
func serveUnix(t testing.TB, path string, h http.Handler, configure ...func(*http.Server)) *httptest.Server {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	l, err := net.Listen("unix", path)
	require.NoError(t, err)
	return serve(t, l, h, configure...)
}

// serveTCP serves h on a loopback TCP port and returns host:port.
func serveTCP(t testing.TB, h http.Handler) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	serve(t, l, h)
	return l.Addr().String()
}

// serveTLS serves h over TLS on a loopback port with cfg and returns host:port.
func serveTLS(t testing.TB, h http.Handler, cfg *tls.Config) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := httptest.NewUnstartedServer(h)
	srv.Listener.Close()
	srv.Listener = l
	srv.TLS = cfg
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return l.Addr().String()
}

func writeFile(t testing.TB, path, content string) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
}

// env is a plugin directory layout of its own: a sockets directory and two
// spec directories, none of the machine's.
type env struct {
	sockets string
	specs   [2]string
}

func newEnv(t testing.TB) env {
	root := testkit.ShortDir(t)
	return env{
		sockets: filepath.Join(root, "s"),
		specs:   [2]string{filepath.Join(root, "e"), filepath.Join(root, "u")},
	}
}

func (e env) registry() *LocalRegistry {
	return NewLocalRegistry(WithSocketsDir(e.sockets), WithSpecsDirs(e.specs[:]...), WithLogger(testkit.QuietLogger()))
}

// store returns a quiet store over the env with a fake clock, so that
// retries cost no time, unless opts say otherwise.
func (e env) store(opts ...StoreOption) *Store {
	return NewStore(e.registry(), append([]StoreOption{WithLogger(testkit.QuietLogger()), withClock(newFakeClock())}, opts...)...)
}

// socket returns the path of NAME.sock in the sockets directory.
func (e env) socket(name string) string { return filepath.Join(e.sockets, name+".sock") }

// retries records the retry events of an observer.
type retries struct {
	mu     sync.Mutex
	events []RetryEvent
}

func (r *retries) observe(ev RetryEvent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, ev)
}

func (r *retries) Events() []RetryEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]RetryEvent(nil), r.events...)
}

func (r *retries) Waits() []time.Duration {
	var out []time.Duration
	for _, ev := range r.Events() {
		out = append(out, ev.Wait)
	}
	return out
}

// heapGrowth runs f and returns how much the allocated heap grew in total
// meanwhile (every allocation counts, freed or not).
func heapGrowth(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// settles reports whether cond holds within a few seconds. It polls in the
// calling goroutine: a condition run by require.Eventually would count,
// among goroutines, the one that runs it.
func settles(cond func() bool) bool {
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return true
		}
	}
	return false
}

// goroutinesSettle reports whether, within a few seconds, no more
// goroutines run than base.
func goroutinesSettle(base int) bool {
	return settles(func() bool { return runtime.NumGoroutine() <= base })
}
