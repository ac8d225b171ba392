package network_test

import (
	"context"
	"fmt"

	"github.com/go-dockerplugins/plugins/network"
	"github.com/go-dockerplugins/plugins/pluginstest"
)

// A daemon registers a network driver from its capabilities, then joins an
// endpoint to a sandbox through it.
func Example() {
	var scope pluginstest.Scope // a test passes its *testing.T instead
	defer scope.Close()
	env := pluginstest.New(&scope)
	env.ServeSocket("mynet", network.Interface).
		Handle("NetworkDriver.GetCapabilities", pluginstest.Reply(network.CapabilitiesResponse{Scope: network.LocalScope})).
		Handle("NetworkDriver.Join", pluginstest.Func(func(req network.JoinRequest) (any, error) {
			return network.JoinResponse{
				InterfaceName: &network.InterfaceName{SrcName: "veth" + req.EndpointID, DstPrefix: "eth"},
				Gateway:       "10.10.0.1",
			}, nil
		})).
		Handle("NetworkDriver.Leave", pluginstest.Reply(network.Response{Err: "endpoint e2 has not joined"}))

	p, err := env.Store().Get("mynet", network.Interface)
	if err != nil {
		fmt.Println(err)
		return
	}
	driver, err := network.FromPlugin(p)
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()

	caps, err := driver.GetCapabilities(ctx)
	fmt.Printf("scope %q, gateway check %v, %v\n", caps.Scope, caps.GwAllocChecker, err)

	joined, err := driver.Join(ctx, network.JoinRequest{NetworkID: "n1", EndpointID: "e1", SandboxKey: "/var/run/docker/netns/c1"})
	fmt.Println(joined.InterfaceName.SrcName, joined.InterfaceName.DstPrefix, joined.Gateway, err)

	// Not implemented: the engine takes a 404 for success.
	fmt.Println(driver.ProgramExternalConnectivity(ctx, network.ProgramExternalConnectivityRequest{NetworkID: "n1", EndpointID: "e1"}))

	// An error in a 200 answer, with the engine's text.
	fmt.Println(driver.Leave(ctx, network.LeaveRequest{NetworkID: "n1", EndpointID: "e2"}))
	// Output:
	// scope "local", gateway check false, <nil>
	// vethe1 eth 10.10.0.1 <nil>
	// <nil>
	// remote: endpoint e2 has not joined
}
