package network

import (
	"encoding/json"
	"fmt"
	"net/netip"
)

// IPAMData is an address pool of a network, as the IPAM driver allocated
// it: in JSON, {"AddressSpace": "...", "AuxAddresses": {...}, "Gateway":
// "ip/len", "Pool": "ip/len"}, the engine's own encoding, in which a pool, a
// gateway or auxiliary addresses that are not set are left out. The prefixes
// keep their address as given (a gateway is its address with the pool's
// prefix length), as the engine's do.
//
// The plugin SDK's has strings, and AuxAddresses as a map of any values; it
// reads this JSON as well.
type IPAMData struct {
	// AddressSpace is the IPAM driver's address space; empty from a swarm
	// manager.
	AddressSpace string
	// Pool is the pool's prefix; left out when not valid.
	Pool netip.Prefix
	// Gateway is the gateway's address with the pool's prefix length; left
	// out when not valid.
	Gateway netip.Prefix
	// AuxAddresses are addresses reserved in the pool, by name, each with
	// the pool's prefix length; left out when nil.
	AuxAddresses map[string]netip.Prefix
}

// ipamDataJSON is IPAMData on the wire: its fields in the order of the
// engine's encoding, which marshals a map.
type ipamDataJSON struct {
	AddressSpace string
	AuxAddresses map[string]string `json:",omitzero"`
	Gateway      string            `json:",omitempty"`
	Pool         string            `json:",omitempty"`
}

// MarshalJSON encodes d as the engine does.
func (d IPAMData) MarshalJSON() ([]byte, error) {
	v := ipamDataJSON{
		AddressSpace: d.AddressSpace,
		Gateway:      prefixString(d.Gateway),
		Pool:         prefixString(d.Pool),
	}
	if d.AuxAddresses != nil {
		v.AuxAddresses = make(map[string]string, len(d.AuxAddresses))
		for name, p := range d.AuxAddresses {
			v.AuxAddresses[name] = prefixString(p)
		}
	}
	return json.Marshal(v)
}

// UnmarshalJSON decodes the engine's encoding; a pool or gateway that is
// absent, null or empty is left unset.
func (d *IPAMData) UnmarshalJSON(b []byte) error {
	var v ipamDataJSON
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	out := IPAMData{AddressSpace: v.AddressSpace}
	var err error
	if out.Pool, err = parsePrefix("Pool", v.Pool); err != nil {
		return err
	}
	if out.Gateway, err = parsePrefix("Gateway", v.Gateway); err != nil {
		return err
	}
	if v.AuxAddresses != nil {
		out.AuxAddresses = make(map[string]netip.Prefix, len(v.AuxAddresses))
		for name, s := range v.AuxAddresses {
			if out.AuxAddresses[name], err = parsePrefix("AuxAddresses", s); err != nil {
				return err
			}
		}
	}
	*d = out
	return nil
}

// prefixString is p in CIDR form, or "" when it is not valid.
func prefixString(p netip.Prefix) string {
	if !p.IsValid() {
		return ""
	}
	return p.String()
}

func parsePrefix(field, s string) (netip.Prefix, error) {
	if s == "" {
		return netip.Prefix{}, nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("IPAMData.%s: %w", field, err)
	}
	return p, nil
}
