package pluginstest

import (
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/go-dockerplugins/plugins"
	"github.com/go-dockerplugins/plugins/internal/testkit"
)

// TB is the part of testing.TB that an Env uses: *testing.T, *testing.B and
// *testing.F satisfy it, and a program can supply its own. Fatalf must not
// return.
type TB interface {
	Helper()
	Cleanup(func())
	Fatalf(format string, args ...any)
}

// Env is a temporary plugin environment: a sockets directory, a spec
// directory and a store bound to them. Its directories have short paths,
// since a UNIX socket path is limited to about 100 bytes.
type Env struct {
	t        TB
	root     string
	sockets  string
	specs    string
	registry *plugins.LocalRegistry
	opts     []plugins.StoreOption
	store    *plugins.Store

	caMu sync.Mutex
	ca   *CA
}

// Options returns the options of an Env's store, before those given to New:
// a discarding logger, retries after 10ms doubling up to 100ms, a call retry
// budget of 1s and no lookup retries (a missing plugin is reported at once).
func Options() []plugins.StoreOption {
	return []plugins.StoreOption{
		plugins.WithLogger(testkit.QuietLogger()),
		plugins.WithBackoff(plugins.ExponentialBackoff(10*time.Millisecond, 100*time.Millisecond)),
		plugins.WithCallRetryBudget(time.Second),
		plugins.WithLookupRetryBudget(0),
	}
}

// New returns an empty plugin environment whose store is configured by
// Options() then opts. Its directories and plugins are removed by t.Cleanup.
func New(t TB, opts ...plugins.StoreOption) *Env {
	t.Helper()
	root := testkit.ShortDir(t)
	e := &Env{
		t:       t,
		root:    root,
		sockets: filepath.Join(root, "run"),
		specs:   filepath.Join(root, "etc"),
	}
	for _, dir := range []string{e.sockets, e.specs} {
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatalf("pluginstest: %v", err)
		}
	}
	e.registry = plugins.NewLocalRegistry(
		plugins.WithSocketsDir(e.sockets),
		plugins.WithSpecsDirs(e.specs),
		plugins.WithLogger(testkit.QuietLogger()),
	)
	e.opts = append(Options(), opts...)
	e.store = plugins.NewStore(e.registry, e.opts...)
	return e
}

// SocketsDir returns the directory searched for NAME.sock.
func (e *Env) SocketsDir() string { return e.sockets }

// SpecsDir returns the directory searched for NAME.spec and NAME.json.
func (e *Env) SpecsDir() string { return e.specs }

// Registry returns a registry over the environment's directories.
func (e *Env) Registry() *plugins.LocalRegistry { return e.registry }

// Store returns the environment's store.
func (e *Env) Store() *plugins.Store { return e.store }

// NewStore returns a new store over the environment's directories,
// configured by the environment's options then opts: to add a retry
// observer, say, or to start from an empty cache.
func (e *Env) NewStore(opts ...plugins.StoreOption) *plugins.Store {
	all := append(append([]plugins.StoreOption(nil), e.opts...), opts...)
	return plugins.NewStore(e.registry, all...)
}

// WriteSpecFile writes content to file, relative to the spec directory
// (e.g. "bad.spec" or "x/x.json"), and returns its path: for plugins
// described by hand or spec files that are broken on purpose.
func (e *Env) WriteSpecFile(file, content string) string {
	e.t.Helper()
	path := filepath.Join(e.specs, file)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		e.t.Fatalf("pluginstest: %v", err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		e.t.Fatalf("pluginstest: %v", err)
	}
	return path
}

// StaleSocket leaves NAME.sock in the sockets directory with nothing
// listening on it, as a crashed plugin does, and returns its path.
func (e *Env) StaleSocket(name string) string {
	e.t.Helper()
	path := filepath.Join(e.sockets, name+".sock")
	testkit.StaleSocket(e.t, path)
	return path
}

// CA returns the certificate authority that signs the certificates of the
// plugins served by ServeJSON, creating it if needed: to serve a plugin
// with a certificate of your own, or to give a client a certificate.
func (e *Env) CA() *CA {
	e.t.Helper()
	e.caMu.Lock()
	defer e.caMu.Unlock()
	if e.ca == nil {
		e.ca = NewCA(e.t, filepath.Join(e.root, "tls"))
	}
	return e.ca
}

// CAFile returns the PEM file of the environment's certificate authority
// (see CA), as the spec files of ServeJSON name it.
func (e *Env) CAFile() string {
	e.t.Helper()
	return e.CA().File()
}
