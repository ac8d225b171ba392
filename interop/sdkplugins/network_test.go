package sdkplugins_test

import (
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/docker/go-plugins-helpers/network"
)

// memNetworks is an in-memory network driver: networks, their endpoints,
// and what the engine told it, so that answers reflect the arguments.
type memNetworks struct {
	mu        sync.Mutex
	networks  map[string]*network.CreateNetworkRequest
	endpoints map[string]*memEndpoint // by network/endpoint ID
	peers     map[string]interface{}  // discovery data by type
}

type memEndpoint struct {
	iface   network.EndpointInterface
	sandbox string
	exposed map[string]interface{}
}

var _ network.Driver = (*memNetworks)(nil)

func newMemNetworks() *memNetworks {
	return &memNetworks{
		networks:  make(map[string]*network.CreateNetworkRequest),
		endpoints: make(map[string]*memEndpoint),
		peers:     make(map[string]interface{}),
	}
}

func (d *memNetworks) GetCapabilities() (*network.CapabilitiesResponse, error) {
	return &network.CapabilitiesResponse{Scope: network.LocalScope, ConnectivityScope: network.GlobalScope}, nil
}

func (d *memNetworks) CreateNetwork(r *network.CreateNetworkRequest) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.networks[r.NetworkID]; ok {
		return fmt.Errorf("network %s exists", r.NetworkID)
	}
	d.networks[r.NetworkID] = r
	return nil
}

func (d *memNetworks) AllocateNetwork(r *network.AllocateNetworkRequest) (*network.AllocateNetworkResponse, error) {
	if len(r.IPv4Data) == 0 {
		return nil, fmt.Errorf("network %s: no IPv4 pool", r.NetworkID)
	}
	return &network.AllocateNetworkResponse{Options: map[string]string{
		"com.docker.network.driver.overlay.vxlanid_list": "4097",
		"pool": r.IPv4Data[0].Pool,
		"mtu":  r.Options["com.docker.network.driver.mtu"],
	}}, nil
}

func (d *memNetworks) FreeNetwork(r *network.FreeNetworkRequest) error { return nil }

func (d *memNetworks) DeleteNetwork(r *network.DeleteNetworkRequest) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.networks[r.NetworkID]; !ok {
		return fmt.Errorf("no such network: %s", r.NetworkID)
	}
	delete(d.networks, r.NetworkID)
	return nil
}

func (d *memNetworks) CreateEndpoint(r *network.CreateEndpointRequest) (*network.CreateEndpointResponse, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.networks[r.NetworkID]; !ok {
		return nil, fmt.Errorf("no such network: %s", r.NetworkID)
	}
	ep := &memEndpoint{}
	res := &network.CreateEndpointResponse{}
	if r.Interface != nil {
		ep.iface = *r.Interface
	}
	if ep.iface.MacAddress == "" {
		// The engine accepts an interface back only for what it left out.
		ep.iface.MacAddress = "02:42:0a:0a:00:02"
		res.Interface = &network.EndpointInterface{MacAddress: ep.iface.MacAddress}
	}
	d.endpoints[r.NetworkID+"/"+r.EndpointID] = ep
	return res, nil
}

func (d *memNetworks) DeleteEndpoint(r *network.DeleteEndpointRequest) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, err := d.endpoint(r.NetworkID, r.EndpointID); err != nil {
		return err
	}
	delete(d.endpoints, r.NetworkID+"/"+r.EndpointID)
	return nil
}

func (d *memNetworks) EndpointInfo(r *network.InfoRequest) (*network.InfoResponse, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	ep, err := d.endpoint(r.NetworkID, r.EndpointID)
	if err != nil {
		return nil, err
	}
	return &network.InfoResponse{Value: map[string]string{
		"address": ep.iface.Address, "mac": ep.iface.MacAddress, "sandbox": ep.sandbox,
		"exposed": fmt.Sprint(ep.exposed["com.docker.network.endpoint.exposedports"]),
	}}, nil
}

func (d *memNetworks) Join(r *network.JoinRequest) (*network.JoinResponse, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	ep, err := d.endpoint(r.NetworkID, r.EndpointID)
	if err != nil {
		return nil, err
	}
	ep.sandbox = r.SandboxKey
	return &network.JoinResponse{
		InterfaceName: network.InterfaceName{SrcName: "veth" + r.EndpointID[:4], DstPrefix: "eth"},
		Gateway:       "10.10.0.1",
		StaticRoutes:  []*network.StaticRoute{{Destination: "10.20.0.0/16", RouteType: 0, NextHop: "10.10.0.254"}},
	}, nil
}

