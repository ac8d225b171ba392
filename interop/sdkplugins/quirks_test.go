package sdkplugins_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/docker/go-plugins-helpers/authorization"
	"github.com/docker/go-plugins-helpers/ipam"
	"github.com/docker/go-plugins-helpers/network"
	"github.com/docker/go-plugins-helpers/sdk"
	"github.com/docker/go-plugins-helpers/volume"
	"github.com/go-dockerplugins/plugins"
	"github.com/go-dockerplugins/plugins/interop/internal/plugintest"
	"github.com/go-dockerplugins/plugins/interop/internal/sdkfake"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The SDK answers with its own v1.1 media type, not the v1.2 that clients
// ask for: the answer must still be decoded.
func TestSDKContentType(t *testing.T) {
	d := plugintest.NewDirs(t)
	plugintest.Serve(t, volume.NewHandler(sdkfake.NewMemVolumes("/v", "global")), plugintest.ListenUnix(t, d.Socket("ct")))

	// The premise, checked with a plain HTTP client: the SDK does send v1.1.
	raw := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", d.Socket("ct"))
	}}}
	for _, path := range []string{"/Plugin.Activate", "/VolumeDriver.Capabilities"} {
		resp, err := raw.Post("http://sdk"+path, "", nil)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, sdk.DefaultContentTypeV1_1, resp.Header.Get("Content-Type"), path)
	}
	raw.CloseIdleConnections()

	p, err := d.Store().Get("ct", "VolumeDriver")
	require.NoError(t, err)
	var caps volume.CapabilitiesResponse
	require.NoError(t, p.Client.Call("VolumeDriver.Capabilities", nil, &caps))
	assert.Equal(t, "global", caps.Capabilities.Scope)
}

// The SDK answers a request body it cannot decode with http.Error: status
// 400 and the decoder's message as plain text, newline included. That text
// is the error message, as in the engine.
func TestSDKBadRequestBody(t *testing.T) {
	d := plugintest.NewDirs(t)
	plugintest.Serve(t, volume.NewHandler(sdkfake.NewMemVolumes("/v", "global")), plugintest.ListenUnix(t, d.Socket("vol")))
	plugintest.Serve(t, ipam.NewHandler(newMemIPAM()), plugintest.ListenUnix(t, d.Socket("ipam")))
	plugintest.Serve(t, network.NewHandler(newMemNetworks()), plugintest.ListenUnix(t, d.Socket("net")))
	store := d.Store()

	tests := []struct {
		name, plugin, iface, method string
		send                        func(c *plugins.Client, method string) error
		want                        string
	}{
		{
			name: "arguments of the wrong type", plugin: "vol", iface: "VolumeDriver", method: "VolumeDriver.Create",
			send: func(c *plugins.Client, m string) error { return c.Call(m, "data", nil) },
			want: "VolumeDriver.Create: json: cannot unmarshal string into Go value of type volume.CreateRequest\n",
		},
		{
			name: "no arguments: empty body", plugin: "vol", iface: "VolumeDriver", method: "VolumeDriver.Mount",
			send: func(c *plugins.Client, m string) error { return c.Call(m, nil, nil) },
			want: "VolumeDriver.Mount: EOF\n",
		},
		{
			name: "truncated JSON", plugin: "ipam", iface: "IpamDriver", method: "IpamDriver.RequestPool",
			send: func(c *plugins.Client, m string) error { return c.SendFile(m, strings.NewReader(`{"Pool": "10.`), nil) },
			want: "IpamDriver.RequestPool: unexpected EOF\n",
		},
		{
			name: "field of the wrong type", plugin: "net", iface: "NetworkDriver", method: "NetworkDriver.Join",
			send: func(c *plugins.Client, m string) error { return c.Call(m, map[string]int{"NetworkID": 7}, nil) },
			want: "NetworkDriver.Join: json: cannot unmarshal number into Go struct field JoinRequest.NetworkID of type string\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := store.Get(tt.plugin, tt.iface)
			require.NoError(t, err)
			err = tt.send(p.Client, tt.method)
			require.EqualError(t, err, tt.want)
			var se *plugins.StatusError
			require.True(t, errors.As(err, &se))
			assert.Equal(t, http.StatusBadRequest, se.StatusCode)
			assert.False(t, plugins.IsNotFound(err))
		})
	}
}

// The SDK's authorization handler does not stop after its 400: it goes on
// with an empty request and appends the plugin's JSON answer to the text.
// The client must report the whole body, not mistake it for a JSON error.
func TestSDKAuthorizationBadBody(t *testing.T) {
	d := plugintest.NewDirs(t)
	h := authorization.NewHandler(readOnlyAuthz{})
	plugintest.Serve(t, h, plugintest.ListenUnix(t, d.Socket("authz")))
	p, err := d.Store().Get("authz", authorization.AuthZApiImplements)
	require.NoError(t, err)

	err = p.Client.SendFile(authorization.AuthZApiRequest, strings.NewReader("not json"), nil)
	require.EqualError(t, err, "AuthZPlugin.AuthZReq: invalid character 'o' in literal null (expecting 'u')\n"+
		`{"Allow":false,"Err":"authorization plugin: no user in request to "}`+"\n")
	var se *plugins.StatusError
	require.True(t, errors.As(err, &se))
	assert.Equal(t, http.StatusBadRequest, se.StatusCode)
}

