// Package proxy_test checks, in a test binary of its own, that the engine's
// client sends calls to TCP plugins through HTTP_PROXY and this library does
// not. net/http reads the proxy variables once per process: TestMain sets
// them, to a proxy that lives as long as the process, before any call.
package proxy_test

import (
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"

	engine "github.com/docker/docker/pkg/plugins"
	"github.com/docker/go-connections/tlsconfig"
	"github.com/go-dockerplugins/plugins"
	"github.com/go-dockerplugins/plugins/internal/testkit"
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

// take returns the URLs asked for since the last call.
func (s *manifestServer) take() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	urls := s.urls
	s.urls = nil
	return urls
}

// proxy is the HTTP proxy of the whole test binary; it answers every call
// itself, with a manifest that says so.
var proxy = &manifestServer{implements: "proxied"}

func TestMain(m *testing.M) {
	srv := httptest.NewServer(proxy)
	for k, v := range map[string]string{
		"HTTP_PROXY": srv.URL, "http_proxy": srv.URL,
		"NO_PROXY": "", "no_proxy": "", "REQUEST_METHOD": "",
	} {
		if err := os.Setenv(k, v); err != nil {
			panic(err)
		}
	}
	code := m.Run()
	srv.Close()
	os.Exit(code)
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

	proxy.take()

	addr := "tcp://" + l.Addr().String()
	eng, err := engine.NewClient(addr, &tlsconfig.Options{InsecureSkipVerify: true})
	require.NoError(t, err)
	ours, err := plugins.NewClientWithOptions(addr, tlsconfig.Options{},
		plugins.WithCallRetryBudget(0), plugins.WithLogger(testkit.QuietLogger()))
	require.NoError(t, err)

	var engM engine.Manifest
	var ourM plugins.Manifest
	require.NoError(t, eng.Call("Plugin.Activate", nil, &engM))
	require.NoError(t, ours.Call("Plugin.Activate", nil, &ourM))

	assert.Equal(t, []string{"proxied"}, engM.Implements, "the engine went through the proxy")
	assert.Equal(t, []string{"http://" + l.Addr().String() + "/Plugin.Activate"}, proxy.take())
	assert.Equal(t, []string{"direct"}, ourM.Implements, "ours went to the plugin")
	assert.Equal(t, []string{"/Plugin.Activate"}, plugin.take())
}
