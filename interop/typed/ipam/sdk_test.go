package ipam_test

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"

	sdkipam "github.com/docker/go-plugins-helpers/ipam"
	"github.com/docker/go-plugins-helpers/sdk"
	"github.com/go-dockerplugins/plugins"
	"github.com/go-dockerplugins/plugins/interop/internal/plugintest"
	"github.com/go-dockerplugins/plugins/ipam"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// recorder is an IPAM driver written with the SDK: it keeps the last
// request of each method, as the SDK decoded it, and fails the methods
// told to.
type recorder struct {
	mu   sync.Mutex
	got  map[string]any
	fail map[string]string
}

var _ sdkipam.Ipam = (*recorder)(nil)

func (r *recorder) record(method string, req any) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got[method] = req
	if msg, ok := r.fail[method]; ok {
		return errors.New(msg)
	}
	return nil
}

func (r *recorder) last(method string) any {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.got[method]
}

// failWith makes method fail with msg, or succeed again if msg is empty.
func (r *recorder) failWith(method, msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if msg == "" {
		delete(r.fail, method)
		return
	}
	r.fail[method] = msg
}

func (r *recorder) GetCapabilities() (*sdkipam.CapabilitiesResponse, error) {
	if err := r.record("GetCapabilities", nil); err != nil {
		return nil, err
	}
	return &sdkipam.CapabilitiesResponse{RequiresMACAddress: true}, nil
}

func (r *recorder) GetDefaultAddressSpaces() (*sdkipam.AddressSpacesResponse, error) {
	if err := r.record("GetDefaultAddressSpaces", nil); err != nil {
		return nil, err
	}
	return &sdkipam.AddressSpacesResponse{LocalDefaultAddressSpace: "local", GlobalDefaultAddressSpace: "global"}, nil
}

func (r *recorder) RequestPool(req *sdkipam.RequestPoolRequest) (*sdkipam.RequestPoolResponse, error) {
	if err := r.record("RequestPool", req); err != nil {
		return nil, err
	}
	return &sdkipam.RequestPoolResponse{PoolID: req.AddressSpace + "/1", Pool: "10.20.0.0/16", Data: map[string]string{ipam.GatewayKey: "10.20.0.254/16"}}, nil
}

func (r *recorder) ReleasePool(req *sdkipam.ReleasePoolRequest) error {
	return r.record("ReleasePool", req)
}

func (r *recorder) RequestAddress(req *sdkipam.RequestAddressRequest) (*sdkipam.RequestAddressResponse, error) {
	if err := r.record("RequestAddress", req); err != nil {
		return nil, err
	}
	return &sdkipam.RequestAddressResponse{Address: "10.20.0.5/16"}, nil
}

func (r *recorder) ReleaseAddress(req *sdkipam.ReleaseAddressRequest) error {
	return r.record("ReleaseAddress", req)
}

// serveSDK serves h, the SDK's handler, as plugin name on a UNIX socket and
// returns a typed client of it.
func serveSDK(t *testing.T, name string, h plugintest.Server) *ipam.Client {
	t.Helper()
	d := plugintest.NewDirs(t)
	plugintest.Serve(t, h, plugintest.ListenUnix(t, d.Socket(name)))
	p, err := d.Store().GetContext(context.Background(), name, ipam.Interface)
	require.NoError(t, err)
	c, err := ipam.FromPlugin(p)
	require.NoError(t, err)
	return c
}

