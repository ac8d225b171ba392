package bench

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	engine "github.com/docker/docker/pkg/plugins"
	"github.com/go-dockerplugins/plugins"
	"github.com/sirupsen/logrus"
)

// specDir writes n spec files (p00000.spec, ...) leading to the benchmark
// plugin into a directory of its own, points the engine's registry at it
// (through $HOME, see TestMain) and returns it.
func specDir(b *testing.B, key string, n int) string {
	home := filepath.Join(serverDir, "home-"+key)
	dir := filepath.Join(home, ".local", "lib", "docker", "plugins")
	if _, err := os.Stat(dir); err != nil {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			b.Fatal(err)
		}
		addr := []byte("unix://" + httpSocket() + "\n")
		for i := 0; i < n; i++ {
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("p%05d.spec", i)), addr, 0o644); err != nil {
				b.Fatal(err)
			}
		}
	}
	os.Setenv("HOME", home)
	return dir
}

// libRegistry is this module's registry over the same directories as the
// engine's: no sockets directory on the machine, and dir.
func libRegistry(dir string) *plugins.LocalRegistry {
	return plugins.NewLocalRegistry(plugins.WithSocketsDir(filepath.Join(serverDir, "no-sockets")),
		plugins.WithSpecsDirs(dir), plugins.WithLogger(quietLogger()))
}

func quietLogger() *logrus.Logger {
	l := logrus.New()
	l.SetOutput(io.Discard)
	return l
}

var sizes = []int{1000, 10000}

// BenchmarkScan lists the names of n plugins.
func BenchmarkScan(b *testing.B) {
	for _, n := range sizes {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			key := fmt.Sprint(n)
			b.Run("client=engine", func(b *testing.B) {
				specDir(b, key, n)
				reg := engine.NewLocalRegistry()
				benchList(b, n, reg.Scan)
			})
			b.Run("client=lib", func(b *testing.B) {
				benchList(b, n, libRegistry(specDir(b, key, n)).Scan)
			})
			b.Run("client=raw", func(b *testing.B) {
				dir := specDir(b, key, n)
				benchList(b, n, func() ([]os.DirEntry, error) { return os.ReadDir(dir) })
			})
		})
	}
}

// BenchmarkPlugins lists n plugins with their addresses: Plugins here, and
// what the engine does for each plugin it loads, Scan then Plugin(name).
func BenchmarkPlugins(b *testing.B) {
	for _, n := range sizes {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			key := fmt.Sprint(n)
			b.Run("client=engine", func(b *testing.B) {
				specDir(b, key, n)
				reg := engine.NewLocalRegistry()
				benchList(b, n, func() ([]*engine.Plugin, error) {
					names, err := reg.Scan()
					if err != nil {
						return nil, err
					}
					out := make([]*engine.Plugin, 0, len(names))
					for _, name := range names {
						p, err := reg.Plugin(name)
						if err != nil {
							return nil, err
						}
						out = append(out, p)
					}
					return out, nil
				})
			})
			b.Run("client=lib", func(b *testing.B) {
				benchList(b, n, libRegistry(specDir(b, key, n)).Plugins)
			})
		})
	}
}

// BenchmarkGetAll lists n activated plugins that implement an interface.
func BenchmarkGetAll(b *testing.B) {
	const n = 1000
	key := "getall"
	b.Run(fmt.Sprintf("n=%d/client=engine", n), func(b *testing.B) {
		specDir(b, key, n)
		reg := engine.NewLocalRegistry()
		benchList(b, n, func() ([]*engine.Plugin, error) { return reg.GetAll("VolumeDriver") })
	})
	b.Run(fmt.Sprintf("n=%d/client=lib", n), func(b *testing.B) {
		s := libStore(b, key, n)
		benchList(b, n, func() ([]*plugins.Plugin, error) { return s.GetAll("VolumeDriver") })
	})
}

var (
	storesMu sync.Mutex
	stores   = make(map[string]*plugins.Store)
)

// libStore returns the store over specDir(key, n), one per process as the
// engine's plugins are: a store per run would activate (and connect) every
// plugin again. The GetAll timeout is long because the first GetAll
// activates all the plugins at once.
func libStore(b *testing.B, key string, n int) *plugins.Store {
	storesMu.Lock()
	defer storesMu.Unlock()
	dir := specDir(b, key, n)
	if s := stores[key]; s != nil {
		return s
	}
	s := plugins.NewStore(libRegistry(dir), plugins.WithGetAllTimeout(time.Minute), plugins.WithLogger(quietLogger()))
	stores[key] = s
	return s
}

// benchList runs list, after a first run that must find n items.
func benchList[T any](b *testing.B, n int, list func() ([]T, error)) {
	got, err := list()
	if err != nil {
		b.Fatal(err)
	}
	if len(got) != n {
		b.Fatalf("listed %d, want %d", len(got), n)
	}
	done := measureCPU(b)
	for i := 0; i < b.N; i++ {
		if _, err := list(); err != nil {
			b.Fatal(err)
		}
	}
	done()
}

// BenchmarkGetCached gets an activated plugin, from one goroutine and from
// as many as there are processors; the raw baseline is a sync.Map lookup.
func BenchmarkGetCached(b *testing.B) {
	const name = "p00000"
	s := libStore(b, "get", 1) // p00000
	var m sync.Map
	m.Store(name, &plugins.Plugin{})
	gets := []struct {
		name string
		get  func() error
	}{
		{"engine", func() error { _, err := engine.Get(name, "VolumeDriver"); return err }},
		{"lib", func() error { _, err := s.Get(name, "VolumeDriver"); return err }},
		{"raw", func() error {
			if _, ok := m.Load(name); !ok {
				return os.ErrNotExist
			}
			return nil
		}},
	}
	for _, mode := range []string{"serial", "parallel"} {
		for _, g := range gets {
			b.Run(mode+"/client="+g.name, func(b *testing.B) {
				if err := g.get(); err != nil {
					b.Fatal(err)
				}
				done := measureCPU(b)
				if mode == "serial" {
					for i := 0; i < b.N; i++ {
						if err := g.get(); err != nil {
							b.Fatal(err)
						}
					}
				} else {
					b.RunParallel(func(pb *testing.PB) {
						for pb.Next() {
							if err := g.get(); err != nil {
								b.Error(err)
								return
							}
						}
					})
				}
				done()
			})
		}
	}
}
