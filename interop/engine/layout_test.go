package engine_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/docker/go-connections/tlsconfig"
	"github.com/go-dockerplugins/plugins/interop/internal/plugintest"
	"github.com/stretchr/testify/require"
)

// layout builds plugin files in a test's directories.
type layout func(t *testing.T, d plugintest.Dirs)

// socket makes a listening UNIX socket at path, for as long as the test runs.
func socket(t *testing.T, path string) { plugintest.ListenUnix(t, path) }

func file(t *testing.T, path, content string) { plugintest.WriteFile(t, path, content) }

func symlink(t *testing.T, target, path string) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.Symlink(target, path))
}

func mkdir(t *testing.T, path string) { require.NoError(t, os.MkdirAll(path, 0o755)) }

// resolution is what a registry made of a plugin name.
type resolution struct {
	addr string
	tls  tlsconfig.Options
	err  error
}

// resolveEngine looks name up with the engine's registry. The engine's
// TLSConfig is a pointer and ours a value: a nil pointer means "no TLS
// options", the same as our zero value, so nil becomes the zero value.
func resolveEngine(t *testing.T, d plugintest.Dirs, name string) resolution {
	t.Helper()
	p, err := engineRegistry(t, d).Plugin(name)
	if err != nil {
		return resolution{err: err}
	}
	require.Equal(t, name, p.Name(), "the engine names a plugin after its file")
	r := resolution{addr: p.Addr}
	if p.TLSConfig != nil {
		r.tls = *p.TLSConfig
	}
	return r
}

func resolveOurs(t *testing.T, d plugintest.Dirs, name string) resolution {
	t.Helper()
	p, err := d.Registry().Plugin(name)
	if err != nil {
		return resolution{err: err}
	}
	require.Equal(t, name, p.Name, "a plugin is named after its file")
	return resolution{addr: p.Addr, tls: p.TLSConfig}
}
