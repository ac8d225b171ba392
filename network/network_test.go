package network_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/netip"
	"testing"

	"github.com/go-dockerplugins/plugins"
	"github.com/go-dockerplugins/plugins/internal/typedtest"
	"github.com/go-dockerplugins/plugins/network"
	"github.com/go-dockerplugins/plugins/pluginstest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fixture serves a fake network driver and makes typed clients of it.
var fixture = typedtest.Fixture[*network.Client]{Name: "mynet", Interface: network.Interface, FromPlugin: network.FromPlugin}

var ipv4 = []network.IPAMData{{
	AddressSpace: "LocalDefault",
	Pool:         netip.MustParsePrefix("10.10.0.0/16"),
	Gateway:      netip.MustParsePrefix("10.10.0.1/16"),
	AuxAddresses: map[string]netip.Prefix{"router": netip.MustParsePrefix("10.10.0.254/16")},
}}

// ipv4JSON is ipv4 as the engine encodes it: keys sorted, CIDR strings.
const ipv4JSON = `[{"AddressSpace":"LocalDefault","AuxAddresses":{"router":"10.10.0.254/16"},"Gateway":"10.10.0.1/16","Pool":"10.10.0.0/16"}]`

var methodCases = []typedtest.MethodCase[*network.Client]{
	{
		Method: "NetworkDriver.GetCapabilities",
		Call: func(ctx context.Context, c *network.Client) (any, error) {
			return c.GetCapabilities(ctx)
		},
		WantBody: "",
		Answer:   `{"Scope":"local","ConnectivityScope":"global","GwAllocChecker":true}`,
		Want:     network.CapabilitiesResponse{Scope: network.LocalScope, ConnectivityScope: network.GlobalScope, GwAllocChecker: true},
	},
	{
		Method: "NetworkDriver.GwAllocCheck",
		Call: func(ctx context.Context, c *network.Client) (any, error) {
			return c.GwAllocCheck(ctx, network.GwAllocCheckRequest{Options: map[string]any{"com.docker.network.enable_ipv6": true}})
		},
		WantBody: `{"Options":{"com.docker.network.enable_ipv6":true}}` + "\n",
		Answer:   `{"SkipIPv4":true,"SkipIPv6":false}`,
		Want:     network.GwAllocCheckResponse{SkipIPv4: true},
	},
	{
		Method: "NetworkDriver.CreateNetwork",
		Call: func(ctx context.Context, c *network.Client) (any, error) {
			return nil, c.CreateNetwork(ctx, network.CreateNetworkRequest{NetworkID: "n1", IPv4Data: ipv4})
		},
		WantBody: `{"NetworkID":"n1","Options":null,"IPv4Data":` + ipv4JSON + `,"IPv6Data":null}` + "\n",
		Answer:   `{}`,
	},
	{
		Method: "NetworkDriver.DeleteNetwork",
		Call: func(ctx context.Context, c *network.Client) (any, error) {
			return nil, c.DeleteNetwork(ctx, network.DeleteNetworkRequest{NetworkID: "n1"})
		},
		WantBody: `{"NetworkID":"n1"}` + "\n",
		Answer:   `{"Err":""}`,
	},
	{
		Method: "NetworkDriver.AllocateNetwork",
		Call: func(ctx context.Context, c *network.Client) (any, error) {
			return c.AllocateNetwork(ctx, network.AllocateNetworkRequest{
				NetworkID: "s1", Options: map[string]string{"mtu": "1450"},
				IPv4Data: []network.IPAMData{{Pool: netip.MustParsePrefix("10.0.9.0/24"), Gateway: netip.MustParsePrefix("10.0.9.1/24")}},
			})
		},
		WantBody: `{"NetworkID":"s1","Options":{"mtu":"1450"},"IPv4Data":[{"AddressSpace":"","Gateway":"10.0.9.1/24","Pool":"10.0.9.0/24"}],"IPv6Data":null}` + "\n",
		Answer:   `{"Options":{"vxlanid":"4097"}}`,
		Want:     network.AllocateNetworkResponse{Options: map[string]string{"vxlanid": "4097"}},
	},
	{
		Method: "NetworkDriver.FreeNetwork",
		Call: func(ctx context.Context, c *network.Client) (any, error) {
			return nil, c.FreeNetwork(ctx, network.FreeNetworkRequest{NetworkID: "s1"})
		},
		WantBody: `{"NetworkID":"s1"}` + "\n",
		Answer:   `{}`,
	},
	{
		Method: "NetworkDriver.CreateEndpoint",
		Call: func(ctx context.Context, c *network.Client) (any, error) {
			return c.CreateEndpoint(ctx, network.CreateEndpointRequest{
				NetworkID: "n1", EndpointID: "e1", Interface: &network.EndpointInterface{Address: "10.10.0.2/16"},
			})
		},
		WantBody: `{"NetworkID":"n1","EndpointID":"e1","Interface":{"Address":"10.10.0.2/16","AddressIPv6":"","MacAddress":""},"Options":null}` + "\n",
		Answer:   `{"Interface":{"MacAddress":"02:42:0a:0a:00:02"}}`,
		Want:     network.CreateEndpointResponse{Interface: &network.EndpointInterface{MacAddress: "02:42:0a:0a:00:02"}},
	},
	{
		Method: "NetworkDriver.DeleteEndpoint",
		Call: func(ctx context.Context, c *network.Client) (any, error) {
			return nil, c.DeleteEndpoint(ctx, network.DeleteEndpointRequest{NetworkID: "n1", EndpointID: "e1"})
		},
		WantBody: `{"NetworkID":"n1","EndpointID":"e1"}` + "\n",
		Answer:   `{}`,
	},
	{
		Method: "NetworkDriver.EndpointOperInfo",
		Call: func(ctx context.Context, c *network.Client) (any, error) {
			return c.EndpointOperInfo(ctx, network.EndpointInfoRequest{NetworkID: "n1", EndpointID: "e1"})
		},
		WantBody: `{"NetworkID":"n1","EndpointID":"e1"}` + "\n",
		Answer:   `{"Value":{"mtu":1500,"ports":[80]}}`,
		Want:     network.EndpointInfoResponse{Value: map[string]any{"mtu": float64(1500), "ports": []any{float64(80)}}},
	},
	{
		Method: "NetworkDriver.Join",
		Call: func(ctx context.Context, c *network.Client) (any, error) {
			return c.Join(ctx, network.JoinRequest{NetworkID: "n1", EndpointID: "e1", SandboxKey: "/var/run/docker/netns/x"})
		},
		WantBody: `{"NetworkID":"n1","EndpointID":"e1","SandboxKey":"/var/run/docker/netns/x","Options":null}` + "\n",
		Answer: `{"InterfaceName":{"SrcName":"veth1","DstName":"ignored","DstPrefix":"eth"},"Gateway":"10.10.0.1","GatewayIPv6":"",` +
			`"StaticRoutes":[{"Destination":"10.20.0.0/16","RouteType":0,"NextHop":"10.10.0.254"},{"Destination":"10.30.0.0/16","RouteType":1}],` +
			`"DisableGatewayService":true}`,
		Want: network.JoinResponse{
			InterfaceName: &network.InterfaceName{SrcName: "veth1", DstName: "ignored", DstPrefix: "eth"},
			Gateway:       "10.10.0.1",
			StaticRoutes: []network.StaticRoute{
				{Destination: "10.20.0.0/16", RouteType: network.RouteNextHop, NextHop: "10.10.0.254"},
				{Destination: "10.30.0.0/16", RouteType: network.RouteConnected},
			},
			DisableGatewayService: true,
		},
	},
	{
		Method: "NetworkDriver.Leave",
		Call: func(ctx context.Context, c *network.Client) (any, error) {
			return nil, c.Leave(ctx, network.LeaveRequest{NetworkID: "n1", EndpointID: "e1"})
		},
		WantBody: `{"NetworkID":"n1","EndpointID":"e1"}` + "\n",
		Answer:   `{}`,
	},
	{
		Method: "NetworkDriver.ProgramExternalConnectivity",
		Call: func(ctx context.Context, c *network.Client) (any, error) {
			return nil, c.ProgramExternalConnectivity(ctx, network.ProgramExternalConnectivityRequest{
				NetworkID: "n1", EndpointID: "e1", Options: map[string]any{"com.docker.network.driver.private.no_proxy_6to4": true},
			})
		},
		WantBody: `{"NetworkID":"n1","EndpointID":"e1","Options":{"com.docker.network.driver.private.no_proxy_6to4":true}}` + "\n",
		Answer:   `{}`,
		Optional: true,
	},
	{
		Method: "NetworkDriver.RevokeExternalConnectivity",
		Call: func(ctx context.Context, c *network.Client) (any, error) {
			return nil, c.RevokeExternalConnectivity(ctx, network.RevokeExternalConnectivityRequest{NetworkID: "n1", EndpointID: "e1"})
		},
		WantBody: `{"NetworkID":"n1","EndpointID":"e1"}` + "\n",
		Answer:   `{}`,
		Optional: true,
	},
	{
		Method: "NetworkDriver.DiscoverNew",
		Call: func(ctx context.Context, c *network.Client) (any, error) {
			return nil, c.DiscoverNew(ctx, network.DiscoveryNotification{
				DiscoveryType: network.NodeDiscovery, DiscoveryData: network.NodeDiscoveryData{Address: "192.168.1.5", Self: true},
			})
		},
		WantBody: `{"DiscoveryType":1,"DiscoveryData":{"Address":"192.168.1.5","BindAddress":"","Self":true}}` + "\n",
		Answer:   `{}`,
	},
	{
		Method: "NetworkDriver.DiscoverDelete",
		Call: func(ctx context.Context, c *network.Client) (any, error) {
			return nil, c.DiscoverDelete(ctx, network.DiscoveryNotification{
				DiscoveryType: network.NodeDiscovery, DiscoveryData: network.NodeDiscoveryData{Address: "192.168.1.5"},
			})
		},
		WantBody: `{"DiscoveryType":1,"DiscoveryData":{"Address":"192.168.1.5","BindAddress":"","Self":false}}` + "\n",
		Answer:   `{}`,
	},
}

