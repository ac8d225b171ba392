package network_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/netip"
	"testing"
	"time"

	"github.com/go-dockerplugins/plugins"
	"github.com/go-dockerplugins/plugins/network"
	"github.com/go-dockerplugins/plugins/pluginstest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// serve serves a fake network driver and returns a typed client of it.
func serve(t *testing.T) (*network.Client, *pluginstest.Plugin) {
	t.Helper()
	env := pluginstest.New(t)
	fake := env.ServeSocket("mynet", network.Interface)
	p, err := env.Store().Get("mynet", network.Interface)
	require.NoError(t, err)
	c, err := network.FromPlugin(p)
	require.NoError(t, err)
	return c, fake
}

// raw answers 200 with body, as is.
func raw(body string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", pluginstest.MediaType)
		_, _ = w.Write([]byte(body))
	})
}

var ipv4 = []network.IPAMData{{
	AddressSpace: "LocalDefault",
	Pool:         netip.MustParsePrefix("10.10.0.0/16"),
	Gateway:      netip.MustParsePrefix("10.10.0.1/16"),
	AuxAddresses: map[string]netip.Prefix{"router": netip.MustParsePrefix("10.10.0.254/16")},
}}

// ipv4JSON is ipv4 as the engine encodes it: keys sorted, CIDR strings.
const ipv4JSON = `[{"AddressSpace":"LocalDefault","AuxAddresses":{"router":"10.10.0.254/16"},"Gateway":"10.10.0.1/16","Pool":"10.10.0.0/16"}]`

// methodCase is one method: how to call it, the request the engine would
// send for the same arguments, an answer and what it decodes to.
type methodCase struct {
	method   string
	call     func(context.Context, *network.Client) (any, error)
	wantBody string // exact bytes, newline included; "" for no body
	answer   string
	want     any // decoded answer; nil for methods whose answer holds only Err
	optional bool
}

