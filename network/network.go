package network

import (
	"context"

	"github.com/go-dockerplugins/plugins"
	"github.com/go-dockerplugins/plugins/internal/typed"
)

// Interface is the name a network driver plugin lists in its manifest.
const Interface = "NetworkDriver"

// The scopes a driver may report in CapabilitiesResponse.
const (
	// LocalScope: the driver's networks exist on one host.
	LocalScope = "local"
	// GlobalScope: the driver's networks span the hosts of a cluster.
	GlobalScope = "global"
)

// The interface's methods, with the engine's conventions: every answer's Err
// counts, two methods are optional and GetCapabilities has no body.
var (
	getCapabilities             = typed.NoBody(method[struct{}, CapabilitiesResponse]("GetCapabilities"))
	gwAllocCheck                = method[GwAllocCheckRequest, GwAllocCheckResponse]("GwAllocCheck")
	createNetwork               = method[CreateNetworkRequest, Response]("CreateNetwork")
	deleteNetwork               = method[DeleteNetworkRequest, Response]("DeleteNetwork")
	allocateNetwork             = method[AllocateNetworkRequest, AllocateNetworkResponse]("AllocateNetwork")
	freeNetwork                 = method[FreeNetworkRequest, Response]("FreeNetwork")
	createEndpoint              = method[CreateEndpointRequest, CreateEndpointResponse]("CreateEndpoint")
	deleteEndpoint              = method[DeleteEndpointRequest, Response]("DeleteEndpoint")
	endpointOperInfo            = method[EndpointInfoRequest, EndpointInfoResponse]("EndpointOperInfo")
	join                        = method[JoinRequest, JoinResponse]("Join")
	leave                       = method[LeaveRequest, Response]("Leave")
	programExternalConnectivity = typed.Optional(method[ProgramExternalConnectivityRequest, Response]("ProgramExternalConnectivity"))
	revokeExternalConnectivity  = typed.Optional(method[RevokeExternalConnectivityRequest, Response]("RevokeExternalConnectivity"))
	discoverNew                 = method[DiscoveryNotification, Response]("DiscoverNew")
	discoverDelete              = method[DiscoveryNotification, Response]("DiscoverDelete")
)

// Client calls the methods of a network driver plugin. Make it with
// NewClient or FromPlugin; it is safe for concurrent use.
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

// GetCapabilities asks the driver for its scopes, with an empty body. The
// engine sends it once, right after activation, and does not register a
// driver whose call fails or whose Scope is not LocalScope or GlobalScope
// (or whose ConnectivityScope is neither of them nor empty, which means
// Scope); it sends GwAllocCheck only if GwAllocChecker is true.
func (c *Client) GetCapabilities(ctx context.Context) (CapabilitiesResponse, error) {
	return getCapabilities.Call(ctx, c.c, struct{}{})
}

// GwAllocCheck asks the driver whether a network created with req.Options
// needs gateway addresses. The engine sends it before allocating a new
// network's addresses, only to a driver whose capabilities had
// GwAllocChecker set: call it only then, since the plugin SDK does not
// serve it. An error fails the network's creation.
func (c *Client) GwAllocCheck(ctx context.Context, req GwAllocCheckRequest) (GwAllocCheckResponse, error) {
	return gwAllocCheck.Call(ctx, c.c, req)
}

// CreateNetwork asks the driver to create a network. The engine sends it
// after allocating the network's addresses; an error fails the creation.
func (c *Client) CreateNetwork(ctx context.Context, req CreateNetworkRequest) error {
	return typed.ErrOnly(createNetwork.Call(ctx, c.c, req))
}

// DeleteNetwork asks the driver to delete a network.
func (c *Client) DeleteNetwork(ctx context.Context, req DeleteNetworkRequest) error {
	return typed.ErrOnly(deleteNetwork.Call(ctx, c.c, req))
}

// AllocateNetwork asks the driver for the options of a network, as a swarm
// manager does for a cluster-wide network: the answer's Options go to every
// node's CreateNetwork. The engine refuses legacy plugins in swarm mode, so
// it never sends this to them.
func (c *Client) AllocateNetwork(ctx context.Context, req AllocateNetworkRequest) (AllocateNetworkResponse, error) {
	return allocateNetwork.Call(ctx, c.c, req)
}

