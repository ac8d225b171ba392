package engine_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	engine "github.com/docker/docker/pkg/plugins"
	"github.com/go-dockerplugins/plugins"
	"github.com/go-dockerplugins/plugins/interop/internal/plugintest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Where this library deliberately resolves a name differently from the
// engine. Each case says why; each is in the README's list of differences.
func TestDiscoveryDiffers(t *testing.T) {
	type dirs = plugintest.Dirs
	tests := []struct {
		name   string
		layout layout
		plugin string
		// engineAddr is what the engine resolves the plugin to.
		engineAddr func(d dirs) string
		// oursErr is what our error must match.
		oursErr error
		// oursText is text our error must contain.
		oursText string
	}{
		{
			// Names are validated: "../x" must not reach a socket outside
			// the sockets directory, as it does in the engine.
			name:       "name with a path separator",
			layout:     func(t *testing.T, d dirs) { socket(t, filepath.Join(filepath.Dir(d.Sockets), "x.sock")) },
			plugin:     "../x",
			engineAddr: func(d dirs) string { return "unix://" + filepath.Join(filepath.Dir(d.Sockets), "x.sock") },
			oursErr:    plugins.ErrInvalidName,
		},
		{
			// Names are validated: the engine's registry resolves the empty
			// name to a socket called ".sock" (only its Get refuses "").
			name:       "empty name",
			layout:     func(t *testing.T, d dirs) { socket(t, filepath.Join(d.Sockets, ".sock")) },
			plugin:     "",
			engineAddr: func(d dirs) string { return "unix://" + filepath.Join(d.Sockets, ".sock") },
			oursErr:    plugins.ErrInvalidName,
		},
		{
			// Names are validated: "." is no file name of its own.
			name:       "name dot",
			layout:     func(t *testing.T, d dirs) { socket(t, filepath.Join(d.Sockets, "..sock")) },
			plugin:     ".",
			engineAddr: func(d dirs) string { return "unix://" + filepath.Join(d.Sockets, "..sock") },
			oursErr:    plugins.ErrInvalidName,
		},
		{
			// Names are validated: a control character could forge log lines
			// and error messages.
			name:       "name with a control character",
			layout:     func(t *testing.T, d dirs) { file(t, filepath.Join(d.Specs[0], "p\tq.spec"), "tcp://192.0.2.10:80") },
			plugin:     "p\tq",
			engineAddr: func(dirs) string { return "tcp://192.0.2.10:80" },
			oursErr:    plugins.ErrInvalidName,
		},
		{
			// Unknown schemes are refused when the spec file is read: the
			// engine accepts any scheme and then dials it as TCP.
			name:       "unknown scheme",
			plugin:     "p",
			layout:     func(t *testing.T, d dirs) { file(t, filepath.Join(d.Specs[0], "p.spec"), "ftp://192.0.2.10:21") },
			engineAddr: func(dirs) string { return "ftp://192.0.2.10:21" },
			oursText:   "Unknown protocol",
		},
		{
			// url.Parse reads "localhost:8080" as scheme "localhost": the
			// engine accepts it (and would dial plugin.moby.localhost:80).
			name:       "host and port without a scheme",
			plugin:     "p",
			layout:     func(t *testing.T, d dirs) { file(t, filepath.Join(d.Specs[0], "p.spec"), "localhost:8080") },
			engineAddr: func(dirs) string { return "localhost:8080" },
			oursText:   "Unknown protocol",
		},
		{
			// A .json without an address describes nothing to dial.
			name:       ".json without Addr",
			plugin:     "p",
			layout:     func(t *testing.T, d dirs) { file(t, filepath.Join(d.Specs[0], "p.json"), `{"Name": "p"}`) },
			engineAddr: func(dirs) string { return "" },
			oursText:   "Unknown protocol",
		},
		{
			name:       "file scheme",
			plugin:     "p",
			layout:     func(t *testing.T, d dirs) { file(t, filepath.Join(d.Specs[0], "p.spec"), "file:///run/p.sock") },
			engineAddr: func(dirs) string { return "file:///run/p.sock" },
			oursText:   "Unknown protocol",
		},
		{
			// A relative socket path would depend on the working directory.
			name:       "relative unix socket path",
			plugin:     "p",
			layout:     func(t *testing.T, d dirs) { file(t, filepath.Join(d.Specs[0], "p.spec"), "unix://p.sock") },
			engineAddr: func(dirs) string { return "unix://p.sock" },
			oursText:   "must be absolute",
		},
		{
			// A TCP address without a port can never be dialled.
			name:   "tcp address without a port",
			plugin: "p",
			layout: func(t *testing.T, d dirs) {
				file(t, filepath.Join(d.Specs[0], "p.json"), `{"Addr": "tcp://192.0.2.10"}`)
			},
			engineAddr: func(dirs) string { return "tcp://192.0.2.10" },
			oursText:   "want host:port",
		},
		{
			// A spec file holds one URL: anything over 64 KiB is not one.
			name:   "spec file over 64 KiB",
			plugin: "p",
			layout: func(t *testing.T, d dirs) {
				file(t, filepath.Join(d.Specs[0], "p.spec"), "tcp://192.0.2.10:80"+strings.Repeat(" ", 64<<10))
			},
			engineAddr: func(dirs) string { return "tcp://192.0.2.10:80" },
			oursText:   "larger than 65536 bytes",
		},
		{
			// A symbolic link loop is a broken installation, reported as an
			// error; the engine treats it as missing and goes on searching.
			name:   "symbolic link loop",
			plugin: "p",
			layout: func(t *testing.T, d dirs) {
				symlink(t, filepath.Join(d.Specs[0], "p.spec"), filepath.Join(d.Specs[0], "p.spec"))
				file(t, filepath.Join(d.Specs[1], "p.spec"), "tcp://192.0.2.10:80")
			},
			engineAddr: func(dirs) string { return "tcp://192.0.2.10:80" },
			oursText:   "too many levels of symbolic links",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := plugintest.NewDirs(t)
			tt.layout(t, d)
			eng := resolveEngine(t, d, tt.plugin)
			require.NoError(t, eng.err, "engine")
			assert.Equal(t, tt.engineAddr(d), eng.addr, "engine")

			ours := resolveOurs(t, d, tt.plugin)
			require.Error(t, ours.err, "ours")
			if tt.oursErr != nil {
				assert.ErrorIs(t, ours.err, tt.oursErr, "ours")
			} else {
				// An unusable spec file is reported at once, not retried as missing.
				assert.False(t, errors.Is(ours.err, plugins.ErrNotFound), "ours: %v", ours.err)
			}
			if tt.oursText != "" {
				assert.Contains(t, ours.err.Error(), tt.oursText, "ours")
			}
		})
	}
}

// Get with the empty name: the engine refuses it before any lookup with an
// error of its own; ours refuses it as an invalid name, which is also "not
// found". (The engine's Get is safe to call here only because it returns
// before searching the machine's plugin directories.)
func TestGetEmptyNameDiffers(t *testing.T) {
	_, engErr := engine.Get("", "VolumeDriver")
	require.EqualError(t, engErr, "Unable to find plugin without name")
	assert.False(t, errors.Is(engErr, engine.ErrNotFound))

	_, ourErr := plugintest.NewDirs(t).Store().Get("", "VolumeDriver")
	assert.ErrorIs(t, ourErr, plugins.ErrInvalidName)
	assert.ErrorIs(t, ourErr, plugins.ErrNotFound)
}
