package network_test

import (
	"context"
	"errors"
	"net/http"
	"net/netip"
	"sync"
	"testing"

	sdknetwork "github.com/docker/go-plugins-helpers/network"
	"github.com/docker/go-plugins-helpers/sdk"
	"github.com/go-dockerplugins/plugins"
	"github.com/go-dockerplugins/plugins/interop/internal/plugintest"
	"github.com/go-dockerplugins/plugins/network"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// recorder is a network driver written with the SDK: it keeps the last
// request of each method, as the SDK decoded it, and fails the methods
// told to.
type recorder struct {
	mu   sync.Mutex
	got  map[string]any
	fail map[string]string
}

var _ sdknetwork.Driver = (*recorder)(nil)

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

func (r *recorder) GetCapabilities() (*sdknetwork.CapabilitiesResponse, error) {
	if err := r.record("GetCapabilities", nil); err != nil {
		return nil, err
	}
	return &sdknetwork.CapabilitiesResponse{Scope: sdknetwork.LocalScope, ConnectivityScope: sdknetwork.GlobalScope}, nil
}

func (r *recorder) CreateNetwork(req *sdknetwork.CreateNetworkRequest) error {
	return r.record("CreateNetwork", req)
}

func (r *recorder) AllocateNetwork(req *sdknetwork.AllocateNetworkRequest) (*sdknetwork.AllocateNetworkResponse, error) {
	if err := r.record("AllocateNetwork", req); err != nil {
		return nil, err
	}
	return &sdknetwork.AllocateNetworkResponse{Options: map[string]string{"vxlanid": "4097"}}, nil
}

func (r *recorder) DeleteNetwork(req *sdknetwork.DeleteNetworkRequest) error {
	return r.record("DeleteNetwork", req)
}

func (r *recorder) FreeNetwork(req *sdknetwork.FreeNetworkRequest) error {
	return r.record("FreeNetwork", req)
}

func (r *recorder) CreateEndpoint(req *sdknetwork.CreateEndpointRequest) (*sdknetwork.CreateEndpointResponse, error) {
	if err := r.record("CreateEndpoint", req); err != nil {
		return nil, err
	}
	return &sdknetwork.CreateEndpointResponse{Interface: &sdknetwork.EndpointInterface{MacAddress: "02:42:0a:0a:00:02"}}, nil
}

func (r *recorder) DeleteEndpoint(req *sdknetwork.DeleteEndpointRequest) error {
	return r.record("DeleteEndpoint", req)
}

func (r *recorder) EndpointInfo(req *sdknetwork.InfoRequest) (*sdknetwork.InfoResponse, error) {
	if err := r.record("EndpointOperInfo", req); err != nil {
		return nil, err
	}
	return &sdknetwork.InfoResponse{Value: map[string]string{"mtu": "1500"}}, nil
}

func (r *recorder) Join(req *sdknetwork.JoinRequest) (*sdknetwork.JoinResponse, error) {
	if err := r.record("Join", req); err != nil {
		return nil, err
	}
	if req.SandboxKey == "" {
		return &sdknetwork.JoinResponse{}, nil
	}
	return &sdknetwork.JoinResponse{
		InterfaceName: sdknetwork.InterfaceName{SrcName: "veth1", DstPrefix: "eth"},
		Gateway:       "10.10.0.1",
		StaticRoutes:  []*sdknetwork.StaticRoute{{Destination: "10.20.0.0/16", RouteType: 1}},
	}, nil
}

func (r *recorder) Leave(req *sdknetwork.LeaveRequest) error { return r.record("Leave", req) }

func (r *recorder) DiscoverNew(req *sdknetwork.DiscoveryNotification) error {
	return r.record("DiscoverNew", req)
}

func (r *recorder) DiscoverDelete(req *sdknetwork.DiscoveryNotification) error {
	return r.record("DiscoverDelete", req)
}

func (r *recorder) ProgramExternalConnectivity(req *sdknetwork.ProgramExternalConnectivityRequest) error {
	return r.record("ProgramExternalConnectivity", req)
}

func (r *recorder) RevokeExternalConnectivity(req *sdknetwork.RevokeExternalConnectivityRequest) error {
	return r.record("RevokeExternalConnectivity", req)
}

// serveSDK serves h, the SDK's handler, as plugin name on a UNIX socket and
// returns a typed client of it.
func serveSDK(t *testing.T, name string, h plugintest.Server) *network.Client {
	t.Helper()
	d := plugintest.NewDirs(t)
	plugintest.Serve(t, h, plugintest.ListenUnix(t, d.Socket(name)))
	p, err := d.Store().GetContext(context.Background(), name, network.Interface)
	require.NoError(t, err)
	c, err := network.FromPlugin(p)
	require.NoError(t, err)
	return c
}

// Every method through the typed client, against the SDK's own server: the
// SDK reads each request as the engine's, and the typed client reads each
// answer and each error.
func TestSDK(t *testing.T) {
	ctx := context.Background()
	rec := &recorder{got: map[string]any{}, fail: map[string]string{}}
	c := serveSDK(t, "sdknet", sdknetwork.NewHandler(rec))

	pools := []network.IPAMData{{
		AddressSpace: "LocalDefault",
		Pool:         netip.MustParsePrefix("10.10.0.0/16"),
		Gateway:      netip.MustParsePrefix("10.10.0.1/16"),
		AuxAddresses: map[string]netip.Prefix{"router": netip.MustParsePrefix("10.10.0.254/16")},
	}}
	sdkPools := []sdknetwork.IPAMData{{
		AddressSpace: "LocalDefault", Pool: "10.10.0.0/16", Gateway: "10.10.0.1/16",
		AuxAddresses: map[string]any{"router": "10.10.0.254/16"},
	}}
	for _, tc := range []struct {
		method string
		call   func() (any, error)
		sdkGot any // the request as the SDK decoded it
		want   any // our answer; nil for methods whose answer holds only Err
	}{
		{
			method: "GetCapabilities",
			call:   func() (any, error) { return c.GetCapabilities(ctx) },
			// The SDK cannot advertise GwAllocChecker.
			want: network.CapabilitiesResponse{Scope: network.LocalScope, ConnectivityScope: network.GlobalScope},
		},
		{
			method: "CreateNetwork",
			call: func() (any, error) {
				return nil, c.CreateNetwork(ctx, network.CreateNetworkRequest{
					NetworkID: "n1", Options: map[string]any{"com.docker.network.enable_ipv6": false}, IPv4Data: pools,
				})
			},
			sdkGot: &sdknetwork.CreateNetworkRequest{
				NetworkID: "n1", Options: map[string]any{"com.docker.network.enable_ipv6": false}, IPv4Data: []*sdknetwork.IPAMData{&sdkPools[0]},
			},
		},
		{
			method: "AllocateNetwork",
			call: func() (any, error) {
				return c.AllocateNetwork(ctx, network.AllocateNetworkRequest{NetworkID: "s1", Options: map[string]string{"mtu": "1450"}, IPv4Data: pools})
			},
			sdkGot: &sdknetwork.AllocateNetworkRequest{NetworkID: "s1", Options: map[string]string{"mtu": "1450"}, IPv4Data: sdkPools},
			want:   network.AllocateNetworkResponse{Options: map[string]string{"vxlanid": "4097"}},
		},
		{
			method: "CreateEndpoint",
			call: func() (any, error) {
				return c.CreateEndpoint(ctx, network.CreateEndpointRequest{
					NetworkID: "n1", EndpointID: "e1", Interface: &network.EndpointInterface{Address: "10.10.0.2/16"},
				})
			},
			sdkGot: &sdknetwork.CreateEndpointRequest{NetworkID: "n1", EndpointID: "e1", Interface: &sdknetwork.EndpointInterface{Address: "10.10.0.2/16"}},
			want:   network.CreateEndpointResponse{Interface: &network.EndpointInterface{MacAddress: "02:42:0a:0a:00:02"}},
		},
		{
			method: "EndpointOperInfo",
			call: func() (any, error) {
				return c.EndpointOperInfo(ctx, network.EndpointInfoRequest{NetworkID: "n1", EndpointID: "e1"})
			},
			sdkGot: &sdknetwork.InfoRequest{NetworkID: "n1", EndpointID: "e1"},
			// The SDK's values are strings; the engine's (and ours) any JSON.
			want: network.EndpointInfoResponse{Value: map[string]any{"mtu": "1500"}},
		},
		{
			method: "Join",
			call: func() (any, error) {
				return c.Join(ctx, network.JoinRequest{NetworkID: "n1", EndpointID: "e1", SandboxKey: "/var/run/docker/netns/c1", Options: map[string]any{"k": "v"}})
			},
			sdkGot: &sdknetwork.JoinRequest{NetworkID: "n1", EndpointID: "e1", SandboxKey: "/var/run/docker/netns/c1", Options: map[string]any{"k": "v"}},
			want: network.JoinResponse{
				InterfaceName: &network.InterfaceName{SrcName: "veth1", DstPrefix: "eth"},
				Gateway:       "10.10.0.1",
				StaticRoutes:  []network.StaticRoute{{Destination: "10.20.0.0/16", RouteType: network.RouteConnected}},
			},
		},
		{
			method: "Join",
			call: func() (any, error) {
				return c.Join(ctx, network.JoinRequest{NetworkID: "n1", EndpointID: "e2"})
			},
			sdkGot: &sdknetwork.JoinRequest{NetworkID: "n1", EndpointID: "e2"},
			// The SDK's InterfaceName is a value: never null, even empty.
			want: network.JoinResponse{InterfaceName: &network.InterfaceName{}},
		},
		{
			method: "ProgramExternalConnectivity",
			call: func() (any, error) {
				return nil, c.ProgramExternalConnectivity(ctx, network.ProgramExternalConnectivityRequest{
					NetworkID: "n1", EndpointID: "e1", Options: map[string]any{"com.docker.network.driver.private.no_proxy_6to4": true},
				})
			},
			sdkGot: &sdknetwork.ProgramExternalConnectivityRequest{
				NetworkID: "n1", EndpointID: "e1", Options: map[string]any{"com.docker.network.driver.private.no_proxy_6to4": true},
			},
		},
		{
			method: "RevokeExternalConnectivity",
			call: func() (any, error) {
				return nil, c.RevokeExternalConnectivity(ctx, network.RevokeExternalConnectivityRequest{NetworkID: "n1", EndpointID: "e1"})
			},
			sdkGot: &sdknetwork.RevokeExternalConnectivityRequest{NetworkID: "n1", EndpointID: "e1"},
		},
		{
			method: "DiscoverNew",
			call: func() (any, error) {
				return nil, c.DiscoverNew(ctx, network.DiscoveryNotification{
					DiscoveryType: network.NodeDiscovery, DiscoveryData: network.NodeDiscoveryData{Address: "192.168.1.5", Self: true},
				})
			},
			sdkGot: &sdknetwork.DiscoveryNotification{DiscoveryType: 1, DiscoveryData: map[string]any{"Address": "192.168.1.5", "BindAddress": "", "Self": true}},
		},
		{
			method: "DiscoverDelete",
			call: func() (any, error) {
				return nil, c.DiscoverDelete(ctx, network.DiscoveryNotification{DiscoveryType: network.NodeDiscovery, DiscoveryData: network.NodeDiscoveryData{Address: "192.168.1.5"}})
			},
			sdkGot: &sdknetwork.DiscoveryNotification{DiscoveryType: 1, DiscoveryData: map[string]any{"Address": "192.168.1.5", "BindAddress": "", "Self": false}},
		},
		{
			method: "Leave",
			call:   func() (any, error) { return nil, c.Leave(ctx, network.LeaveRequest{NetworkID: "n1", EndpointID: "e1"}) },
			sdkGot: &sdknetwork.LeaveRequest{NetworkID: "n1", EndpointID: "e1"},
		},
		{
			method: "DeleteEndpoint",
			call: func() (any, error) {
				return nil, c.DeleteEndpoint(ctx, network.DeleteEndpointRequest{NetworkID: "n1", EndpointID: "e1"})
			},
			sdkGot: &sdknetwork.DeleteEndpointRequest{NetworkID: "n1", EndpointID: "e1"},
		},
		{
			method: "FreeNetwork",
			call:   func() (any, error) { return nil, c.FreeNetwork(ctx, network.FreeNetworkRequest{NetworkID: "s1"}) },
			sdkGot: &sdknetwork.FreeNetworkRequest{NetworkID: "s1"},
		},
		{
			method: "DeleteNetwork",
			call:   func() (any, error) { return nil, c.DeleteNetwork(ctx, network.DeleteNetworkRequest{NetworkID: "n1"}) },
			sdkGot: &sdknetwork.DeleteNetworkRequest{NetworkID: "n1"},
		},
	} {
		t.Run(tc.method, func(t *testing.T) {
			got, err := tc.call()
			require.NoError(t, err)
			assert.Equal(t, tc.sdkGot, rec.last(tc.method), "the request, as the SDK read it")
			if tc.want != nil {
				assert.Equal(t, tc.want, got)
			}

			// The SDK answers errors with a 500 and {"Err": ...}.
			rec.failWith(tc.method, tc.method+" failed: 100% broken")
			defer rec.failWith(tc.method, "")
			_, err = tc.call()
			assert.EqualError(t, err, "NetworkDriver."+tc.method+": "+tc.method+" failed: 100% broken")
			var se *plugins.StatusError
			require.ErrorAs(t, err, &se)
			assert.Equal(t, http.StatusInternalServerError, se.StatusCode)
			var ae *plugins.AnswerError
			assert.False(t, errors.As(err, &ae), "not an error in a 200 answer")
		})
	}

	// The SDK does not serve GwAllocCheck: a plugin that does not advertise
	// it is never sent it.
	_, err := c.GwAllocCheck(ctx, network.GwAllocCheckRequest{})
	assert.True(t, plugins.IsNotFound(err))
	assert.EqualError(t, err, "NetworkDriver.GwAllocCheck: 404 page not found\n")
}

// A plugin made with the SDK's base handler that serves only some methods,
// as plugins written before ProgramExternalConnectivity existed: the
// optional methods succeed, the others fail with a 404.
func TestSDKPartialPlugin(t *testing.T) {
	ctx := context.Background()
	h := sdk.NewHandler(`{"Implements": ["NetworkDriver"]}`)
	h.HandleFunc("/NetworkDriver.GetCapabilities", func(w http.ResponseWriter, _ *http.Request) {
		sdk.EncodeResponse(w, sdknetwork.CapabilitiesResponse{Scope: sdknetwork.GlobalScope}, false)
	})
	c := serveSDK(t, "oldnet", h)

	caps, err := c.GetCapabilities(ctx)
	require.NoError(t, err)
	assert.Equal(t, network.CapabilitiesResponse{Scope: network.GlobalScope}, caps)

	assert.NoError(t, c.ProgramExternalConnectivity(ctx, network.ProgramExternalConnectivityRequest{NetworkID: "n1", EndpointID: "e1"}))
	assert.NoError(t, c.RevokeExternalConnectivity(ctx, network.RevokeExternalConnectivityRequest{NetworkID: "n1", EndpointID: "e1"}))

	_, err = c.Join(ctx, network.JoinRequest{NetworkID: "n1", EndpointID: "e1"})
	assert.True(t, plugins.IsNotFound(err))
	assert.EqualError(t, err, "NetworkDriver.Join: 404 page not found\n")
	err = c.CreateNetwork(ctx, network.CreateNetworkRequest{NetworkID: "n1"})
	assert.True(t, plugins.IsNotFound(err))
}
