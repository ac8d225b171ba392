package network_test

import (
	"encoding/json"
	"net"
	"net/netip"
	"testing"

	"github.com/docker/docker/libnetwork/discoverapi"
	"github.com/docker/docker/libnetwork/driverapi"
	"github.com/docker/docker/libnetwork/drivers/remote/api"
	"github.com/docker/docker/libnetwork/scope"
	"github.com/docker/docker/libnetwork/types"
	"github.com/go-dockerplugins/plugins/interop/internal/enginetest"
	"github.com/go-dockerplugins/plugins/network"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every request type marshals, for the same values, to the bytes of the
// engine's own type; zero values included (nil maps and slices are null).
func TestRequestTypesAgree(t *testing.T) {
	opts := map[string]any{"com.docker.network.generic": map[string]any{"a": "b"}, "<&>": 1.5}
	engData := []driverapi.IPAMData{{
		AddressSpace: "s",
		Pool:         mustCIDR(t, "10.0.0.0/8"),
		Gateway:      mustCIDR(t, "10.0.0.1/8"),
		AuxAddresses: map[string]*net.IPNet{"r": mustCIDR(t, "10.0.0.2/8")},
	}}
	ourData := []network.IPAMData{{
		AddressSpace: "s",
		Pool:         netip.MustParsePrefix("10.0.0.0/8"),
		Gateway:      netip.MustParsePrefix("10.0.0.1/8"),
		AuxAddresses: map[string]netip.Prefix{"r": netip.MustParsePrefix("10.0.0.2/8")},
	}}
	enginetest.RequestsAgree(t, []enginetest.RequestCase{
		{api.GwAllocCheckerRequest{}, network.GwAllocCheckRequest{}},
		{api.GwAllocCheckerRequest{Options: opts}, network.GwAllocCheckRequest{Options: opts}},
		{api.CreateNetworkRequest{}, network.CreateNetworkRequest{}},
		{
			api.CreateNetworkRequest{NetworkID: "n", Options: opts, IPv4Data: engData, IPv6Data: []driverapi.IPAMData{}},
			network.CreateNetworkRequest{NetworkID: "n", Options: opts, IPv4Data: ourData, IPv6Data: []network.IPAMData{}},
		},
		{api.DeleteNetworkRequest{NetworkID: "n"}, network.DeleteNetworkRequest{NetworkID: "n"}},
		{api.AllocateNetworkRequest{}, network.AllocateNetworkRequest{}},
		{
			api.AllocateNetworkRequest{NetworkID: "n", Options: map[string]string{"k": "v"}, IPv6Data: engData},
			network.AllocateNetworkRequest{NetworkID: "n", Options: map[string]string{"k": "v"}, IPv6Data: ourData},
		},
		{api.FreeNetworkRequest{NetworkID: "n"}, network.FreeNetworkRequest{NetworkID: "n"}},
		{api.CreateEndpointRequest{}, network.CreateEndpointRequest{}},
		{
			api.CreateEndpointRequest{NetworkID: "n", EndpointID: "e", Interface: &api.EndpointInterface{Address: "a", AddressIPv6: "b", MacAddress: "c"}, Options: opts},
			network.CreateEndpointRequest{NetworkID: "n", EndpointID: "e", Interface: &network.EndpointInterface{Address: "a", AddressIPv6: "b", MacAddress: "c"}, Options: opts},
		},
		{api.DeleteEndpointRequest{NetworkID: "n", EndpointID: "e"}, network.DeleteEndpointRequest{NetworkID: "n", EndpointID: "e"}},
		{api.EndpointInfoRequest{NetworkID: "n", EndpointID: "e"}, network.EndpointInfoRequest{NetworkID: "n", EndpointID: "e"}},
		{api.JoinRequest{}, network.JoinRequest{}},
		{
			api.JoinRequest{NetworkID: "n", EndpointID: "e", SandboxKey: "/k", Options: opts},
			network.JoinRequest{NetworkID: "n", EndpointID: "e", SandboxKey: "/k", Options: opts},
		},
		{api.LeaveRequest{NetworkID: "n", EndpointID: "e"}, network.LeaveRequest{NetworkID: "n", EndpointID: "e"}},
		{api.ProgramExternalConnectivityRequest{}, network.ProgramExternalConnectivityRequest{}},
		{
			api.ProgramExternalConnectivityRequest{NetworkID: "n", EndpointID: "e", Options: opts},
			network.ProgramExternalConnectivityRequest{NetworkID: "n", EndpointID: "e", Options: opts},
		},
		{api.RevokeExternalConnectivityRequest{NetworkID: "n", EndpointID: "e"}, network.RevokeExternalConnectivityRequest{NetworkID: "n", EndpointID: "e"}},
		{api.DiscoveryNotification{}, network.DiscoveryNotification{}},
		{
			api.DiscoveryNotification{DiscoveryType: discoverapi.NodeDiscovery, DiscoveryData: discoverapi.NodeDiscoveryData{Address: "a", BindAddress: "b", Self: true}},
			network.DiscoveryNotification{DiscoveryType: network.NodeDiscovery, DiscoveryData: network.NodeDiscoveryData{Address: "a", BindAddress: "b", Self: true}},
		},
	})
}

// Every answer type decodes what the engine's type decodes: the same JSON
// read into both, written back, gives the same bytes.
func TestAnswerTypesAgree(t *testing.T) {
	enginetest.AnswersAgree(t, []enginetest.AnswerCase{
		{Engine: new(api.Response), Ours: new(network.Response), Answers: []string{`{}`, `{"Err":"x"}`, `{"err":"y"}`, `{"Err":null}`}},
		{Engine: new(api.GetCapabilityResponse), Ours: new(network.CapabilitiesResponse), Answers: []string{
			`{"Scope":"local","ConnectivityScope":"global","GwAllocChecker":true,"Err":"e"}`, `{"scope":"global","extra":1}`,
		}},
		{Engine: new(api.GwAllocCheckerResponse), Ours: new(network.GwAllocCheckResponse), Answers: []string{`{"SkipIPv4":true,"SkipIPv6":true}`, `{"skipipv6":true}`}},
		{Engine: new(api.AllocateNetworkResponse), Ours: new(network.AllocateNetworkResponse), Answers: []string{`{"Options":{"a":"b"}}`, `{"Options":null}`, `{"Options":{}}`}},
		{Engine: new(api.CreateEndpointResponse), Ours: new(network.CreateEndpointResponse), Answers: []string{
			`{"Interface":{"Address":"10.0.0.2/24","AddressIPv6":"fd00::2/64","MacAddress":"02:42:00:00:00:01"}}`, `{"Interface":null}`, `{"Interface":{}}`,
		}},
		{Engine: new(api.EndpointInfoResponse), Ours: new(network.EndpointInfoResponse), Answers: []string{`{"Value":{"a":[1,"b",{"c":null}],"d":true}}`, `{"Value":null}`}},
		{Engine: new(api.JoinResponse), Ours: new(network.JoinResponse), Answers: []string{
			`{"InterfaceName":{"SrcName":"veth0","DstName":"eth9","DstPrefix":"eth"},"Gateway":"10.0.0.1","GatewayIPv6":"fd00::1",` +
				`"StaticRoutes":[{"Destination":"10.1.0.0/16","RouteType":1,"NextHop":""}],"DisableGatewayService":true}`,
			`{"InterfaceName":null,"StaticRoutes":null}`,
			`{"InterfaceName":{"SrcName":"v","DstPrefix":"e"},"StaticRoutes":[]}`,
		}},
	})
}

// IPAMData: the engine's custom JSON, both ways.
func TestIPAMDataAgrees(t *testing.T) {
	for _, tc := range []struct {
		name   string
		engine driverapi.IPAMData
		ours   network.IPAMData
	}{
		{"zero", driverapi.IPAMData{}, network.IPAMData{}},
		{"empty aux", driverapi.IPAMData{AuxAddresses: map[string]*net.IPNet{}}, network.IPAMData{AuxAddresses: map[string]netip.Prefix{}}},
		{
			"IPv4", driverapi.IPAMData{AddressSpace: "LocalDefault", Pool: mustCIDR(t, "192.168.0.0/20"), Gateway: mustCIDR(t, "192.168.0.1/20")},
			network.IPAMData{AddressSpace: "LocalDefault", Pool: netip.MustParsePrefix("192.168.0.0/20"), Gateway: netip.MustParsePrefix("192.168.0.1/20")},
		},
		{
			"IPv6 with aux", driverapi.IPAMData{
				Pool:         mustCIDR(t, "2001:db8::/56"),
				AuxAddresses: map[string]*net.IPNet{"z": mustCIDR(t, "2001:db8::ff/56"), "<a&b>": mustCIDR(t, "2001:db8::fe/56")},
			},
			network.IPAMData{
				Pool:         netip.MustParsePrefix("2001:db8::/56"),
				AuxAddresses: map[string]netip.Prefix{"z": netip.MustParsePrefix("2001:db8::ff/56"), "<a&b>": netip.MustParsePrefix("2001:db8::fe/56")},
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want, err := json.Marshal(&tc.engine)
			require.NoError(t, err)
			got, err := json.Marshal(tc.ours)
			require.NoError(t, err)
			assert.Equal(t, string(want), string(got))

			// Each reads the other's JSON back to the same values.
			var engBack driverapi.IPAMData
			require.NoError(t, json.Unmarshal(got, &engBack))
			var ourBack network.IPAMData
			require.NoError(t, json.Unmarshal(want, &ourBack))
			assert.Equal(t, tc.ours, ourBack)
			again, err := json.Marshal(&engBack)
			require.NoError(t, err)
			assert.Equal(t, string(want), string(again))
		})
	}
}

func mustCIDR(t *testing.T, s string) *net.IPNet {
	n, err := types.ParseCIDR(s)
	require.NoError(t, err)
	return n
}

// The names and numbers the package defines are the engine's.
func TestConstantsAgree(t *testing.T) {
	assert.Equal(t, driverapi.NetworkPluginEndpointType, network.Interface)
	assert.Equal(t, scope.Local, network.LocalScope)
	assert.Equal(t, scope.Global, network.GlobalScope)
	assert.EqualValues(t, discoverapi.NodeDiscovery, network.NodeDiscovery)
	assert.EqualValues(t, types.NEXTHOP, network.RouteNextHop)
	assert.EqualValues(t, types.CONNECTED, network.RouteConnected)
}
