package conformance

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/go-dockerplugins/plugins/network"
)

func (s *section) network() {
	c := network.NewClient(s.r.p.Client)
	var caps network.CapabilitiesResponse
	err := s.call("NetworkDriver.GetCapabilities", func(ctx context.Context) (err error) {
		caps, err = c.GetCapabilities(ctx)
		return err
	})
	validScope := func(scope string) bool { return scope == network.LocalScope || scope == network.GlobalScope }
	switch {
	case s.unanswered("capabilities", err):
	case err != nil:
		s.set("capabilities", Fail, describe(err)+s.refusedBody("NetworkDriver.GetCapabilities"))
	case !validScope(caps.Scope):
		s.set("capabilities", Fail, fmt.Sprintf("Scope %q", caps.Scope))
	case caps.ConnectivityScope != "" && !validScope(caps.ConnectivityScope):
		s.set("capabilities", Fail, fmt.Sprintf("ConnectivityScope %q", caps.ConnectivityScope))
	default:
		detail := "Scope " + caps.Scope
		if caps.ConnectivityScope != "" {
			detail += ", ConnectivityScope " + caps.ConnectivityScope
		}
		s.set("capabilities", Pass, detail)
	}

	if !caps.GwAllocChecker {
		s.set("gw-alloc-check", Skip, "GwAllocChecker is not set")
	} else {
		err := s.call("NetworkDriver.GwAllocCheck", func(ctx context.Context) error {
			_, err := c.GwAllocCheck(ctx, network.GwAllocCheckRequest{Options: probeNetworkOptions()})
			return err
		})
		switch {
		case s.unanswered("gw-alloc-check", err):
		case err != nil:
			s.set("gw-alloc-check", Fail, describe(err))
		default:
			s.set("gw-alloc-check", Pass, "answered")
		}
	}

	if s.r.cfg.write {
		s.networkLifecycle(c)
	}
}

// probeNetworkOptions are the options of the probe network, as the engine
// sends them for a network created without any.
func probeNetworkOptions() map[string]any {
	return map[string]any{
		"com.docker.network.generic":     map[string]any{},
		"com.docker.network.enable_ipv4": true,
		"com.docker.network.enable_ipv6": false,
		"com.docker.network.internal":    false,
	}
}

// networkLifecycle creates a probe network and an endpoint in it, then
// deletes them; clean-up deletes again whatever could not be.
func (s *section) networkLifecycle(c *network.Client) {
	nid, eid := probeID(), probeID()
	// tried: the creation was sent, and may have been done even if it
	// failed; created: it succeeded; deleted: so did the deletion.
	var netTried, netCreated, netDeleted, epTried, epCreated, epDeleted bool
	defer func() {
		cl := cleanup{r: s.r}
		var left []string
		// A deletion that fails after a creation that failed most likely
		// found nothing to delete.
		if epTried && !epDeleted {
			if err := cl.call("NetworkDriver.DeleteEndpoint", func(ctx context.Context) error {
				return c.DeleteEndpoint(ctx, network.DeleteEndpointRequest{NetworkID: nid, EndpointID: eid})
			}); err != nil && (epCreated || cl.hung != "") {
				left = append(left, "endpoint "+eid+": "+describe(err))
			}
		}
		if netTried && !netDeleted {
			if err := cl.call("NetworkDriver.DeleteNetwork", func(ctx context.Context) error {
				return c.DeleteNetwork(ctx, network.DeleteNetworkRequest{NetworkID: nid})
			}); err != nil && (netCreated || cl.hung != "") {
				left = append(left, "network "+nid+": "+describe(err))
			}
		}
		switch {
		case len(left) > 0:
			s.set("left-behind", Fail, joinIssues(left))
		case !netCreated:
			s.set("left-behind", Pass, "no network was created")
		default:
			s.set("left-behind", Pass, "network and endpoint deleted")
		}
	}()

	pool, gw := netip.MustParsePrefix(probePool), netip.MustParsePrefix(probeGateway)
	err := s.call("NetworkDriver.CreateNetwork", func(ctx context.Context) error {
		return c.CreateNetwork(ctx, network.CreateNetworkRequest{
			NetworkID: nid, Options: probeNetworkOptions(),
			IPv4Data: []network.IPAMData{{AddressSpace: "LocalDefault", Pool: pool, Gateway: gw}},
		})
	})
	netTried = !errors.Is(err, errNotCalled)
	rest := []string{"create-endpoint", "delete-endpoint", "delete-network"}
	switch {
	case s.unanswered("create-network", err):
		s.skipRest("the probe network was not created", rest...)
		return
	case err != nil:
		s.set("create-network", Fail, describe(err))
		s.skipRest("the probe network was not created", rest...)
		return
	}
	netCreated = true
	s.set("create-network", Pass, nid)

	var ep network.CreateEndpointResponse
	err = s.call("NetworkDriver.CreateEndpoint", func(ctx context.Context) (err error) {
		ep, err = c.CreateEndpoint(ctx, network.CreateEndpointRequest{
			NetworkID: nid, EndpointID: eid, Interface: &network.EndpointInterface{Address: probeAddress},
		})
		return err
	})
	epTried = !errors.Is(err, errNotCalled)
	switch {
	case s.unanswered("create-endpoint", err):
	case err != nil:
		s.set("create-endpoint", Fail, describe(err))
	default:
		epCreated = true
		if bad := badInterface(ep.Interface); bad != "" {
			s.set("create-endpoint", Fail, bad)
		} else {
			s.set("create-endpoint", Pass, eid)
		}
	}

	if epCreated {
		err = s.call("NetworkDriver.DeleteEndpoint", func(ctx context.Context) error {
			return c.DeleteEndpoint(ctx, network.DeleteEndpointRequest{NetworkID: nid, EndpointID: eid})
		})
		switch {
		case s.unanswered("delete-endpoint", err):
		case err != nil:
			s.set("delete-endpoint", Fail, describe(err))
		default:
			epDeleted = true
			s.set("delete-endpoint", Pass, eid)
		}
	} else {
		s.skipRest("the probe endpoint was not created", "delete-endpoint")
	}

	err = s.call("NetworkDriver.DeleteNetwork", func(ctx context.Context) error {
		return c.DeleteNetwork(ctx, network.DeleteNetworkRequest{NetworkID: nid})
	})
	switch {
	case s.unanswered("delete-network", err):
	case err != nil:
		s.set("delete-network", Fail, describe(err))
	default:
		netDeleted = true
		s.set("delete-network", Pass, nid)
	}
}

// badInterface says what the engine refuses in CreateEndpoint's answer to
// the probe's request, which set the IPv4 address only.
func badInterface(i *network.EndpointInterface) string {
	if i == nil {
		return ""
	}
	if i.Address != "" {
		return fmt.Sprintf("the answer sets Address %q, which the request had set", i.Address)
	}
	if i.AddressIPv6 != "" {
		p, err := netip.ParsePrefix(i.AddressIPv6)
		switch {
		case err != nil:
			return fmt.Sprintf("AddressIPv6 %q does not parse: %v", i.AddressIPv6, err)
		case p.Addr().Is4():
			return fmt.Sprintf("AddressIPv6 %q is an IPv4 address, which the request had set", i.AddressIPv6)
		}
	}
	if i.MacAddress != "" {
		if _, err := net.ParseMAC(i.MacAddress); err != nil {
			return fmt.Sprintf("MacAddress %q does not parse: %v", i.MacAddress, err)
		}
	}
	return ""
}
