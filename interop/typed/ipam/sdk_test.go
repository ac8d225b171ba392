package ipam_test

import (
	"context"
	"net/http"
	"testing"

	sdkipam "github.com/docker/go-plugins-helpers/ipam"
	"github.com/docker/go-plugins-helpers/sdk"
	"github.com/go-dockerplugins/plugins"
	"github.com/go-dockerplugins/plugins/interop/internal/plugintest"
	"github.com/go-dockerplugins/plugins/interop/internal/sdkfake"
	"github.com/go-dockerplugins/plugins/ipam"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// recorder is an IPAM driver written with the SDK: it keeps the last
// request of each method, as the SDK decoded it, and fails the methods
// told to.
type recorder struct{ sdkfake.Recorder }

var _ sdkipam.Ipam = (*recorder)(nil)

func (r *recorder) GetCapabilities() (*sdkipam.CapabilitiesResponse, error) {
	if err := r.Record("GetCapabilities", nil); err != nil {
		return nil, err
	}
	return &sdkipam.CapabilitiesResponse{RequiresMACAddress: true}, nil
}

func (r *recorder) GetDefaultAddressSpaces() (*sdkipam.AddressSpacesResponse, error) {
	if err := r.Record("GetDefaultAddressSpaces", nil); err != nil {
		return nil, err
	}
	return &sdkipam.AddressSpacesResponse{LocalDefaultAddressSpace: "local", GlobalDefaultAddressSpace: "global"}, nil
}

func (r *recorder) RequestPool(req *sdkipam.RequestPoolRequest) (*sdkipam.RequestPoolResponse, error) {
	if err := r.Record("RequestPool", req); err != nil {
		return nil, err
	}
	return &sdkipam.RequestPoolResponse{PoolID: req.AddressSpace + "/1", Pool: "10.20.0.0/16", Data: map[string]string{ipam.GatewayKey: "10.20.0.254/16"}}, nil
}

func (r *recorder) ReleasePool(req *sdkipam.ReleasePoolRequest) error {
	return r.Record("ReleasePool", req)
}

func (r *recorder) RequestAddress(req *sdkipam.RequestAddressRequest) (*sdkipam.RequestAddressResponse, error) {
	if err := r.Record("RequestAddress", req); err != nil {
		return nil, err
	}
	return &sdkipam.RequestAddressResponse{Address: "10.20.0.5/16"}, nil
}

func (r *recorder) ReleaseAddress(req *sdkipam.ReleaseAddressRequest) error {
	return r.Record("ReleaseAddress", req)
}

// Every method through the typed client, against the SDK's own server: the
// SDK reads each request as the engine's, and the typed client reads each
// answer and each error.
func TestSDK(t *testing.T) {
	ctx := context.Background()
	rec := &recorder{}
	c := plugintest.ServeSDK(t, "sdkipam", ipam.Interface, sdkipam.NewHandler(rec), ipam.FromPlugin)

	rec.CheckCalls(t, "IpamDriver", []sdkfake.Call{
		{
			Method: "GetCapabilities",
			Call:   func() (any, error) { return c.GetCapabilities(ctx) },
			// The SDK cannot ask for RequiresRequestReplay.
			Want: ipam.CapabilitiesResponse{RequiresMACAddress: true},
		},
		{
			Method: "GetDefaultAddressSpaces",
			Call:   func() (any, error) { return c.GetDefaultAddressSpaces(ctx) },
			Want:   ipam.AddressSpacesResponse{LocalDefaultAddressSpace: "local", GlobalDefaultAddressSpace: "global"},
		},
		{
			Method: "RequestPool",
			Call: func() (any, error) {
				return c.RequestPool(ctx, ipam.RequestPoolRequest{AddressSpace: "local", Options: map[string]string{"o": "v"}, V6: true})
			},
			SDKGot: &sdkipam.RequestPoolRequest{AddressSpace: "local", Options: map[string]string{"o": "v"}, V6: true},
			Want:   ipam.RequestPoolResponse{PoolID: "local/1", Pool: "10.20.0.0/16", Data: map[string]string{ipam.GatewayKey: "10.20.0.254/16"}},
		},
		{
			Method: "RequestAddress",
			Call: func() (any, error) {
				return c.RequestAddress(ctx, ipam.RequestAddressRequest{
					PoolID: "local/1", Address: "10.20.0.5", Options: map[string]string{ipam.MacAddressKey: "02:42:ac:11:00:02"},
				})
			},
			SDKGot: &sdkipam.RequestAddressRequest{PoolID: "local/1", Address: "10.20.0.5", Options: map[string]string{ipam.MacAddressKey: "02:42:ac:11:00:02"}},
			Want:   ipam.RequestAddressResponse{Address: "10.20.0.5/16"},
		},
		{
			Method: "ReleaseAddress",
			Call: func() (any, error) {
				return nil, c.ReleaseAddress(ctx, ipam.ReleaseAddressRequest{PoolID: "local/1", Address: "10.20.0.5"})
			},
			SDKGot: &sdkipam.ReleaseAddressRequest{PoolID: "local/1", Address: "10.20.0.5"},
		},
		{
			Method: "ReleasePool",
			Call:   func() (any, error) { return nil, c.ReleasePool(ctx, ipam.ReleasePoolRequest{PoolID: "local/1"}) },
			SDKGot: &sdkipam.ReleasePoolRequest{PoolID: "local/1"},
		},
	})
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
	c := plugintest.ServeSDK(t, "oldipam", ipam.Interface, h, ipam.FromPlugin)

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
