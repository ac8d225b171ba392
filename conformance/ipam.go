package conformance

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/go-dockerplugins/plugins"
	"github.com/go-dockerplugins/plugins/ipam"
)

// The IPAM answers, as the typed client reads them, plus the Err that the
// engine does not read for IPAM: a plugin that reports its errors there
// has them taken for successes.
type (
	ipamCaps struct {
		ipam.CapabilitiesResponse
		Err string
	}
	ipamSpaces struct {
		ipam.AddressSpacesResponse
		Err string
	}
	ipamPool struct {
		ipam.RequestPoolResponse
		Err string
	}
	ipamAddress struct {
		ipam.RequestAddressResponse
		Err string
	}
	ipamPlain struct {
		ipam.Response
		Err string
	}
)

// ipamKeys returns an answer's Error and Err.
func ipamKeys(answer any) (errorKey, errKey string) {
	switch a := answer.(type) {
	case *ipamCaps:
		return a.Error, a.Err
	case *ipamSpaces:
		return a.Error, a.Err
	case *ipamPool:
		return a.Error, a.Err
	case *ipamAddress:
		return a.Error, a.Err
	case *ipamPlain:
		return a.Error, a.Err
	}
	return "", ""
}

// ipamState is what the IPAM checks share.
type ipamState struct {
	s *section
	c *plugins.Client
	// errKey lists the 200 answers with Err and no Error.
	errKey  []string
	answers int
}

// ipamCall calls an IPAM method as the typed client does (the same
// request, the engine's reading of Error), and notes an Err without Error.
func ipamCall[Req, Resp any](st *ipamState, name string, req Req, noBody, optional bool) (Resp, error) {
	m := plugins.Method[Req, Resp]{
		Name: name, NoBody: noBody, Optional: optional,
		Failure: plugins.AnswerFailure(name, "remote: ", func(r *Resp) string {
			msg, _ := ipamKeys(r)
			return msg
		}),
	}
	var resp Resp
	err := st.s.call(name, func(ctx context.Context) (err error) {
		resp, err = m.Call(ctx, st.c, req)
		return err
	})
	var ae *plugins.AnswerError
	if err == nil || errors.As(err, &ae) {
		st.answers++
		if errorKey, errKey := ipamKeys(&resp); errKey != "" && errorKey == "" {
			st.errKey = append(st.errKey, fmt.Sprintf("%s: 200 with Err %q", name, errKey))
		}
	}
	return resp, err
}

func (s *section) ipam() {
	st := &ipamState{s: s, c: s.r.p.Client}
	caps, err := ipamCall[struct{}, ipamCaps](st, "IpamDriver.GetCapabilities", struct{}{}, true, true)
	switch {
	case s.unanswered("capabilities", err):
	case err != nil:
		s.set("capabilities", Warn, describe(err)+s.refusedBody("IpamDriver.GetCapabilities"))
	default:
		s.set("capabilities", Pass, fmt.Sprintf("RequiresMACAddress %v, RequiresRequestReplay %v", caps.RequiresMACAddress, caps.RequiresRequestReplay))
	}

	spaces, err := ipamCall[struct{}, ipamSpaces](st, "IpamDriver.GetDefaultAddressSpaces", struct{}{}, true, false)
	spacesOK := err == nil
	switch {
	case s.unanswered("default-spaces", err):
	case err != nil:
		s.set("default-spaces", Fail, describe(err)+s.refusedBody("IpamDriver.GetDefaultAddressSpaces"))
	default:
		s.set("default-spaces", Pass, fmt.Sprintf("local %q, global %q", spaces.LocalDefaultAddressSpace, spaces.GlobalDefaultAddressSpace))
	}

	probe := ""
	if s.r.cfg.write {
		if spacesOK {
			probe = st.lifecycle(spaces.LocalDefaultAddressSpace)
		} else {
			s.skipRest("no default address space", "request-pool", "request-address", "release-address", "release-pool", "left-behind")
		}
	}
	switch {
	case len(st.errKey) > 0:
		s.set("error-key", Fail, joinIssues(st.errKey))
	case st.answers == 0:
		s.set("error-key", Skip, "no answer was read")
	default:
		s.set("error-key", Pass, plural(st.answers, "answer", "answers")+" read"+probe)
	}
}

