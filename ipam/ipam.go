package ipam

import (
	"context"

	"github.com/go-dockerplugins/plugins"
	"github.com/go-dockerplugins/plugins/internal/typed"
)

// Interface is the name an IPAM driver plugin lists in its manifest.
const Interface = "IpamDriver"

// Keys and values the engine puts in options and reads in answers.
const (
	// GatewayKey, in a RequestPoolResponse's Data, gives the pool's gateway
	// in CIDR form; the engine then requests no gateway address.
	GatewayKey = "com.docker.network.gateway"
	// RequestAddressTypeKey, in a RequestAddressRequest's Options, says
	// what the address is for: GatewayKey for a network's gateway.
	RequestAddressTypeKey = "RequestAddressType"
	// MacAddressKey, in a RequestAddressRequest's Options, is the
	// endpoint's MAC address, sent when the driver RequiresMACAddress.
	MacAddressKey = "com.docker.network.endpoint.macaddress"
)

// The interface's methods, with the engine's conventions: every answer's
// Error counts, GetCapabilities is optional, and the methods without
// arguments have no body.
var (
	getCapabilities         = typed.NoBody(typed.Optional(method[struct{}, CapabilitiesResponse]("GetCapabilities")))
	getDefaultAddressSpaces = typed.NoBody(method[struct{}, AddressSpacesResponse]("GetDefaultAddressSpaces"))
	requestPool             = method[RequestPoolRequest, RequestPoolResponse]("RequestPool")
	releasePool             = method[ReleasePoolRequest, Response]("ReleasePool")
	requestAddress          = method[RequestAddressRequest, RequestAddressResponse]("RequestAddress")
	releaseAddress          = method[ReleaseAddressRequest, Response]("ReleaseAddress")
)

// Client calls the methods of an IPAM driver plugin. Make it with NewClient
// or FromPlugin; it is safe for concurrent use.
type Client struct {
	c *plugins.Client
}

// NewClient returns a typed client that calls the plugin through c, as the
// engine does with the client its handler for the interface receives.
func NewClient(c *plugins.Client) *Client { return &Client{c: c} }

// FromPlugin returns a typed client of p, or an error matching
// plugins.ErrNotImplements if p's manifest does not list Interface.
func FromPlugin(p *plugins.Plugin) (*Client, error) {
	return plugins.TypedClient(p, Interface, NewClient)
}

// GetCapabilities asks the driver what it needs, with an empty body. It is
// optional: a plugin that answers 404 does not implement it, and the call
// returns no capabilities and no error. The engine goes further: it
// registers the driver without capabilities whatever the error (an error in
// the answer, another status, a plugin that cannot be reached), and only
// logs it.
func (c *Client) GetCapabilities(ctx context.Context) (CapabilitiesResponse, error) {
	return getCapabilities.Call(ctx, c.c, struct{}{})
}

// GetDefaultAddressSpaces asks the driver for its default address spaces,
// with an empty body. The engine sends it when a network names no address
// space, and before every RequestPool, whose pools in the global default
// space it does not check against the host's networks. An error fails the
// operation.
func (c *Client) GetDefaultAddressSpaces(ctx context.Context) (AddressSpacesResponse, error) {
	return getDefaultAddressSpaces.Call(ctx, c.c, struct{}{})
}

// RequestPool asks the driver for an address pool. The engine fails when
// the answer's Pool is not a prefix in CIDR form. When the request had no
// Pool, the space is not the global default and the pool is not
// 0.0.0.0/0, the engine checks the pool against the host's networks and, on
// overlap, keeps it and asks again, releasing the pools it kept once done.
func (c *Client) RequestPool(ctx context.Context, req RequestPoolRequest) (RequestPoolResponse, error) {
	return requestPool.Call(ctx, c.c, req)
}

// ReleasePool asks the driver to release a pool; the engine only logs
// errors when it cleans up.
func (c *Client) ReleasePool(ctx context.Context, req ReleasePoolRequest) error {
	return typed.ErrOnly(releasePool.Call(ctx, c.c, req))
}

// RequestAddress asks the driver for an address in a pool. The engine fails
// with "no address returned" when the answer's Address is empty, and when
// it is not an address in CIDR form.
func (c *Client) RequestAddress(ctx context.Context, req RequestAddressRequest) (RequestAddressResponse, error) {
	return requestAddress.Call(ctx, c.c, req)
}

// ReleaseAddress asks the driver to release an address of a pool.
func (c *Client) ReleaseAddress(ctx context.Context, req ReleaseAddressRequest) error {
	return typed.ErrOnly(releaseAddress.Call(ctx, c.c, req))
}

// method is the interface's method name, whose answer fails the call when
// its Error is not empty, with the engine's text.
func method[Req, Resp any](name string) plugins.Method[Req, Resp] {
	return typed.Remote[Req, Resp](Interface+"."+name, "Error")
}
