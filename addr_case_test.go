package plugins_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/docker/go-connections/tlsconfig"
	"github.com/go-dockerplugins/plugins"
	"github.com/go-dockerplugins/plugins/pluginstest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// URL schemes are case-insensitive, and the engine's client lowers them, so
// spec files written "TCP://host:port" or "UNIX:///path" work with it: they
// must reach the plugin here too, with the transport their scheme names.
func TestAddressSchemeIsCaseInsensitive(t *testing.T) {
	t.Parallel()
	env := pluginstest.New(t)
	sock := strings.TrimPrefix(env.ServeSocket("unix", "VolumeDriver").Addr(), "unix://")
	tcp := strings.TrimPrefix(env.ServeSpec("tcp", "VolumeDriver").Addr(), "tcp://")
	tlsAddr := strings.TrimPrefix(env.ServeJSON("tls", "VolumeDriver").Addr(), "https://")

	for _, addr := range []string{
		"UNIX://" + sock,
		"Unix://" + sock,
		"TCP://" + tcp,
		"HTTP://" + tcp,
		"HTTPS://" + tlsAddr,
	} {
		t.Run(addr, func(t *testing.T) {
			c := newClient(t, addr, tlsconfig.Options{CAFile: env.CAFile()})
			var m plugins.Manifest
			require.NoError(t, c.Call("Plugin.Activate", nil, &m))
			assert.Equal(t, []string{"VolumeDriver"}, m.Implements)
		})
	}

	// An upper-case HTTPS still means TLS: plain HTTP to a TLS port fails.
	c := newClient(t, "HTTP://"+tlsAddr, tlsconfig.Options{}, plugins.WithCallRetryBudget(0))
	err := c.Call("Plugin.Activate", nil, nil)
	var se *plugins.StatusError
	require.ErrorAs(t, err, &se, "a TLS server answers plain HTTP with 400")
	assert.Equal(t, http.StatusBadRequest, se.StatusCode)
}

func TestSpecFileSchemeIsCaseInsensitive(t *testing.T) {
	t.Parallel()
	env := pluginstest.New(t)
	env.WriteSpecFile("up.spec", "TCP://192.0.2.10:8080")
	env.WriteSpecFile("mixed.json", `{"Addr": "Https://192.0.2.10:2376"}`)
	for name, want := range map[string]string{"up": "TCP://192.0.2.10:8080", "mixed": "Https://192.0.2.10:2376"} {
		p, err := env.Registry().Plugin(name)
		require.NoError(t, err, name)
		assert.Equal(t, want, p.Addr, "the address is kept as written")
	}
}
