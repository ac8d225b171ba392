package ipam_test

import (
	"context"
	"fmt"

	"github.com/go-dockerplugins/plugins/ipam"
	"github.com/go-dockerplugins/plugins/pluginstest"
)

// A daemon asks an IPAM driver for a pool, then for the pool's gateway.
func Example() {
	var scope pluginstest.Scope // a test passes its *testing.T instead
	defer scope.Close()
	env := pluginstest.New(&scope)
	env.ServeSocket("myipam", ipam.Interface).
		Handle("IpamDriver.RequestPool", pluginstest.Func(func(req ipam.RequestPoolRequest) (any, error) {
			return ipam.RequestPoolResponse{PoolID: req.AddressSpace + "/1", Pool: "10.20.0.0/16"}, nil
		})).
		Handle("IpamDriver.RequestAddress", pluginstest.Reply(ipam.Response{Error: "pool 1 is full"}))

	p, err := env.Store().Get("myipam", ipam.Interface)
	if err != nil {
		fmt.Println(err)
		return
	}
	driver, err := ipam.FromPlugin(p)
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()

	// Not implemented: no capabilities, as the engine assumes.
	caps, err := driver.GetCapabilities(ctx)
	fmt.Println(caps.RequiresMACAddress, caps.RequiresRequestReplay, err)

	pool, err := driver.RequestPool(ctx, ipam.RequestPoolRequest{AddressSpace: "local"})
	fmt.Println(pool.PoolID, pool.Pool, err)

	// An error in a 200 answer, with the engine's text.
	_, err = driver.RequestAddress(ctx, ipam.RequestAddressRequest{
		PoolID:  pool.PoolID,
		Options: map[string]string{ipam.RequestAddressTypeKey: ipam.GatewayKey},
	})
	fmt.Println(err)
	// Output:
	// false false <nil>
	// local/1 10.20.0.0/16 <nil>
	// remote: pool 1 is full
}