// Every method through the typed client, against the SDK's own server: the
// SDK reads each request as the engine's, and the typed client reads each
// answer and each error.
func TestSDK(t *testing.T) {
	ctx := context.Background()
	rec := &recorder{got: map[string]any{}, fail: map[string]string{}}
	c := serveSDK(t, "sdkipam", sdkipam.NewHandler(rec))

	for _, tc := range []struct {
		method string
		call   func() (any, error)
		sdkGot any // the request as the SDK decoded it
		want   any // our answer; nil for methods whose answer holds only Error
	}{
		{
			method: "GetCapabilities",
			call:   func() (any, error) { return c.GetCapabilities(ctx) },
			// The SDK cannot ask for RequiresRequestReplay.
			want: ipam.CapabilitiesResponse{RequiresMACAddress: true},
		},
		{
			method: "GetDefaultAddressSpaces",
			call:   func() (any, error) { return c.GetDefaultAddressSpaces(ctx) },
			want:   ipam.AddressSpacesResponse{LocalDefaultAddressSpace: "local", GlobalDefaultAddressSpace: "global"},
		},
		{
			method: "RequestPool",
			call: func() (any, error) {
				return c.RequestPool(ctx, ipam.RequestPoolRequest{AddressSpace: "local", Options: map[string]string{"o": "v"}, V6: true})
			},
			sdkGot: &sdkipam.RequestPoolRequest{AddressSpace: "local", Options: map[string]string{"o": "v"}, V6: true},
			want:   ipam.RequestPoolResponse{PoolID: "local/1", Pool: "10.20.0.0/16", Data: map[string]string{ipam.GatewayKey: "10.20.0.254/16"}},
		},
		{
			method: "RequestAddress",
			call: func() (any, error) {
				return c.RequestAddress(ctx, ipam.RequestAddressRequest{
					PoolID: "local/1", Address: "10.20.0.5", Options: map[string]string{ipam.MacAddressKey: "02:42:ac:11:00:02"},
				})
			},
			sdkGot: &sdkipam.RequestAddressRequest{PoolID: "local/1", Address: "10.20.0.5", Options: map[string]string{ipam.MacAddressKey: "02:42:ac:11:00:02"}},
			want:   ipam.RequestAddressResponse{Address: "10.20.0.5/16"},
		},
		{
			method: "ReleaseAddress",
			call: func() (any, error) {
				return nil, c.ReleaseAddress(ctx, ipam.ReleaseAddressRequest{PoolID: "local/1", Address: "10.20.0.5"})
			},
			sdkGot: &sdkipam.ReleaseAddressRequest{PoolID: "local/1", Address: "10.20.0.5"},
		},
		{
			method: "ReleasePool",
			call:   func() (any, error) { return nil, c.ReleasePool(ctx, ipam.ReleasePoolRequest{PoolID: "local/1"}) },
			sdkGot: &sdkipam.ReleasePoolRequest{PoolID: "local/1"},
		},
	} {
		t.Run(tc.method, func(t *testing.T) {
			got, err := tc.call()
			require.NoError(t, err)
			assert.Equal(t, tc.sdkGot, rec.last(tc.method), "the request, as the SDK read it")
			if tc.want != nil {
				assert.Equal(t, tc.want, got)
			}

			// The SDK answers errors with a 500 and {"Err": ...}, the only
			// way its errors reach the engine, which reads Error in a 200.
			rec.failWith(tc.method, tc.method+" failed: 100% broken")
			defer rec.failWith(tc.method, "")
			_, err = tc.call()
			assert.EqualError(t, err, "IpamDriver."+tc.method+": "+tc.method+" failed: 100% broken")
			var se *plugins.StatusError
			require.ErrorAs(t, err, &se)
			assert.Equal(t, http.StatusInternalServerError, se.StatusCode)
			var ae *plugins.AnswerError
			assert.False(t, errors.As(err, &ae), "not an error in a 200 answer")
		})
	}
}

// A plugin made with the SDK's base handler that serves only some methods,
// as plugins written before GetCapabilities existed: GetCapabilities gives
// no capabilities and no error, the others fail with a 404.
func TestSDKPartialPlugin(t *testing.T) {
	ctx := context.Background()
	h := sdk.NewHandler(`{"Implements": ["IpamDriver"]}`)
	h.HandleFunc("/IpamDriver.GetDefaultAddressSpaces", func(w http.ResponseWriter, _ *http.Request) {
		sdk.EncodeResponse(w, sdkipam.AddressSpacesResponse{LocalDefaultAddressSpace: "l", GlobalDefaultAddressSpace: "g"}, false)
	})
	c := serveSDK(t, "oldipam", h)

	caps, err := c.GetCapabilities(ctx)
	require.NoError(t, err)
	assert.Equal(t, ipam.CapabilitiesResponse{}, caps)

	spaces, err := c.GetDefaultAddressSpaces(ctx)
	require.NoError(t, err)
	assert.Equal(t, ipam.AddressSpacesResponse{LocalDefaultAddressSpace: "l", GlobalDefaultAddressSpace: "g"}, spaces)

	_, err = c.RequestPool(ctx, ipam.RequestPoolRequest{AddressSpace: "l"})
	assert.True(t, plugins.IsNotFound(err))
	assert.EqualError(t, err, "IpamDriver.RequestPool: 404 page not found\n")
	err = c.ReleasePool(ctx, ipam.ReleasePoolRequest{PoolID: "p"})
	assert.True(t, plugins.IsNotFound(err))
}
