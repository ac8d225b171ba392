package sdkplugins_test

import (
	"fmt"
	"net/http"
	"net/netip"
	"sync"
	"testing"

	"github.com/docker/go-plugins-helpers/ipam"
)

// memIPAM is an in-memory IPAM driver: pools by ID and, in each, the
// addresses handed out, from the first one up.
type memIPAM struct {
	mu    sync.Mutex
	pools map[string]*memPool
}

type memPool struct {
	prefix netip.Prefix
	used   map[netip.Addr]bool
}

var _ ipam.Ipam = (*memIPAM)(nil)

func newMemIPAM() *memIPAM { return &memIPAM{pools: make(map[string]*memPool)} }

func (d *memIPAM) GetCapabilities() (*ipam.CapabilitiesResponse, error) {
	return &ipam.CapabilitiesResponse{RequiresMACAddress: true}, nil
}

func (d *memIPAM) GetDefaultAddressSpaces() (*ipam.AddressSpacesResponse, error) {
	return &ipam.AddressSpacesResponse{LocalDefaultAddressSpace: "memlocal", GlobalDefaultAddressSpace: "memglobal"}, nil
}

func (d *memIPAM) RequestPool(r *ipam.RequestPoolRequest) (*ipam.RequestPoolResponse, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	prefix, err := netip.ParsePrefix(r.Pool)
	if err != nil {
		return nil, fmt.Errorf("invalid pool %q", r.Pool)
	}
	id := r.AddressSpace + "/" + prefix.String()
	if _, ok := d.pools[id]; ok {
		return nil, fmt.Errorf("pool %s is already allocated", prefix)
	}
	d.pools[id] = &memPool{prefix: prefix, used: make(map[netip.Addr]bool)}
	return &ipam.RequestPoolResponse{PoolID: id, Pool: prefix.String(), Data: map[string]string{"owner": r.Options["owner"]}}, nil
}

func (d *memIPAM) ReleasePool(r *ipam.ReleasePoolRequest) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.pools[r.PoolID]; !ok {
		return fmt.Errorf("unknown pool %s", r.PoolID)
	}
	delete(d.pools, r.PoolID)
	return nil
}

func (d *memIPAM) RequestAddress(r *ipam.RequestAddressRequest) (*ipam.RequestAddressResponse, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	p, ok := d.pools[r.PoolID]
	if !ok {
		return nil, fmt.Errorf("unknown pool %s", r.PoolID)
	}
	var a netip.Addr
	if r.Address != "" {
		var err error
		if a, err = netip.ParseAddr(r.Address); err != nil || !p.prefix.Contains(a) {
			return nil, fmt.Errorf("address %s is not in pool %s", r.Address, p.prefix)
		}
		if p.used[a] {
			return nil, fmt.Errorf("address %s is in use", a)
		}
	} else {
		for a = p.prefix.Addr().Next(); p.used[a]; a = a.Next() {
		}
	}
	p.used[a] = true
	return &ipam.RequestAddressResponse{
		Address: netip.PrefixFrom(a, p.prefix.Bits()).String(),
		Data:    map[string]string{"mac": r.Options["com.docker.network.endpoint.macaddress"]},
	}, nil
}

func (d *memIPAM) ReleaseAddress(r *ipam.ReleaseAddressRequest) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	p, ok := d.pools[r.PoolID]
	if !ok {
		return fmt.Errorf("unknown pool %s", r.PoolID)
	}
	a, err := netip.ParseAddr(r.Address)
	if err != nil || !p.used[a] {
		return fmt.Errorf("address %s is not allocated", r.Address)
	}
	delete(p.used, a)
	return nil
}

func TestIPAMDriver(t *testing.T) {
	const pool = "memlocal/10.10.0.0/16"
	ok := ipam.ErrorResponse{}
	mac := map[string]string{"com.docker.network.endpoint.macaddress": "02:42:0a:0a:00:05"}
	forEachPublication(t, func(t *testing.T, pub publication) {
		p := startPlugin(t, pub, "memipam", ipam.NewHandler(newMemIPAM()), "IpamDriver")
		run(t, p.Client, []step{
			{method: "IpamDriver.GetCapabilities", want: ipam.CapabilitiesResponse{RequiresMACAddress: true}},
			{method: "IpamDriver.GetDefaultAddressSpaces", want: ipam.AddressSpacesResponse{
				LocalDefaultAddressSpace: "memlocal", GlobalDefaultAddressSpace: "memglobal",
			}},
			{method: "IpamDriver.RequestPool", args: ipam.RequestPoolRequest{
				AddressSpace: "memlocal", Pool: "10.10.0.0/16", Options: map[string]string{"owner": "web"},
			}, want: ipam.RequestPoolResponse{PoolID: pool, Pool: "10.10.0.0/16", Data: map[string]string{"owner": "web"}}},
			{
				method: "IpamDriver.RequestPool", args: ipam.RequestPoolRequest{AddressSpace: "memlocal", Pool: "10.10.0.0/16"},
				wantErr: "IpamDriver.RequestPool: pool 10.10.0.0/16 is already allocated", wantStatus: http.StatusInternalServerError,
			},
			{method: "IpamDriver.RequestPool", args: ipam.RequestPoolRequest{AddressSpace: "memlocal", Pool: "fd00:1::/64", V6: true},
				want: ipam.RequestPoolResponse{PoolID: "memlocal/fd00:1::/64", Pool: "fd00:1::/64", Data: map[string]string{"owner": ""}}},
			{method: "IpamDriver.RequestAddress", args: ipam.RequestAddressRequest{
				PoolID: pool, Options: map[string]string{"RequestAddressType": "com.docker.network.gateway"},
			}, want: ipam.RequestAddressResponse{Address: "10.10.0.1/16", Data: map[string]string{"mac": ""}}},
			{method: "IpamDriver.RequestAddress", args: ipam.RequestAddressRequest{PoolID: pool, Options: mac},
				want: ipam.RequestAddressResponse{Address: "10.10.0.2/16", Data: map[string]string{"mac": "02:42:0a:0a:00:05"}}},
			{
				method: "IpamDriver.RequestAddress", args: ipam.RequestAddressRequest{PoolID: pool, Address: "10.10.0.2"},
				wantErr: "IpamDriver.RequestAddress: address 10.10.0.2 is in use", wantStatus: http.StatusInternalServerError,
			},
			{method: "IpamDriver.ReleaseAddress", args: ipam.ReleaseAddressRequest{PoolID: pool, Address: "10.10.0.2"}, want: ok},
			{
				method: "IpamDriver.ReleaseAddress", args: ipam.ReleaseAddressRequest{PoolID: pool, Address: "10.10.0.2"},
				wantErr: "IpamDriver.ReleaseAddress: address 10.10.0.2 is not allocated", wantStatus: http.StatusInternalServerError,
			},
			{method: "IpamDriver.ReleasePool", args: ipam.ReleasePoolRequest{PoolID: pool}, want: ok},
			{
				method: "IpamDriver.ReleasePool", args: ipam.ReleasePoolRequest{PoolID: pool},
				wantErr: "IpamDriver.ReleasePool: unknown pool " + pool, wantStatus: http.StatusInternalServerError,
			},
		})
	})
}