func TestMethods(t *testing.T) {
	require.Len(t, methodCases, 15, "every method the engine sends")
	for _, tc := range methodCases {
		t.Run(tc.Method, func(t *testing.T) {
			c, fake := fixture.Serve(t)
			tc.CheckAnswer(t, c, fake)

			// A 200 answer with Err: the engine's error.
			_, err := tc.CallWith(c, fake, typedtest.Raw(`{"Err":"no such network"}`))
			typedtest.AnswerError(t, err, plugins.AnswerError{Method: tc.Method, Message: "no such network", Prefix: "remote: "})

			// Another status: the client's error, whatever the method.
			tc.CheckFailures(t, c, fake)

			// 404: a method the plugin does not implement.
			_, err = tc.CallWith(c, fake, http.NotFoundHandler())
			if tc.Optional {
				assert.NoError(t, err, "optional: the engine takes a 404 for success")
			} else {
				typedtest.NotFound(t, err, tc.Method)
			}
		})
	}
}

// The engine sets no timeout on a network driver's calls: a slow answer is
// waited for, and only the context's deadline bounds a call.
func TestNoTimeoutButTheContexts(t *testing.T) {
	fixture.NoTimeoutButTheContexts(t, methodCases)
}

// Answers are decoded as the engine decodes them: the first JSON value,
// unknown keys dropped, keys matched without regard to case.
func TestAnswerDecoding(t *testing.T) {
	c, fake := fixture.Serve(t)
	fake.Handle("NetworkDriver.Join", typedtest.Raw(`{"Gateway":"10.0.0.1","Extra":{"a":1},"err":""} trailing`))
	resp, err := c.Join(context.Background(), network.JoinRequest{})
	require.NoError(t, err)
	assert.Equal(t, network.JoinResponse{Gateway: "10.0.0.1"}, resp, "a null InterfaceName stays nil")

	fake.Handle("NetworkDriver.Leave", typedtest.Raw(`{"err":"lower case"}`))
	err = c.Leave(context.Background(), network.LeaveRequest{})
	assert.EqualError(t, err, "remote: lower case", "keys match as in encoding/json: without regard to case")
}

