package plugins

import (
	"net/http"
	"path/filepath"
	"testing"

	"github.com/docker/go-connections/tlsconfig"
	"github.com/go-dockerplugins/plugins/internal/testkit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// URL schemes are case-insensitive, and the engine's client lowers them, so
// spec files written "TCP://host:port" or "UNIX:///path" work with it: they
// must reach the plugin here too, with the transport their scheme names.
func TestAddressSchemeIsCaseInsensitive(t *testing.T) {
	dir := testkit.ShortDir(t)
	pki := testkit.NewCA(t, dir)
	h := newFakePlugin("VolumeDriver")
	sock := filepath.Join(dir, "p.sock")
	serveUnix(t, sock, h)
	tcp := serveTCP(t, h)
	tlsAddr := serveTLS(t, h, pki.ServerConfig())

	for _, addr := range []string{
		"UNIX://" + sock,
		"Unix://" + sock,
		"TCP://" + tcp,
		"HTTP://" + tcp,
		"HTTPS://" + tlsAddr,
	} {
		t.Run(addr, func(t *testing.T) {
			c := testClient(t, addr, tlsconfig.Options{CAFile: pki.File()})
			var m Manifest
			require.NoError(t, c.Call("Plugin.Activate", nil, &m))
			assert.Equal(t, []string{"VolumeDriver"}, m.Implements)
		})
	}

	// An upper-case HTTPS still means TLS: plain HTTP to a TLS port fails.
	c := testClient(t, "HTTP://"+tlsAddr, tlsconfig.Options{}, WithCallRetryBudget(0))
	err := c.Call("Plugin.Activate", nil, nil)
	var se *StatusError
	require.ErrorAs(t, err, &se, "a TLS server answers plain HTTP with 400")
	assert.Equal(t, http.StatusBadRequest, se.StatusCode)
}

func TestSpecFileSchemeIsCaseInsensitive(t *testing.T) {
	e := newEnv(t)
	writeFile(t, filepath.Join(e.specs[0], "up.spec"), "TCP://192.0.2.10:8080")
	writeFile(t, filepath.Join(e.specs[0], "mixed.json"), `{"Addr": "Https://192.0.2.10:2376"}`)
	for name, want := range map[string]string{"up": "TCP://192.0.2.10:8080", "mixed": "Https://192.0.2.10:2376"} {
		p, err := e.registry().Plugin(name)
		require.NoError(t, err, name)
		assert.Equal(t, want, p.Addr, "the address is kept as written")
	}
}
