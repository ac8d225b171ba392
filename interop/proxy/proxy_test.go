// Package proxy_test checks, in a test binary of its own, that the engine's
// client sends calls to TCP plugins through HTTP_PROXY and this library does
// not: net/http reads the proxy variables once per process, so no other
// test may make a call before this one sets them.
package proxy_test

import (
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	engine "github.com/docker/docker/pkg/plugins"
	"github.com/docker/go-connections/tlsconfig"
	"github.com/go-dockerplugins/plugins"
	"github.com/go-dockerplugins/plugins/interop/internal/plugintest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// manifestServer answers every call with a manifest that names it, and
// records the URLs it was asked for.
type manifestServer struct {
	implements string
	mu         sync.Mutex
	urls       []string
}

func (s *manifestServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.urls = append(s.urls, r.URL.String())
	s.mu.Unlock()
	w.Write([]byte(`{"Implements":["` + s.implements + `"]}`))
}

func (s *manifestServer) URLs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.urls...)
}

// nonLoopbackIP returns an address of this machine that is not loopback:
// net/http never proxies loopback addresses.
func nonLoopbackIP(t *testing.T) net.IP {
	addrs, err := net.InterfaceAddrs()
	require.NoError(t, err)
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && !n.IP.IsLoopback() {
			return n.IP
		}
	}
	t.Skip("no non-loopback IPv4 address to serve a plugin on")
	return nil
}

func TestProxyDiffers(t *testing.T) {
	plugin := &manifestServer{implements: "direct"}
	l, err := net.Listen("tcp", net.JoinHostPort(nonLoopbackIP(t).String(), "0"))
	require.NoError(t, err)
	srv := httptest.NewUnstartedServer(plugin)
	srv.Listener.Close()
	srv.Listener = l
	srv.Start()
	t.Cleanup(srv.Close)

	proxy := &manifestServer{implements: "proxied"}
	proxySrv := httptest.NewServer(proxy)
	t.Cleanup(proxySrv.Close)
	for _, v := range []string{"HTTP_PROXY", "http_proxy"} {
		t.Setenv(v, proxySrv.URL)
	}
	for _, v := range []string{"NO_PROXY", "no_proxy", "REQUEST_METHOD"} {
		t.Setenv(v, "")
	}

	addr := "tcp://" + l.Addr().String()
	eng, err := engine.NewClient(addr, &tlsconfig.Options{InsecureSkipVerify: true})
	require.NoError(t, err)
	ours, err := plugins.NewClientWithOptions(addr, tlsconfig.Options{},
		plugins.WithCallRetryBudget(0), plugins.WithLogger(plugintest.QuietLogger()))
	require.NoError(t, err)

	var engM engine.Manifest
	var ourM plugins.Manifest
	require.NoError(t, eng.Call("Plugin.Activate", nil, &engM))
	require.NoError(t, ours.Call("Plugin.Activate", nil, &ourM))

	assert.Equal(t, []string{"proxied"}, engM.Implements, "the engine went through the proxy")
	assert.Equal(t, []string{"http://" + l.Addr().String() + "/Plugin.Activate"}, proxy.URLs())
	assert.Equal(t, []string{"direct"}, ourM.Implements, "ours went to the plugin")
	assert.Equal(t, []string{"/Plugin.Activate"}, plugin.URLs())
}