func (d *memNetworks) Leave(r *network.LeaveRequest) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	ep, err := d.endpoint(r.NetworkID, r.EndpointID)
	if err != nil {
		return err
	}
	if ep.sandbox == "" {
		return fmt.Errorf("endpoint %s has not joined", r.EndpointID)
	}
	ep.sandbox = ""
	return nil
}

func (d *memNetworks) DiscoverNew(r *network.DiscoveryNotification) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.peers[fmt.Sprint(r.DiscoveryType)] = r.DiscoveryData
	return nil
}

func (d *memNetworks) DiscoverDelete(r *network.DiscoveryNotification) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	key := fmt.Sprint(r.DiscoveryType)
	if _, ok := d.peers[key]; !ok {
		return fmt.Errorf("no discovery of type %s", key)
	}
	delete(d.peers, key)
	return nil
}

func (d *memNetworks) ProgramExternalConnectivity(r *network.ProgramExternalConnectivityRequest) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	ep, err := d.endpoint(r.NetworkID, r.EndpointID)
	if err != nil {
		return err
	}
	ep.exposed = r.Options
	return nil
}

func (d *memNetworks) RevokeExternalConnectivity(r *network.RevokeExternalConnectivityRequest) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	ep, err := d.endpoint(r.NetworkID, r.EndpointID)
	if err != nil {
		return err
	}
	ep.exposed = nil
	return nil
}

func (d *memNetworks) endpoint(nid, eid string) (*memEndpoint, error) {
	ep, ok := d.endpoints[nid+"/"+eid]
	if !ok {
		return nil, fmt.Errorf("no endpoint %s on network %s", eid, nid)
	}
	return ep, nil
}

