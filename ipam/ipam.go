package ipam

import (
	"context"

	"github.com/go-dockerplugins/plugins"
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

// errPrefix is what the engine's remote IPAM writes before the Error of a
// 200 answer.
const errPrefix = "remote: "

// The interface's methods, with the engine's conventions: every answer's
// Error counts, GetCapabilities is optional, and the methods without
// arguments have no body.
var (
	getCapabilities         = noBody(optional(method[struct{}, CapabilitiesResponse]("GetCapabilities")))
	getDefaultAddressSpaces = noBody(method[struct{}, AddressSpacesResponse]("GetDefaultAddressSpaces"))
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
	c, err := p.ClientFor(Interface)
	if err != nil {
		return nil, err
	}
	return NewClient(c), nil
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
	return errOnly(releasePool.Call(ctx, c.c, req))
}

// RequestAddress asks the driver for an address in a pool. The engine fails
// with "no address returned" when the answer's Address is empty, and when
// it is not an address in CIDR form.
func (c *Client) RequestAddress(ctx context.Context, req RequestAddressRequest) (RequestAddressResponse, error) {
	return requestAddress.Call(ctx, c.c, req)
}

// ReleaseAddress asks the driver to release an address of a pool.
func (c *Client) ReleaseAddress(ctx context.Context, req ReleaseAddressRequest) error {
	return errOnly(releaseAddress.Call(ctx, c.c, req))
}

// answer is an answer type: it embeds Response.
type answer[R any] interface {
	*R
	errorText() string
}

// method is the interface's method name, whose answer fails the call when
// its Error is not empty, with the engine's text.
func method[Req, Resp any, P answer[Resp]](name string) plugins.Method[Req, Resp] {
	full := Interface + "." + name
	return plugins.Method[Req, Resp]{
		Name: full,
		Failure: func(r *Resp) error {
			if msg := P(r).errorText(); msg != "" {
				return &plugins.AnswerError{Method: full, Message: msg, Prefix: errPrefix}
			}
			return nil
		},
	}
}

// optional makes a 404 answer a success, with an empty answer.
func optional[Req, Resp any](m plugins.Method[Req, Resp]) plugins.Method[Req, Resp] {
	m.Optional = true
	return m
}

// noBody sends no request body, as the engine does for methods without
// arguments.
func noBody[Req, Resp any](m plugins.Method[Req, Resp]) plugins.Method[Req, Resp] {
	m.NoBody = true
	return m
}

// errOnly keeps the error of a call whose answer holds nothing but Error.
func errOnly[T any](_ T, err error) error { return err }