// FreeNetwork asks the driver to free what AllocateNetwork allocated; like
// it, the engine sends it from a swarm manager only.
func (c *Client) FreeNetwork(ctx context.Context, req FreeNetworkRequest) error {
	return typed.ErrOnly(freeNetwork.Call(ctx, c.c, req))
}

// CreateEndpoint asks the driver to create an endpoint. The engine reads the
// answer's Interface only for what it left empty in the request (any other
// field set makes it fail with "driver modified interface ..."), parses its
// addresses as CIDR and its MAC address, and sends DeleteEndpoint when that
// fails.
func (c *Client) CreateEndpoint(ctx context.Context, req CreateEndpointRequest) (CreateEndpointResponse, error) {
	return createEndpoint.Call(ctx, c.c, req)
}

// DeleteEndpoint asks the driver to delete an endpoint; the engine also sends
// it to roll back a CreateEndpoint whose answer it could not use.
func (c *Client) DeleteEndpoint(ctx context.Context, req DeleteEndpointRequest) error {
	return typed.ErrOnly(deleteEndpoint.Call(ctx, c.c, req))
}

// EndpointOperInfo asks the driver for an endpoint's operational data. On
// Linux the engine finds nothing it uses in a remote driver's Value, and
// ignores errors.
func (c *Client) EndpointOperInfo(ctx context.Context, req EndpointInfoRequest) (EndpointInfoResponse, error) {
	return endpointOperInfo.Call(ctx, c.c, req)
}

// Join asks the driver to attach an endpoint to a container's sandbox. The
// engine uses the answer's InterfaceName (SrcName and DstPrefix, not
// DstName), Gateway and GatewayIPv6 (bare addresses), StaticRoutes and
// DisableGatewayService, and sends Leave when one of them does not parse.
func (c *Client) Join(ctx context.Context, req JoinRequest) (JoinResponse, error) {
	return join.Call(ctx, c.c, req)
}

// Leave asks the driver to detach an endpoint from its sandbox; the engine
// also sends it to roll back a Join whose answer it could not use.
func (c *Client) Leave(ctx context.Context, req LeaveRequest) error {
	return typed.ErrOnly(leave.Call(ctx, c.c, req))
}

// ProgramExternalConnectivity asks the driver to give an endpoint access to
// the outside, when it becomes its container's gateway endpoint. It is
// optional: a plugin that answers 404 does not implement it, and the call
// succeeds, as in the engine.
func (c *Client) ProgramExternalConnectivity(ctx context.Context, req ProgramExternalConnectivityRequest) error {
	return typed.ErrOnly(programExternalConnectivity.Call(ctx, c.c, req))
}

// RevokeExternalConnectivity asks the driver to undo
// ProgramExternalConnectivity. It is optional: a plugin that answers 404
// does not implement it, and the call succeeds, as in the engine.
func (c *Client) RevokeExternalConnectivity(ctx context.Context, req RevokeExternalConnectivityRequest) error {
	return typed.ErrOnly(revokeExternalConnectivity.Call(ctx, c.c, req))
}

// DiscoverNew tells the driver that a node joined the cluster. The engine
// sends only NodeDiscovery notifications, to drivers of GlobalScope
// connectivity, and only logs errors.
func (c *Client) DiscoverNew(ctx context.Context, req DiscoveryNotification) error {
	return typed.ErrOnly(discoverNew.Call(ctx, c.c, req))
}

// DiscoverDelete tells the driver that a node left the cluster; the engine
// sends it as it sends DiscoverNew.
func (c *Client) DiscoverDelete(ctx context.Context, req DiscoveryNotification) error {
	return typed.ErrOnly(discoverDelete.Call(ctx, c.c, req))
}

// method is the interface's method name, whose answer fails the call when
// its Err is not empty, with the engine's text.
func method[Req, Resp any](name string) plugins.Method[Req, Resp] {
	return typed.Remote[Req, Resp](Interface+"."+name, "Err")
}