// lifecycle asks for an address in a pool that does not exist, to see
// how the plugin reports an error, then requests a pool and an address
// and releases them; clean-up releases again whatever could not be. It
// returns what the first request showed, for error-key.
func (st *ipamState) lifecycle(space string) (probe string) {
	s := st.s
	type held struct{ pool, addr string }
	var (
		addrs     []held   // addresses to release
		pools     []string // pools to release
		allocated bool
		// missing is a pool that does not exist.
		missing = ProbePrefix + randomHex(12)
	)
	defer func() {
		cl := cleanup{r: s.r}
		var left []string
		for _, a := range addrs {
			if a.pool != missing && !slices.Contains(pools, a.pool) {
				continue // released with its pool
			}
			if err := cl.call("IpamDriver.ReleaseAddress", func(ctx context.Context) error {
				return ipam.NewClient(st.c).ReleaseAddress(ctx, ipam.ReleaseAddressRequest{PoolID: a.pool, Address: a.addr})
			}); err != nil {
				left = append(left, fmt.Sprintf("address %s of pool %s: %s", a.addr, a.pool, describe(err)))
			}
		}
		for _, p := range pools {
			if err := cl.call("IpamDriver.ReleasePool", func(ctx context.Context) error {
				return ipam.NewClient(st.c).ReleasePool(ctx, ipam.ReleasePoolRequest{PoolID: p})
			}); err != nil {
				left = append(left, fmt.Sprintf("pool %s: %s", p, describe(err)))
			}
		}
		switch {
		case len(left) > 0:
			s.set("left-behind", Fail, joinIssues(left))
		case !allocated:
			s.set("left-behind", Pass, "nothing was allocated")
		default:
			s.set("left-behind", Pass, "address and pool released")
		}
	}()

	// An address in a pool that does not exist: an error, which shows
	// whether the plugin reports errors as the engine reads them.
	got, err := ipamCall[ipam.RequestAddressRequest, ipamAddress](st, "IpamDriver.RequestAddress", ipam.RequestAddressRequest{PoolID: missing}, false, false)
	switch {
	case err != nil:
		probe = "; an address in a pool that does not exist: " + describe(err)
	case got.Address != "":
		// It gave one all the same: give it back.
		addrs = append(addrs, held{missing, bare(got.Address)})
	}

	pool, err := ipamCall[ipam.RequestPoolRequest, ipamPool](st, "IpamDriver.RequestPool", ipam.RequestPoolRequest{AddressSpace: space}, false, false)
	rest := []string{"request-address", "release-address", "release-pool"}
	switch {
	case s.unanswered("request-pool", err):
		s.skipRest("no probe pool", rest...)
		return probe
	case err != nil:
		s.set("request-pool", Fail, describe(err))
		s.skipRest("no probe pool", rest...)
		return probe
	}
	pools, allocated = append(pools, pool.PoolID), true
	if bad := badPool(pool.RequestPoolResponse); bad != "" {
		s.set("request-pool", Fail, bad)
	} else {
		s.set("request-pool", Pass, fmt.Sprintf("pool %s, ID %q", pool.Pool, pool.PoolID))
	}

	addr, err := ipamCall[ipam.RequestAddressRequest, ipamAddress](st, "IpamDriver.RequestAddress", ipam.RequestAddressRequest{PoolID: pool.PoolID}, false, false)
	switch {
	case s.unanswered("request-address", err):
		s.skipRest("no probe address", "release-address")
	case err != nil:
		s.set("request-address", Fail, describe(err))
		s.skipRest("no probe address", "release-address")
	case addr.Address == "":
		s.set("request-address", Fail, "no address returned")
		s.skipRest("no probe address", "release-address")
	default:
		if _, perr := netip.ParsePrefix(addr.Address); perr != nil {
			s.set("request-address", Fail, fmt.Sprintf("address %q: %v", addr.Address, perr))
		} else {
			s.set("request-address", Pass, addr.Address)
		}
		a := held{pool.PoolID, bare(addr.Address)}
		_, err := ipamCall[ipam.ReleaseAddressRequest, ipamPlain](st, "IpamDriver.ReleaseAddress", ipam.ReleaseAddressRequest{PoolID: a.pool, Address: a.addr}, false, false)
		switch {
		case s.unanswered("release-address", err):
			addrs = append(addrs, a)
		case err != nil:
			addrs = append(addrs, a)
			s.set("release-address", Fail, describe(err))
		default:
			s.set("release-address", Pass, a.addr)
		}
	}

	_, err = ipamCall[ipam.ReleasePoolRequest, ipamPlain](st, "IpamDriver.ReleasePool", ipam.ReleasePoolRequest{PoolID: pool.PoolID}, false, false)
	switch {
	case s.unanswered("release-pool", err):
	case err != nil:
		s.set("release-pool", Fail, describe(err))
	default:
		pools = pools[:0]
		s.set("release-pool", Pass, pool.PoolID)
	}
	return probe
}

// badPool says what the engine cannot parse in a RequestPool answer.
func badPool(r ipam.RequestPoolResponse) string {
	if _, err := netip.ParsePrefix(r.Pool); err != nil {
		return fmt.Sprintf("pool %q: %v", r.Pool, err)
	}
	if gw, ok := r.Data[ipam.GatewayKey]; ok {
		if _, err := netip.ParsePrefix(gw); err != nil {
			return fmt.Sprintf("gateway %q: %v", gw, err)
		}
	}
	return ""
}

// bare is an address without its prefix length, as the engine sends it
// back to the plugin.
func bare(cidr string) string {
	addr, _, _ := strings.Cut(cidr, "/")
	return addr
}