func TestFromPlugin(t *testing.T) {
	env := pluginstest.New(t)
	env.ServeSocket("vol", "VolumeDriver")
	err := fixture.FromOther(t, env, "vol", "VolumeDriver")
	assert.ErrorIs(t, err, plugins.ErrNotImplements)
	assert.EqualError(t, err, `Plugin does not implement the requested driver: plugin="vol", requested implementation="NetworkDriver"`)

	assert.Equal(t, "NetworkDriver", network.Interface)
}

func TestIPAMDataJSON(t *testing.T) {
	for _, tc := range []struct {
		name string
		data network.IPAMData
		json string
	}{
		{"unset", network.IPAMData{}, `{"AddressSpace":""}`},
		{"pool only", network.IPAMData{AddressSpace: "s", Pool: netip.MustParsePrefix("10.0.0.0/8")}, `{"AddressSpace":"s","Pool":"10.0.0.0/8"}`},
		{
			"gateway keeps its address", network.IPAMData{Gateway: netip.MustParsePrefix("172.18.0.1/16")},
			`{"AddressSpace":"","Gateway":"172.18.0.1/16"}`,
		},
		{
			"empty aux addresses are sent", network.IPAMData{AuxAddresses: map[string]netip.Prefix{}},
			`{"AddressSpace":"","AuxAddresses":{}}`,
		},
		{
			"IPv6, sorted keys", network.IPAMData{
				AddressSpace: "LocalDefault",
				Pool:         netip.MustParsePrefix("2001:db8::/64"),
				Gateway:      netip.MustParsePrefix("2001:db8::1/64"),
				AuxAddresses: map[string]netip.Prefix{"b": netip.MustParsePrefix("2001:db8::b/64"), "a": netip.MustParsePrefix("2001:db8::a/64")},
			},
			`{"AddressSpace":"LocalDefault","AuxAddresses":{"a":"2001:db8::a/64","b":"2001:db8::b/64"},"Gateway":"2001:db8::1/64","Pool":"2001:db8::/64"}`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := json.Marshal(tc.data)
			require.NoError(t, err)
			assert.Equal(t, tc.json, string(b))

			var back network.IPAMData
			require.NoError(t, json.Unmarshal(b, &back))
			assert.Equal(t, tc.data, back)
		})
	}

	var d network.IPAMData
	require.NoError(t, json.Unmarshal([]byte(`{"AddressSpace":"s","Pool":null,"Gateway":""}`), &d))
	assert.Equal(t, network.IPAMData{AddressSpace: "s"}, d, "null and empty are unset")
	for _, bad := range []string{`{"Pool":"10.0.0.0"}`, `{"Gateway":"x/8"}`, `{"AuxAddresses":{"r":"10.0.0.1"}}`, `{"Pool":1}`} {
		assert.Error(t, json.Unmarshal([]byte(bad), &d), bad)
	}
}
