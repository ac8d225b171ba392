package network

// The requests and answers of the interface, field for field the engine's
// (libnetwork's remote driver API): the same JSON names, no omitempty, nil
// maps and slices sent as null. Where the plugin SDK's types differ, these
// follow the engine and say so.

// Response is the part every answer shares: the driver's error. A 200
// answer whose Err is not empty fails the call with "remote: " and Err, as
// in the engine. The plugin SDK never sets it: it answers errors with a
// status 500 instead, which fails the call with a *plugins.StatusError.
type Response struct {
	Err string
}

// CapabilitiesResponse is the answer to GetCapabilities.
//
// The plugin SDK's has no GwAllocChecker (nor Err), so its plugins never get
// GwAllocCheck.
type CapabilitiesResponse struct {
	Response
	// Scope is where the driver's networks exist: LocalScope or GlobalScope.
	Scope string
	// ConnectivityScope is where its endpoints connect: LocalScope,
	// GlobalScope, or empty for Scope.
	ConnectivityScope string
	// GwAllocChecker asks the engine to send GwAllocCheck before it
	// allocates a network's gateway addresses.
	GwAllocChecker bool
}

// GwAllocCheckRequest is the request of GwAllocCheck.
type GwAllocCheckRequest struct {
	// Options are those CreateNetwork will carry.
	Options map[string]any
}

// GwAllocCheckResponse is the answer to GwAllocCheck.
type GwAllocCheckResponse struct {
	Response
	// SkipIPv4 and SkipIPv6 tell the engine not to reserve a gateway
	// address of that family for the network.
	SkipIPv4, SkipIPv6 bool
}

// CreateNetworkRequest is the request of CreateNetwork.
//
// The plugin SDK's has []*IPAMData slices (the same JSON).
type CreateNetworkRequest struct {
	// NetworkID is the network's ID, for the driver to keep.
	NetworkID string
	// Options holds, from the engine, the driver's options given by the
	// user under "com.docker.network.generic" (an object), and booleans
	// such as "com.docker.network.enable_ipv6" and
	// "com.docker.network.internal".
	Options map[string]any
	// IPv4Data and IPv6Data are the network's address pools, as the IPAM
	// driver allocated them; null when there are none.
	IPv4Data, IPv6Data []IPAMData
}

// DeleteNetworkRequest is the request of DeleteNetwork.
type DeleteNetworkRequest struct {
	NetworkID string
}

// AllocateNetworkRequest is the request of AllocateNetwork.
type AllocateNetworkRequest struct {
	NetworkID string
	// Options are the network's driver options, as strings.
	Options map[string]string
	// IPv4Data and IPv6Data are the network's address pools; from a swarm
	// manager, their AddressSpace is empty and their Gateway has the pool's
	// prefix length.
	IPv4Data, IPv6Data []IPAMData
}

// AllocateNetworkResponse is the answer to AllocateNetwork.
type AllocateNetworkResponse struct {
	Response
	// Options are given to CreateNetwork on every node.
	Options map[string]string
}

// FreeNetworkRequest is the request of FreeNetwork.
type FreeNetworkRequest struct {
	NetworkID string
}

// CreateEndpointRequest is the request of CreateEndpoint.
type CreateEndpointRequest struct {
	NetworkID  string
	EndpointID string
	// Interface is the endpoint's interface as the engine assigned it; the
	// engine always sends one, with "" for what it did not assign.
	Interface *EndpointInterface
	// Options are the endpoint's options; null when it has none.
	Options map[string]any
}

// EndpointInterface is an endpoint's network interface: addresses in CIDR
// form ("10.0.0.2/24"), MAC address as "02:42:0a:00:00:02".
type EndpointInterface struct {
	Address     string
	AddressIPv6 string
	MacAddress  string
}

// CreateEndpointResponse is the answer to CreateEndpoint.
type CreateEndpointResponse struct {
	Response
	// Interface holds what the driver assigned of what the request left
	// empty; null, or empty fields, for nothing.
	Interface *EndpointInterface
}