var methodCases = []methodCase{
	{
		method: "NetworkDriver.GetCapabilities",
		call: func(ctx context.Context, c *network.Client) (any, error) {
			return c.GetCapabilities(ctx)
		},
		wantBody: "",
		answer:   `{"Scope":"local","ConnectivityScope":"global","GwAllocChecker":true}`,
		want:     network.CapabilitiesResponse{Scope: network.LocalScope, ConnectivityScope: network.GlobalScope, GwAllocChecker: true},
	},
	{
		method: "NetworkDriver.GwAllocCheck",
		call: func(ctx context.Context, c *network.Client) (any, error) {
			return c.GwAllocCheck(ctx, network.GwAllocCheckRequest{Options: map[string]any{"com.docker.network.enable_ipv6": true}})
		},
		wantBody: `{"Options":{"com.docker.network.enable_ipv6":true}}` + "\n",
		answer:   `{"SkipIPv4":true,"SkipIPv6":false}`,
		want:     network.GwAllocCheckResponse{SkipIPv4: true},
	},
	{
		method: "NetworkDriver.CreateNetwork",
		call: func(ctx context.Context, c *network.Client) (any, error) {
			return nil, c.CreateNetwork(ctx, network.CreateNetworkRequest{NetworkID: "n1", IPv4Data: ipv4})
		},
		wantBody: `{"NetworkID":"n1","Options":null,"IPv4Data":` + ipv4JSON + `,"IPv6Data":null}` + "\n",
		answer:   `{}`,
	},
	{
		method: "NetworkDriver.DeleteNetwork",
		call: func(ctx context.Context, c *network.Client) (any, error) {
			return nil, c.DeleteNetwork(ctx, network.DeleteNetworkRequest{NetworkID: "n1"})
		},
		wantBody: `{"NetworkID":"n1"}` + "\n",
		answer:   `{"Err":""}`,
	},
	{
		method: "NetworkDriver.AllocateNetwork",
		call: func(ctx context.Context, c *network.Client) (any, error) {
			return c.AllocateNetwork(ctx, network.AllocateNetworkRequest{
				NetworkID: "s1", Options: map[string]string{"mtu": "1450"},
				IPv4Data: []network.IPAMData{{Pool: netip.MustParsePrefix("10.0.9.0/24"), Gateway: netip.MustParsePrefix("10.0.9.1/24")}},
			})
		},
		wantBody: `{"NetworkID":"s1","Options":{"mtu":"1450"},"IPv4Data":[{"AddressSpace":"","Gateway":"10.0.9.1/24","Pool":"10.0.9.0/24"}],"IPv6Data":null}` + "\n",
		answer:   `{"Options":{"vxlanid":"4097"}}`,
		want:     network.AllocateNetworkResponse{Options: map[string]string{"vxlanid": "4097"}},
	},
	{
		method: "NetworkDriver.FreeNetwork",
		call: func(ctx context.Context, c *network.Client) (any, error) {
			return nil, c.FreeNetwork(ctx, network.FreeNetworkRequest{NetworkID: "s1"})
		},
		wantBody: `{"NetworkID":"s1"}` + "\n",
		answer:   `{}`,
	},
	{
		method: "NetworkDriver.CreateEndpoint",
		call: func(ctx context.Context, c *network.Client) (any, error) {
			return c.CreateEndpoint(ctx, network.CreateEndpointRequest{
				NetworkID: "n1", EndpointID: "e1", Interface: &network.EndpointInterface{Address: "10.10.0.2/16"},
			})
		},
		wantBody: `{"NetworkID":"n1","EndpointID":"e1","Interface":{"Address":"10.10.0.2/16","AddressIPv6":"","MacAddress":""},"Options":null}` + "\n",
		answer:   `{"Interface":{"MacAddress":"02:42:0a:0a:00:02"}}`,
		want:     network.CreateEndpointResponse{Interface: &network.EndpointInterface{MacAddress: "02:42:0a:0a:00:02"}},
	},
	{
		method: "NetworkDriver.DeleteEndpoint",
		call: func(ctx context.Context, c *network.Client) (any, error) {
			return nil, c.DeleteEndpoint(ctx, network.DeleteEndpointRequest{NetworkID: "n1", EndpointID: "e1"})
		},
		wantBody: `{"NetworkID":"n1","EndpointID":"e1"}` + "\n",
		answer:   `{}`,
	},
	{
		method: "NetworkDriver.EndpointOperInfo",
		call: func(ctx context.Context, c *network.Client) (any, error) {
			return c.EndpointOperInfo(ctx, network.EndpointInfoRequest{NetworkID: "n1", EndpointID: "e1"})
		},
		wantBody: `{"NetworkID":"n1","EndpointID":"e1"}` + "\n",
		answer:   `{"Value":{"mtu":1500,"ports":[80]}}`,
		want:     network.EndpointInfoResponse{Value: map[string]any{"mtu": float64(1500), "ports": []any{float64(80)}}},
	},
	{
		method: "NetworkDriver.Join",
		call: func(ctx context.Context, c *network.Client) (any, error) {
			return c.Join(ctx, network.JoinRequest{NetworkID: "n1", EndpointID: "e1", SandboxKey: "/var/run/docker/netns/x"})
		},
		wantBody: `{"NetworkID":"n1","EndpointID":"e1","SandboxKey":"/var/run/docker/netns/x","Options":null}` + "\n",
		answer: `{"InterfaceName":{"SrcName":"veth1","DstName":"ignored","DstPrefix":"eth"},"Gateway":"10.10.0.1","GatewayIPv6":"",` +
			`"StaticRoutes":[{"Destination":"10.20.0.0/16","RouteType":0,"NextHop":"10.10.0.254"},{"Destination":"10.30.0.0/16","RouteType":1}],` +
			`"DisableGatewayService":true}`,
		want: network.JoinResponse{
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
		method: "NetworkDriver.Leave",
		call: func(ctx context.Context, c *network.Client) (any, error) {
			return nil, c.Leave(ctx, network.LeaveRequest{NetworkID: "n1", EndpointID: "e1"})
		},
		wantBody: `{"NetworkID":"n1","EndpointID":"e1"}` + "\n",
		answer:   `{}`,
	},
	{
		method: "NetworkDriver.ProgramExternalConnectivity",
		call: func(ctx context.Context, c *network.Client) (any, error) {
			return nil, c.ProgramExternalConnectivity(ctx, network.ProgramExternalConnectivityRequest{
				NetworkID: "n1", EndpointID: "e1", Options: map[string]any{"com.docker.network.driver.private.no_proxy_6to4": true},
			})
		},
		wantBody: `{"NetworkID":"n1","EndpointID":"e1","Options":{"com.docker.network.driver.private.no_proxy_6to4":true}}` + "\n",
		answer:   `{}`,
		optional: true,
	},
	{
		method: "NetworkDriver.RevokeExternalConnectivity",
		call: func(ctx context.Context, c *network.Client) (any, error) {
			return nil, c.RevokeExternalConnectivity(ctx, network.RevokeExternalConnectivityRequest{NetworkID: "n1", EndpointID: "e1"})
		},
		wantBody: `{"NetworkID":"n1","EndpointID":"e1"}` + "\n",
		answer:   `{}`,
		optional: true,
	},
	{
		method: "NetworkDriver.DiscoverNew",
		call: func(ctx context.Context, c *network.Client) (any, error) {
			return nil, c.DiscoverNew(ctx, network.DiscoveryNotification{
				DiscoveryType: network.NodeDiscovery, DiscoveryData: network.NodeDiscoveryData{Address: "192.168.1.5", Self: true},
			})
		},
		wantBody: `{"DiscoveryType":1,"DiscoveryData":{"Address":"192.168.1.5","BindAddress":"","Self":true}}` + "\n",
		answer:   `{}`,
	},
	{
		method: "NetworkDriver.DiscoverDelete",
		call: func(ctx context.Context, c *network.Client) (any, error) {
			return nil, c.DiscoverDelete(ctx, network.DiscoveryNotification{
				DiscoveryType: network.NodeDiscovery, DiscoveryData: network.NodeDiscoveryData{Address: "192.168.1.5"},
			})
		},
		wantBody: `{"DiscoveryType":1,"DiscoveryData":{"Address":"192.168.1.5","BindAddress":"","Self":false}}` + "\n",
		answer:   `{}`,
	},
}

func TestMethods(t *testing.T) {
	require.Len(t, methodCases, 15, "every method the engine sends")
	for _, tc := range methodCases {
		t.Run(tc.method, func(t *testing.T) {
			c, fake := serve(t)
			ctx := context.Background()

			fake.Handle(tc.method, raw(tc.answer))
			got, err := tc.call(ctx, c)
			require.NoError(t, err)
			if tc.want != nil {
				assert.Equal(t, tc.want, got, "the answer decoded")
			}
			calls := fake.Calls(tc.method)
			require.Len(t, calls, 1)
			assert.Equal(t, tc.wantBody, string(calls[0].Body), "the request, as the engine sends it")
			assert.EqualValues(t, len(tc.wantBody), calls[0].ContentLength)

			// A 200 answer with Err: the engine's error.
			fake.Handle(tc.method, raw(`{"Err":"no such network"}`))
			_, err = tc.call(ctx, c)
			assert.EqualError(t, err, "remote: no such network")
			var ae *plugins.AnswerError
			require.ErrorAs(t, err, &ae)
			assert.Equal(t, plugins.AnswerError{Method: tc.method, Message: "no such network", Prefix: "remote: "}, *ae)

			// Another status: the client's error, whatever the method.
			fake.Handle(tc.method, pluginstest.ReplyError(http.StatusInternalServerError, "driver busy"))
			_, err = tc.call(ctx, c)
			assert.EqualError(t, err, tc.method+": driver busy")
			var se *plugins.StatusError
			require.ErrorAs(t, err, &se)
			assert.Equal(t, http.StatusInternalServerError, se.StatusCode)
			assert.False(t, errors.As(err, &ae))

			// A 200 answer without a body fails, as in the engine.
			fake.Handle(tc.method, http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
			_, err = tc.call(ctx, c)
			assert.Error(t, err)

			// 404: a method the plugin does not implement.
			fake.Handle(tc.method, http.NotFoundHandler())
			_, err = tc.call(ctx, c)
			if tc.optional {
				assert.NoError(t, err, "optional: the engine takes a 404 for success")
			} else {
				assert.True(t, plugins.IsNotFound(err), "%v", err)
				assert.EqualError(t, err, tc.method+": 404 page not found\n")
			}
		})
	}
}

// The engine sets no timeout on a network driver's calls: a slow answer is
// waited for, and only the context's deadline bounds a call.
func TestNoTimeoutButTheContexts(t *testing.T) {
	for _, tc := range methodCases {
		t.Run(tc.method, func(t *testing.T) {
			t.Parallel()
			c, fake := serve(t)
			fake.Handle(tc.method, raw(tc.answer)).
				Inject(pluginstest.Fault{Method: tc.method, Times: 1, Delay: 300 * time.Millisecond})
			_, err := tc.call(context.Background(), c)
			require.NoError(t, err, "no timeout of its own")

			fake.Inject(pluginstest.Fault{Method: tc.method, Times: 1, Delay: 10 * time.Second})
			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			defer cancel()
			start := time.Now()
			_, err = tc.call(ctx, c)
			assert.ErrorIs(t, err, context.DeadlineExceeded)
			assert.Less(t, time.Since(start), 5*time.Second, "the context's deadline ends the call")
		})
	}
}

// Answers are decoded as the engine decodes them: the first JSON value,
// unknown keys dropped, keys matched without regard to case.
func TestAnswerDecoding(t *testing.T) {
	c, fake := serve(t)
	fake.Handle("NetworkDriver.Join", raw(`{"Gateway":"10.0.0.1","Extra":{"a":1},"err":""} trailing`))
	resp, err := c.Join(context.Background(), network.JoinRequest{})
	require.NoError(t, err)
	assert.Equal(t, network.JoinResponse{Gateway: "10.0.0.1"}, resp, "a null InterfaceName stays nil")

	fake.Handle("NetworkDriver.Leave", raw(`{"err":"lower case"}`))
	err = c.Leave(context.Background(), network.LeaveRequest{})
	assert.EqualError(t, err, "remote: lower case", "keys match as in encoding/json: without regard to case")
}

func TestFromPlugin(t *testing.T) {
	env := pluginstest.New(t)
	env.ServeSocket("vol", "VolumeDriver")
	p, err := env.Store().Get("vol", "VolumeDriver")
	require.NoError(t, err)
	_, err = network.FromPlugin(p)
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
