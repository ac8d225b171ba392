package engine_test

import (
	"path/filepath"
	"testing"

	engine "github.com/docker/docker/pkg/plugins"
	"github.com/go-dockerplugins/plugins"
	"github.com/go-dockerplugins/plugins/interop/internal/plugintest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A socket whose name holds '#', '?' or '%': both registries find it at the
// same address, but the engine's client parses "unix://..." as a URL and
// dials another path (before the '#' or '?', or percent-decoded). Ours takes
// the path literally. A decoy plugin listens where the engine goes, so that
// no client waits on a missing socket.
func TestSocketPathTakenLiterally(t *testing.T) {
	tests := []struct {
		name, plugin, engineDials string
	}{
		{"fragment", "p#x", "p"},
		{"query", "q?x", "q"},
		{"percent escape", "a%41", "aA.sock"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := plugintest.NewDirs(t)
			serveRecorder(t, plugintest.ListenUnix(t, d.Socket(tt.plugin)), ok(`{"Implements":["VolumeDriver"]}`))
			serveRecorder(t, plugintest.ListenUnix(t, filepath.Join(d.Sockets, tt.engineDials)), ok(`{"Implements":["decoy"]}`))

			eng, ours := resolveEngine(t, d, tt.plugin), resolveOurs(t, d, tt.plugin)
			require.NoError(t, eng.err)
			require.NoError(t, ours.err)
			require.Equal(t, "unix://"+d.Socket(tt.plugin), eng.addr)
			require.Equal(t, eng.addr, ours.addr, "the same address")

			engClient, ourClient := clients(t, eng.addr)
			var engM engine.Manifest
			var ourM plugins.Manifest
			require.NoError(t, engClient.Call("Plugin.Activate", nil, &engM))
			require.NoError(t, ourClient.Call("Plugin.Activate", nil, &ourM))
			assert.Equal(t, []string{"decoy"}, engM.Implements, "the engine reached another socket")
			assert.Equal(t, []string{"VolumeDriver"}, ourM.Implements)
		})
	}
}