// A path the SDK's mux does not serve is a 404 with Go's plain-text body:
// IsNotFound, whatever the plugin and the method.
func TestSDKMethodNotServed(t *testing.T) {
	d := plugintest.NewDirs(t)
	plugintest.Serve(t, volume.NewHandler(sdkfake.NewMemVolumes("/v", "global")), plugintest.ListenUnix(t, d.Socket("vol")))
	p, err := d.Store().Get("vol", "VolumeDriver")
	require.NoError(t, err)

	for _, method := range []string{"NetworkDriver.Join", "Plugin.Deactivate", "VolumeDriver.Capabilities/extra", "LogDriver.StartLogging"} {
		t.Run(method, func(t *testing.T) {
			var ret volume.ErrorResponse
			err := p.Client.Call(method, volume.GetRequest{Name: "x"}, &ret)
			require.EqualError(t, err, method+": 404 page not found\n")
			assert.True(t, plugins.IsNotFound(err))
		})
	}
}

// Stream and SendFile against the SDK's own StreamResponse and
// EncodeResponse, as a logging or graph driver plugin uses them.
func TestSDKStreamAndSendFile(t *testing.T) {
	h := sdk.NewHandler(`{"Implements": ["LogDriver", "GraphDriver"]}`)
	h.HandleFunc("/LogDriver.ReadLogs", func(w http.ResponseWriter, r *http.Request) {
		var req struct{ Info struct{ ContainerID string } }
		if sdk.DecodeRequest(w, r, &req) != nil {
			return
		}
		logs := "line 1 of " + req.Info.ContainerID + "\nline 2\n"
		sdk.StreamResponse(w, io.NopCloser(strings.NewReader(logs)))
	})
	h.HandleFunc("/GraphDriver.ApplyDiff", func(w http.ResponseWriter, r *http.Request) {
		n, err := io.Copy(io.Discard, r.Body)
		if err != nil {
			sdk.EncodeResponse(w, map[string]string{"Err": err.Error()}, true)
			return
		}
		sdk.EncodeResponse(w, map[string]any{"Size": n, "ID": r.URL.Query().Get("id")}, false)
	})
	forEachPublication(t, func(t *testing.T, pub publication) {
		p := startPluginWith(t, pub, "sdkraw", h)
		require.True(t, p.Implements("LogDriver"))
		require.True(t, p.Implements("GraphDriver"))

		rc, err := p.Client.Stream("LogDriver.ReadLogs", map[string]any{"Info": map[string]string{"ContainerID": "c0ffee"}})
		require.NoError(t, err)
		logs, err := io.ReadAll(rc)
		require.NoError(t, err)
		require.NoError(t, rc.Close())
		assert.Equal(t, "line 1 of c0ffee\nline 2\n", string(logs))

		var diff struct {
			Size int64
			ID   string
		}
		layer := strings.Repeat("tar bytes ", 10_000)
		require.NoError(t, p.Client.SendFile("GraphDriver.ApplyDiff?id=layer1&parent=layer0", io.NopCloser(strings.NewReader(layer)), &diff))
		assert.Equal(t, int64(len(layer)), diff.Size)
		assert.Equal(t, "layer1", diff.ID)
	})
}

// startPluginWith serves h under name and activates it through the library,
// without checking its manifest.
func startPluginWith(t *testing.T, pub publication, name string, h plugintest.Server) *plugins.Plugin {
	t.Helper()
	d := plugintest.NewDirs(t)
	plugintest.Serve(t, h, pub.Publish(t, d, name))
	p, err := d.Store().Get(name, "LogDriver")
	require.NoError(t, err)
	return p
}

// GetAll finds SDK plugins of every kind, over sockets and spec files, and
// keeps those that implement the interface asked for.
func TestSDKGetAll(t *testing.T) {
	d := plugintest.NewDirs(t)
	for i, name := range []string{"vol-a", "vol-b", "vol-c"} {
		plugintest.Serve(t, volume.NewHandler(sdkfake.NewMemVolumes("/v", "global")), publications[i].Publish(t, d, name))
	}
	plugintest.Serve(t, network.NewHandler(newMemNetworks()), plugintest.ListenUnix(t, d.Socket("net")))
	plugintest.Serve(t, ipam.NewHandler(newMemIPAM()), publications[1].Publish(t, d, "ipam"))

	store := d.Store()
	// GetAll activates plugins in parallel: handlers run concurrently.
	var mu sync.Mutex
	var handled []string
	store.Handle("VolumeDriver", func(name string, c *plugins.Client) {
		mu.Lock()
		defer mu.Unlock()
		handled = append(handled, name)
	})
	got, err := store.GetAll("VolumeDriver")
	require.NoError(t, err)
	var names []string
	for _, p := range got {
		names = append(names, p.Name)
	}
	assert.Equal(t, []string{"vol-a", "vol-b", "vol-c"}, names)
	assert.ElementsMatch(t, []string{"vol-a", "vol-b", "vol-c"}, handled)
}
