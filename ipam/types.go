package ipam

// The requests and answers of the interface, field for field the engine's
// (libnetwork's remote IPAM API): the same JSON names, no omitempty, nil
// maps sent as null. Where the plugin SDK's types differ, these follow the
// engine and say so.

// Response is the part every answer shares: the driver's error, under the
// key Error. A 200 answer whose Error is not empty fails the call with
// "remote: " and Error, as in the engine.
//
// It has no Err: an Err in a 200 answer is ignored and the call succeeds,
// as in the engine. The plugin SDK's answers have no error field: it
// answers errors with a status 500 and {"Err": ...}, which fails the call
// with a *plugins.StatusError.
type Response struct {
	Error string
}

// CapabilitiesResponse is the answer to GetCapabilities.
//
// It has RequiresRequestReplay, as in the engine; the plugin SDK's has only
// RequiresMACAddress.
type CapabilitiesResponse struct {
	Response
	// RequiresMACAddress asks the engine to send an endpoint's MAC address
	// (MacAddressKey) in the Options of its RequestAddress.
	RequiresMACAddress bool
	// RequiresRequestReplay asks the engine to send again, when it starts,
	// the RequestPool and RequestAddress calls of the networks it knows
	// that use the driver, each with the pool or address it got before.
	RequiresRequestReplay bool
}

// AddressSpacesResponse is the answer to GetDefaultAddressSpaces: the
// address spaces of networks that name none, for local-scope and for
// swarm-scope networks.
type AddressSpacesResponse struct {
	Response
	LocalDefaultAddressSpace  string
	GlobalDefaultAddressSpace string
}

// RequestPoolRequest is the request of RequestPool.
type RequestPoolRequest struct {
	// AddressSpace is the space to take the pool from.
	AddressSpace string
	// Pool is the pool asked for, in CIDR form, or "" for any.
	Pool string
	// SubPool is the part of Pool to allocate addresses from, in CIDR form,
	// or "" for all of it.
	SubPool string
	// Options are the network's IPAM options; null when there are none.
	Options map[string]string
	// V6 asks for an IPv6 pool.
	V6 bool
}

// RequestPoolResponse is the answer to RequestPool.
type RequestPoolResponse struct {
	Response
	// PoolID identifies the pool in later calls.
	PoolID string
	// Pool is the pool, in CIDR form.
	Pool string
	// Data may give the pool's gateway under GatewayKey.
	Data map[string]string
}

// ReleasePoolRequest is the request of ReleasePool.
type ReleasePoolRequest struct {
	PoolID string
}

// RequestAddressRequest is the request of RequestAddress.
type RequestAddressRequest struct {
	PoolID string
	// Address is the address asked for, bare (not CIDR), or "" for any.
	Address string
	// Options say what the address is for: from the engine,
	// RequestAddressTypeKey: GatewayKey for a gateway, null for an
	// auxiliary address, and the endpoint's IPAM options (with
	// MacAddressKey if the driver RequiresMACAddress) for an endpoint.
	Options map[string]string
}

// RequestAddressResponse is the answer to RequestAddress.
type RequestAddressResponse struct {
	Response
	// Address is the address with the pool's prefix length, in CIDR form.
	Address string
	// Data is the driver's own; the engine does not use it.
	Data map[string]string
}

// ReleaseAddressRequest is the request of ReleaseAddress.
type ReleaseAddressRequest struct {
	PoolID string
	// Address is the address to release, bare (not CIDR).
	Address string
}
