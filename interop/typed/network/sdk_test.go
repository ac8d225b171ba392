package network_test

import (
	"context"
	"net/http"
	"net/netip"
	"testing"

	sdknetwork "github.com/docker/go-plugins-helpers/network"
	"github.com/docker/go-plugins-helpers/sdk"
	"github.com/go-dockerplugins/plugins"
	"github.com/go-dockerplugins/plugins/interop/internal/plugintest"
	"github.com/go-dockerplugins/plugins/interop/internal/sdkfake"
	"github.com/go-dockerplugins/plugins/network"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// recorder is a network driver written with the SDK: it keeps the last
// request of each method, as the SDK decoded it, and fails the methods
// told to.
type recorder struct{ sdkfake.Recorder }

var _ sdknetwork.Driver = (*recorder)(nil)

func (r *recorder) GetCapabilities() (*sdknetwork.CapabilitiesResponse, error) {
	if err := r.Record("GetCapabilities", nil); err != nil {
		return nil, err
	}
	return &sdknetwork.CapabilitiesResponse{Scope: sdknetwork.LocalScope, ConnectivityScope: sdknetwork.GlobalScope}, nil
}

func (r *recorder) CreateNetwork(req *sdknetwork.CreateNetworkRequest) error {
	return r.Record("CreateNetwork", req)
}

func (r *recorder) AllocateNetwork(req *sdknetwork.AllocateNetworkRequest) (*sdknetwork.AllocateNetworkResponse, error) {
	if err := r.Record("AllocateNetwork", req); err != nil {
		return nil, err
	}
	return &sdknetwork.AllocateNetworkResponse{Options: map[string]string{"vxlanid": "4097"}}, nil
}

func (r *recorder) DeleteNetwork(req *sdknetwork.DeleteNetworkRequest) error {
	return r.Record("DeleteNetwork", req)
}

func (r *recorder) FreeNetwork(req *sdknetwork.FreeNetworkRequest) error {
	return r.Record("FreeNetwork", req)
}

func (r *recorder) CreateEndpoint(req *sdknetwork.CreateEndpointRequest) (*sdknetwork.CreateEndpointResponse, error) {
	if err := r.Record("CreateEndpoint", req); err != nil {
		return nil, err
	}
	return &sdknetwork.CreateEndpointResponse{Interface: &sdknetwork.EndpointInterface{MacAddress: "02:42:0a:0a:00:02"}}, nil
}

func (r *recorder) DeleteEndpoint(req *sdknetwork.DeleteEndpointRequest) error {
	return r.Record("DeleteEndpoint", req)
}

func (r *recorder) EndpointInfo(req *sdknetwork.InfoRequest) (*sdknetwork.InfoResponse, error) {
	if err := r.Record("EndpointOperInfo", req); err != nil {
		return nil, err
	}
	return &sdknetwork.InfoResponse{Value: map[string]string{"mtu": "1500"}}, nil
}

func (r *recorder) Join(req *sdknetwork.JoinRequest) (*sdknetwork.JoinResponse, error) {
	if err := r.Record("Join", req); err != nil {
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

func (r *recorder) Leave(req *sdknetwork.LeaveRequest) error { return r.Record("Leave", req) }

func (r *recorder) DiscoverNew(req *sdknetwork.DiscoveryNotification) error {
	return r.Record("DiscoverNew", req)
}

func (r *recorder) DiscoverDelete(req *sdknetwork.DiscoveryNotification) error {
	return r.Record("DiscoverDelete", req)
}

func (r *recorder) ProgramExternalConnectivity(req *sdknetwork.ProgramExternalConnectivityRequest) error {
	return r.Record("ProgramExternalConnectivity", req)
}

func (r *recorder) RevokeExternalConnectivity(req *sdknetwork.RevokeExternalConnectivityRequest) error {
	return r.Record("RevokeExternalConnectivity", req)
}

// Every method through the typed client, against the SDK's own server: the
// SDK reads each request as the engine's, and the typed client reads each
// answer and each error.
func TestSDK(t *testing.T) {
	ctx := context.Background()
	rec := &recorder{}
	c := plugintest.ServeSDK(t, "sdknet", network.Interface, sdknetwork.NewHandler(rec), network.FromPlugin)

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
	rec.CheckCalls(t, "NetworkDriver", []sdkfake.Call{
		{
			Method: "GetCapabilities",
			Call:   func() (any, error) { return c.GetCapabilities(ctx) },
			// The SDK cannot advertise GwAllocChecker.
			Want: network.CapabilitiesResponse{Scope: network.LocalScope, ConnectivityScope: network.GlobalScope},
		},
		{
			Method: "CreateNetwork",
			Call: func() (any, error) {
				return nil, c.CreateNetwork(ctx, network.CreateNetworkRequest{
					NetworkID: "n1", Options: map[string]any{"com.docker.network.enable_ipv6": false}, IPv4Data: pools,
				})
			},
			SDKGot: &sdknetwork.CreateNetworkRequest{
				NetworkID: "n1", Options: map[string]any{"com.docker.network.enable_ipv6": false}, IPv4Data: []*sdknetwork.IPAMData{&sdkPools[0]},
			},
		},
		{
			Method: "AllocateNetwork",
			Call: func() (any, error) {
				return c.AllocateNetwork(ctx, network.AllocateNetworkRequest{NetworkID: "s1", Options: map[string]string{"mtu": "1450"}, IPv4Data: pools})
			},
			SDKGot: &sdknetwork.AllocateNetworkRequest{NetworkID: "s1", Options: map[string]string{"mtu": "1450"}, IPv4Data: sdkPools},
			Want:   network.AllocateNetworkResponse{Options: map[string]string{"vxlanid": "4097"}},
		},
		{
			Method: "CreateEndpoint",
			Call: func() (any, error) {
				return c.CreateEndpoint(ctx, network.CreateEndpointRequest{
					NetworkID: "n1", EndpointID: "e1", Interface: &network.EndpointInterface{Address: "10.10.0.2/16"},
				})
			},
			SDKGot: &sdknetwork.CreateEndpointRequest{NetworkID: "n1", EndpointID: "e1", Interface: &sdknetwork.EndpointInterface{Address: "10.10.0.2/16"}},
			Want:   network.CreateEndpointResponse{Interface: &network.EndpointInterface{MacAddress: "02:42:0a:0a:00:02"}},
		},
		{
			Method: "EndpointOperInfo",
			Call: func() (any, error) {
				return c.EndpointOperInfo(ctx, network.EndpointInfoRequest{NetworkID: "n1", EndpointID: "e1"})
			},
			SDKGot: &sdknetwork.InfoRequest{NetworkID: "n1", EndpointID: "e1"},
			// The SDK's values are strings; the engine's (and ours) any JSON.
			Want: network.EndpointInfoResponse{Value: map[string]any{"mtu": "1500"}},
		},
		{
			Method: "Join",
			Call: func() (any, error) {
				return c.Join(ctx, network.JoinRequest{NetworkID: "n1", EndpointID: "e1", SandboxKey: "/var/run/docker/netns/c1", Options: map[string]any{"k": "v"}})
			},
			SDKGot: &sdknetwork.JoinRequest{NetworkID: "n1", EndpointID: "e1", SandboxKey: "/var/run/docker/netns/c1", Options: map[string]any{"k": "v"}},
			Want: network.JoinResponse{
				InterfaceName: &network.InterfaceName{SrcName: "veth1", DstPrefix: "eth"},
				Gateway:       "10.10.0.1",
				StaticRoutes:  []network.StaticRoute{{Destination: "10.20.0.0/16", RouteType: network.RouteConnected}},
			},
		},
		{
			Method: "Join",
			Call: func() (any, error) {
				return c.Join(ctx, network.JoinRequest{NetworkID: "n1", EndpointID: "e2"})
			},
			SDKGot: &sdknetwork.JoinRequest{NetworkID: "n1", EndpointID: "e2"},
			// The SDK's InterfaceName is a value: never null, even empty.
			Want: network.JoinResponse{InterfaceName: &network.InterfaceName{}},
		},
		{
			Method: "ProgramExternalConnectivity",
			Call: func() (any, error) {
				return nil, c.ProgramExternalConnectivity(ctx, network.ProgramExternalConnectivityRequest{
					NetworkID: "n1", EndpointID: "e1", Options: map[string]any{"com.docker.network.driver.private.no_proxy_6to4": true},
				})
			},
			SDKGot: &sdknetwork.ProgramExternalConnectivityRequest{
				NetworkID: "n1", EndpointID: "e1", Options: map[string]any{"com.docker.network.driver.private.no_proxy_6to4": true},
			},
		},
		{
			Method: "RevokeExternalConnectivity",
			Call: func() (any, error) {
				return nil, c.RevokeExternalConnectivity(ctx, network.RevokeExternalConnectivityRequest{NetworkID: "n1", EndpointID: "e1"})
			},
			SDKGot: &sdknetwork.RevokeExternalConnectivityRequest{NetworkID: "n1", EndpointID: "e1"},
		},
		{
			Method: "DiscoverNew",
			Call: func() (any, error) {
				return nil, c.DiscoverNew(ctx, network.DiscoveryNotification{
					DiscoveryType: network.NodeDiscovery, DiscoveryData: network.NodeDiscoveryData{Address: "192.168.1.5", Self: true},
				})
			},
			SDKGot: &sdknetwork.DiscoveryNotification{DiscoveryType: 1, DiscoveryData: map[string]any{"Address": "192.168.1.5", "BindAddress": "", "Self": true}},
		},
		{
			Method: "DiscoverDelete",
			Call: func() (any, error) {
				return nil, c.DiscoverDelete(ctx, network.DiscoveryNotification{DiscoveryType: network.NodeDiscovery, DiscoveryData: network.NodeDiscoveryData{Address: "192.168.1.5"}})
			},
			SDKGot: &sdknetwork.DiscoveryNotification{DiscoveryType: 1, DiscoveryData: map[string]any{"Address": "192.168.1.5", "BindAddress": "", "Self": false}},
		},
		{
			Method: "Leave",
			Call:   func() (any, error) { return nil, c.Leave(ctx, network.LeaveRequest{NetworkID: "n1", EndpointID: "e1"}) },
			SDKGot: &sdknetwork.LeaveRequest{NetworkID: "n1", EndpointID: "e1"},
		},
		{
			Method: "DeleteEndpoint",
			Call: func() (any, error) {
				return nil, c.DeleteEndpoint(ctx, network.DeleteEndpointRequest{NetworkID: "n1", EndpointID: "e1"})
			},
			SDKGot: &sdknetwork.DeleteEndpointRequest{NetworkID: "n1", EndpointID: "e1"},
		},
		{
			Method: "FreeNetwork",
			Call:   func() (any, error) { return nil, c.FreeNetwork(ctx, network.FreeNetworkRequest{NetworkID: "s1"}) },
			SDKGot: &sdknetwork.FreeNetworkRequest{NetworkID: "s1"},
		},
		{
			Method: "DeleteNetwork",
			Call:   func() (any, error) { return nil, c.DeleteNetwork(ctx, network.DeleteNetworkRequest{NetworkID: "n1"}) },
			SDKGot: &sdknetwork.DeleteNetworkRequest{NetworkID: "n1"},
		},
	})

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
	c := plugintest.ServeSDK(t, "oldnet", network.Interface, h, network.FromPlugin)

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
