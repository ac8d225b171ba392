package engine_test

import (
	"path/filepath"
	"slices"
	"testing"

	engine "github.com/docker/docker/pkg/plugins"
	"github.com/go-dockerplugins/plugins"
	"github.com/go-dockerplugins/plugins/interop/internal/plugintest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Listing: the engine's Scan lists a name once per file it finds, in
// directory order; ours lists each name once, sorted, and only names that a
// lookup can find. For the names both list, both lookups agree.
func TestScanDiffers(t *testing.T) {
	d := plugintest.NewDirs(t)
	socket(t, d.Socket("a"))
	socket(t, filepath.Join(d.Sockets, "b", "b.sock"))
	socket(t, filepath.Join(d.Sockets, "c"))                          // a socket without .sock: no lookup finds it
	file(t, filepath.Join(d.Specs[0], "a.spec"), "tcp://192.0.2.1:1") // shadowed by the socket
	file(t, filepath.Join(d.Specs[0], "d.json"), `{"Addr": "tcp://192.0.2.4:4"}`)
	file(t, filepath.Join(d.Specs[1], "d.spec"), "tcp://192.0.2.99:1") // shadowed by the first directory
	file(t, filepath.Join(d.Specs[0], "e", "e.spec"), "tcp://192.0.2.5:5")
	file(t, filepath.Join(d.Specs[0], ".spec"), "tcp://192.0.2.6:6") // the empty name
	file(t, filepath.Join(d.Specs[1], "f.json"), `{"Addr": "tcp://192.0.2.7:7"}`)
	file(t, filepath.Join(d.Specs[1], "notes.txt"), "not a plugin")
	symlink(t, filepath.Join(d.Specs[1], "gone"), filepath.Join(d.Specs[1], "z.spec")) // leads nowhere

	engineNames, err := engineRegistry(t, d).Scan()
	require.NoError(t, err)
	ourNames, err := d.Registry().Scan()
	require.NoError(t, err)

	// Ours: each name once, sorted.
	assert.Equal(t, []string{"a", "b", "d", "e", "f"}, ourNames)
	// The engine: a name per file, so "a" (socket and spec file) and "d"
	// (in both spec directories) twice; "c" and "z", which no lookup can
	// find; and "" for the file called ".spec".
	assert.ElementsMatch(t, []string{"a", "b", "c", "a", "d", "e", "", "d", "f", "z"}, engineNames)

	for _, name := range ourNames {
		require.True(t, slices.Contains(engineNames, name), "the engine lists %q too", name)
		eng, ours := resolveEngine(t, d, name), resolveOurs(t, d, name)
		require.NoError(t, eng.err, name)
		require.NoError(t, ours.err, name)
		assert.Equal(t, eng.addr, ours.addr, name)
	}
	for _, name := range []string{"c", "z"} {
		assert.ErrorIs(t, resolveEngine(t, d, name).err, engine.ErrNotFound, "the engine lists %q but cannot find it", name)
		assert.ErrorIs(t, resolveOurs(t, d, name).err, plugins.ErrNotFound)
	}
}

// A plugin directory that is a regular file counts as missing in our
// listing, as it does in both lookups (a parent that is not a directory);
// the engine's listing fails.
func TestScanDirectoryIsAFileDiffers(t *testing.T) {
	for i, which := range []string{"sockets", "first spec directory"} {
		t.Run(which, func(t *testing.T) {
			d := plugintest.NewDirs(t)
			file(t, []string{d.Sockets, d.Specs[0]}[i], "not a directory")
			file(t, filepath.Join(d.Specs[1], "q.spec"), "tcp://192.0.2.10:80")

			_, err := engineRegistry(t, d).Scan()
			assert.ErrorContains(t, err, "not a directory", "engine")
			names, err := d.Registry().Scan()
			require.NoError(t, err, "ours")
			assert.Equal(t, []string{"q"}, names, "ours")

			eng, ours := resolveEngine(t, d, "q"), resolveOurs(t, d, "q")
			require.NoError(t, eng.err)
			require.NoError(t, ours.err)
			assert.Equal(t, eng.addr, ours.addr, "lookups agree")
		})
	}
}

// Rootless spec directories: the engine tests the error of
// homedir.GetConfigHome the wrong way round and ends up with
// /etc/docker/plugins; ours uses the user's configuration directory. The
// second directory is the same. Only the environment is read.
func TestRootlessSpecsPathsDiffer(t *testing.T) {
	tests := []struct {
		name, xdg string
		ours0     string
	}{
		{"XDG_CONFIG_HOME set", "/xdg", "/xdg/docker/plugins"},
		{"XDG_CONFIG_HOME unset", "", "/home/u/.config/docker/plugins"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("ROOTLESSKIT_STATE_DIR", "/run/user/1000/dockerd-rootless")
			t.Setenv("HOME", "/home/u")
			t.Setenv("XDG_CONFIG_HOME", tt.xdg)

			assert.Equal(t, []string{"/etc/docker/plugins", "/home/u/.local/lib/docker/plugins"}, engine.SpecsPaths())
			assert.Equal(t, []string{tt.ours0, "/home/u/.local/lib/docker/plugins"}, plugins.SpecsPaths())
		})
	}
}

// Not rootless: both search the same system directories, in the same order.
func TestSpecsPathsAgree(t *testing.T) {
	t.Setenv("ROOTLESSKIT_STATE_DIR", "")
	want := []string{"/etc/docker/plugins", "/usr/lib/docker/plugins"}
	assert.Equal(t, want, engine.SpecsPaths())
	assert.Equal(t, want, plugins.SpecsPaths())
}