func TestNetworkDriver(t *testing.T) {
	const nid, eid = "4f7c1d0e9b2a", "a1b2c3d4e5f6"
	ok := network.ErrorResponse{}
	ipv4 := []*network.IPAMData{{
		AddressSpace: "LocalDefault", Pool: "10.10.0.0/16", Gateway: "10.10.0.1/16",
		AuxAddresses: map[string]interface{}{"router": "10.10.0.254"},
	}}
	forEachPublication(t, func(t *testing.T, pub publication) {
		p := startPlugin(t, pub, "memnet", network.NewHandler(newMemNetworks()), "NetworkDriver")
		run(t, p.Client, []step{
			{method: "NetworkDriver.GetCapabilities", want: network.CapabilitiesResponse{Scope: "local", ConnectivityScope: "global"}},
			{method: "NetworkDriver.CreateNetwork", args: network.CreateNetworkRequest{
				NetworkID: nid, IPv4Data: ipv4,
				Options: map[string]interface{}{"com.docker.network.generic": map[string]interface{}{"vlan": "42"}, "com.docker.network.enable_ipv6": false},
			}, want: ok},
			{
				method: "NetworkDriver.CreateNetwork", args: network.CreateNetworkRequest{NetworkID: nid},
				wantErr: "NetworkDriver.CreateNetwork: network " + nid + " exists", wantStatus: http.StatusInternalServerError,
			},
			{method: "NetworkDriver.AllocateNetwork", args: network.AllocateNetworkRequest{
				NetworkID: "swarm1", Options: map[string]string{"com.docker.network.driver.mtu": "1450"},
				IPv4Data: []network.IPAMData{{AddressSpace: "GlobalDefault", Pool: "10.0.9.0/24", Gateway: "10.0.9.1/24"}},
			}, want: network.AllocateNetworkResponse{Options: map[string]string{
				"com.docker.network.driver.overlay.vxlanid_list": "4097", "pool": "10.0.9.0/24", "mtu": "1450",
			}}},
			{
				method: "NetworkDriver.AllocateNetwork", args: network.AllocateNetworkRequest{NetworkID: "swarm2"},
				wantErr: "NetworkDriver.AllocateNetwork: network swarm2: no IPv4 pool", wantStatus: http.StatusInternalServerError,
			},
			{method: "NetworkDriver.FreeNetwork", args: network.FreeNetworkRequest{NetworkID: "swarm1"}, want: ok},
			{method: "NetworkDriver.CreateEndpoint", args: network.CreateEndpointRequest{
				NetworkID: nid, EndpointID: eid, Interface: &network.EndpointInterface{Address: "10.10.0.2/16"},
				Options: map[string]interface{}{"com.docker.network.endpoint.exposedports": []interface{}{}},
			}, want: network.CreateEndpointResponse{Interface: &network.EndpointInterface{MacAddress: "02:42:0a:0a:00:02"}}},
			{method: "NetworkDriver.Join", args: network.JoinRequest{
				NetworkID: nid, EndpointID: eid, SandboxKey: "/var/run/docker/netns/7d1ba2a4d6c9", Options: map[string]interface{}{},
			}, want: network.JoinResponse{
				InterfaceName: network.InterfaceName{SrcName: "vetha1b2", DstPrefix: "eth"},
				Gateway:       "10.10.0.1",
				StaticRoutes:  []*network.StaticRoute{{Destination: "10.20.0.0/16", NextHop: "10.10.0.254"}},
			}},
			{method: "NetworkDriver.ProgramExternalConnectivity", args: network.ProgramExternalConnectivityRequest{
				NetworkID: nid, EndpointID: eid,
				Options: map[string]interface{}{"com.docker.network.endpoint.exposedports": []interface{}{map[string]interface{}{"Proto": 6, "Port": 80}}},
			}, want: ok},
			{method: "NetworkDriver.EndpointOperInfo", args: network.InfoRequest{NetworkID: nid, EndpointID: eid}, want: network.InfoResponse{Value: map[string]string{
				"address": "10.10.0.2/16", "mac": "02:42:0a:0a:00:02", "sandbox": "/var/run/docker/netns/7d1ba2a4d6c9",
				"exposed": "[map[Port:80 Proto:6]]",
			}}},
			{method: "NetworkDriver.RevokeExternalConnectivity", args: network.RevokeExternalConnectivityRequest{NetworkID: nid, EndpointID: eid}, want: ok},
			{method: "NetworkDriver.DiscoverNew", args: network.DiscoveryNotification{
				DiscoveryType: 1, DiscoveryData: map[string]interface{}{"Address": "192.168.1.5", "BindAddress": "0.0.0.0", "Self": true},
			}, want: ok},
			{method: "NetworkDriver.DiscoverDelete", args: network.DiscoveryNotification{DiscoveryType: 1}, want: ok},
			{
				method: "NetworkDriver.DiscoverDelete", args: network.DiscoveryNotification{DiscoveryType: 1},
				wantErr: "NetworkDriver.DiscoverDelete: no discovery of type 1", wantStatus: http.StatusInternalServerError,
			},
			{method: "NetworkDriver.Leave", args: network.LeaveRequest{NetworkID: nid, EndpointID: eid}, want: ok},
			{
				method: "NetworkDriver.Leave", args: network.LeaveRequest{NetworkID: nid, EndpointID: eid},
				wantErr: "NetworkDriver.Leave: endpoint " + eid + " has not joined", wantStatus: http.StatusInternalServerError,
			},
			{method: "NetworkDriver.DeleteEndpoint", args: network.DeleteEndpointRequest{NetworkID: nid, EndpointID: eid}, want: ok},
			{
				method: "NetworkDriver.Join", args: network.JoinRequest{NetworkID: nid, EndpointID: eid},
				wantErr: "NetworkDriver.Join: no endpoint " + eid + " on network " + nid, wantStatus: http.StatusInternalServerError,
			},
			{method: "NetworkDriver.DeleteNetwork", args: network.DeleteNetworkRequest{NetworkID: nid}, want: ok},
			{
				method: "NetworkDriver.DeleteNetwork", args: network.DeleteNetworkRequest{NetworkID: nid},
				wantErr: "NetworkDriver.DeleteNetwork: no such network: " + nid, wantStatus: http.StatusInternalServerError,
			},
			// Not part of the API the SDK serves.
			{
				method: "NetworkDriver.AllocatePort", args: network.InfoRequest{NetworkID: nid},
				wantErr: "NetworkDriver.AllocatePort: 404 page not found\n", wantStatus: http.StatusNotFound, notFound: true,
			},
		})
	})
}