// DeleteEndpointRequest is the request of DeleteEndpoint.
type DeleteEndpointRequest struct {
	NetworkID  string
	EndpointID string
}

// EndpointInfoRequest is the request of EndpointOperInfo.
type EndpointInfoRequest struct {
	NetworkID  string
	EndpointID string
}

// EndpointInfoResponse is the answer to EndpointOperInfo.
//
// Its Value holds any JSON values, as in the engine; the plugin SDK's holds
// strings only (map[string]string), and its Go method is named EndpointInfo.
type EndpointInfoResponse struct {
	Response
	Value map[string]any
}

// JoinRequest is the request of Join.
type JoinRequest struct {
	NetworkID  string
	EndpointID string
	// SandboxKey is the path of the container's network namespace.
	SandboxKey string
	// Options are the sandbox's options (not the endpoint's), such as
	// "com.docker.network.portmap" and
	// "com.docker.network.endpoint.exposedports".
	Options map[string]any
}

// InterfaceName names the pair of devices of an endpoint: SrcName, made by
// the driver, is moved into the container and named DstPrefix followed by a
// number.
//
// It has DstName, as in the engine, which the engine ignores; the plugin
// SDK's has none.
type InterfaceName struct {
	SrcName   string
	DstName   string
	DstPrefix string
}

// StaticRoute is a route the container gets: Destination in CIDR form,
// NextHop a bare address, for a RouteNextHop route.
type StaticRoute struct {
	Destination string
	RouteType   RouteType
	NextHop     string
}

// RouteType is the kind of a StaticRoute.
type RouteType int

const (
	// RouteNextHop is a route through NextHop.
	RouteNextHop RouteType = 0
	// RouteConnected is a route to a directly connected network.
	RouteConnected RouteType = 1
)

// JoinResponse is the answer to Join.
//
// Its InterfaceName is a pointer, null when the driver names nothing, as in
// the engine; the plugin SDK's is a value, always sent as an object (which
// decodes here as an empty InterfaceName, not nil). Its StaticRoutes are
// values; the SDK's are pointers, with the same JSON.
type JoinResponse struct {
	Response
	InterfaceName *InterfaceName
	// Gateway and GatewayIPv6 are the container's default gateways, bare
	// addresses (not CIDR), or "" for none.
	Gateway     string
	GatewayIPv6 string
	// StaticRoutes are added to the container's routes.
	StaticRoutes []StaticRoute
	// DisableGatewayService tells the engine not to give the container a
	// default gateway of its own.
	DisableGatewayService bool
}

// LeaveRequest is the request of Leave.
type LeaveRequest struct {
	NetworkID  string
	EndpointID string
}

// ProgramExternalConnectivityRequest is the request of
// ProgramExternalConnectivity.
type ProgramExternalConnectivityRequest struct {
	NetworkID  string
	EndpointID string
	// Options are the sandbox's options, as in Join, to which the engine
	// adds "com.docker.network.driver.private.no_proxy_6to4" on most paths.
	Options map[string]any
}

// RevokeExternalConnectivityRequest is the request of
// RevokeExternalConnectivity.
type RevokeExternalConnectivityRequest struct {
	NetworkID  string
	EndpointID string
}

// DiscoveryType is the kind of a DiscoveryNotification.
type DiscoveryType int

// NodeDiscovery is a node joining or leaving the cluster, with a
// NodeDiscoveryData; it is the only kind the engine sends to plugins.
const NodeDiscovery DiscoveryType = 1

// DiscoveryNotification is the request of DiscoverNew and DiscoverDelete.
//
// Its DiscoveryType is a named int, as in the engine; the plugin SDK's is an
// int, with the same JSON.
type DiscoveryNotification struct {
	DiscoveryType DiscoveryType
	// DiscoveryData is, from the engine, a NodeDiscoveryData.
	DiscoveryData any
}

// NodeDiscoveryData is the DiscoveryData of a NodeDiscovery notification.
type NodeDiscoveryData struct {
	// Address is the node's address.
	Address string
	// BindAddress is always empty from the engine.
	BindAddress string
	// Self is true for the node the engine runs on.
	Self bool
}
