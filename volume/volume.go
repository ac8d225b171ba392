package volume

import (
	"context"
	"strings"
	"time"

	"github.com/go-dockerplugins/plugins"
	"github.com/go-dockerplugins/plugins/internal/typed"
)

// Interface is the name a volume plugin lists in its manifest, as in
// plugins.Get(name, volume.Interface).
const Interface = "VolumeDriver"

// The scopes a driver can declare in its capabilities.
const (
	// LocalScope is a driver whose volumes exist on this host only.
	LocalScope = "local"
	// GlobalScope is a driver whose volumes exist across the cluster.
	GlobalScope = "global"
)

// The engine's per-request timeouts: creating and mounting may provision
// storage, everything else should be quick.
const (
	longTimeout  = 2 * time.Minute
	shortTimeout = time.Minute
)

// CreateRequest is the request of VolumeDriver.Create.
//
// Opts is sent as null when there are none, as the engine does: the SDK's
// CreateRequest has `json:"Opts,omitempty"` and would leave the key out.
type CreateRequest struct {
	// Name is the volume's name.
	Name string
	// Opts are the options given to `docker volume create --opt`.
	Opts map[string]string
}

// RemoveRequest is the request of VolumeDriver.Remove.
type RemoveRequest struct {
	// Name is the volume's name.
	Name string
}

// PathRequest is the request of VolumeDriver.Path.
type PathRequest struct {
	// Name is the volume's name.
	Name string
}

// MountRequest is the request of VolumeDriver.Mount.
type MountRequest struct {
	// Name is the volume's name.
	Name string
	// ID identifies the mount: the engine sends a random 64-hex ID per
	// mount point, and the same ID to Unmount it.
	ID string
}

// UnmountRequest is the request of VolumeDriver.Unmount.
type UnmountRequest struct {
	// Name is the volume's name.
	Name string
	// ID is the ID the volume was mounted with.
	ID string
}

// GetRequest is the request of VolumeDriver.Get.
type GetRequest struct {
	// Name is the volume's name.
	Name string
}

// ErrorResponse is the answer of VolumeDriver.Create, Remove and Unmount,
// which report nothing but an error. The SDK answers {} on success and 500
// with {"Err": ...} on failure; the engine also reads an Err in a 200 answer.
type ErrorResponse struct {
	// Err, when not empty, is the plugin's error.
	Err string
}

// PathResponse is the answer of VolumeDriver.Path.
type PathResponse struct {
	// Mountpoint is where the volume is mounted on the host, if it is.
	Mountpoint string
	// Err, when not empty, is the plugin's error.
	Err string
}

// MountResponse is the answer of VolumeDriver.Mount.
type MountResponse struct {
	// Mountpoint is where the volume was mounted on the host.
	Mountpoint string
	// Err, when not empty, is the plugin's error.
	Err string
}

// ListResponse is the answer of VolumeDriver.List.
type ListResponse struct {
	// Volumes are the driver's volumes. The engine dereferences every
	// element: a plugin must not send null ones.
	Volumes []*Volume
	// Err, when not empty, is the plugin's error.
	Err string
}

// GetResponse is the answer of VolumeDriver.Get.
type GetResponse struct {
	// Volume is the volume asked for; the engine reads null as "no such
	// volume".
	Volume *Volume
	// Err, when not empty, is the plugin's error.
	Err string
}

// CapabilitiesResponse is the answer of VolumeDriver.Capabilities.
type CapabilitiesResponse struct {
	// Capabilities are what the driver declares.
	Capabilities Capability
	// Err, when not empty, is the plugin's error.
	Err string
}

// Capability is what a volume driver declares of itself.
type Capability struct {
	// Scope is LocalScope or GlobalScope, as the plugin wrote it: see
	// NormalizeScope for what the engine makes of it.
	Scope string
}

// Volume is a volume as a driver describes it in List and Get answers.
//
// The engine's struct has no omitempty (an empty Mountpoint and a nil
// Status are sent, as "" and null), and its CreatedAt is a time.Time,
// parsed strictly: absent or null leaves it zero, but "" or any text that
// is not RFC 3339 fails the whole answer, and so does this package. The
// SDK's Volume has CreatedAt as a string, and omitempty on Mountpoint,
// CreatedAt and Status: any text its plugins put in CreatedAt reaches this
// strict parser.
//
// Of a listed volume, the engine uses Name and Mountpoint only; of a volume
// from Get, all four.
type Volume struct {
	// Name is the volume's name.
	Name string
	// Mountpoint is where the volume is mounted on the host, if it is.
	Mountpoint string
	// CreatedAt is when the volume was created.
	CreatedAt time.Time
	// Status is what `docker volume inspect` shows of the volume's state.
	Status map[string]any
}

// NormalizeScope returns the scope the engine's volume adapter makes of the
// scope a driver declared: lower-cased, and LocalScope when it is empty or
// neither LocalScope nor GlobalScope (the engine logs a warning for these).
func NormalizeScope(scope string) string {
	switch s := strings.ToLower(scope); s {
	case LocalScope, GlobalScope:
		return s
	default:
		return LocalScope
	}
}

// The methods, with the volume interface's convention for an Err in a 200
// answer: the plugin's text, verbatim.
var (
	create = plugins.Method[CreateRequest, ErrorResponse]{
		Name: "VolumeDriver.Create", Timeout: longTimeout,
		Failure: plugins.AnswerFailure("VolumeDriver.Create", "", func(r *ErrorResponse) string { return r.Err }),
	}
	remove = plugins.Method[RemoveRequest, ErrorResponse]{
		Name: "VolumeDriver.Remove", Timeout: shortTimeout,
		Failure: plugins.AnswerFailure("VolumeDriver.Remove", "", func(r *ErrorResponse) string { return r.Err }),
	}
	path = plugins.Method[PathRequest, PathResponse]{
		Name: "VolumeDriver.Path", Timeout: shortTimeout,
		Failure: plugins.AnswerFailure("VolumeDriver.Path", "", func(r *PathResponse) string { return r.Err }),
	}
	mount = plugins.Method[MountRequest, MountResponse]{
		Name: "VolumeDriver.Mount", Timeout: longTimeout,
		Failure: plugins.AnswerFailure("VolumeDriver.Mount", "", func(r *MountResponse) string { return r.Err }),
	}
	unmount = plugins.Method[UnmountRequest, ErrorResponse]{
		Name: "VolumeDriver.Unmount", Timeout: shortTimeout,
		Failure: plugins.AnswerFailure("VolumeDriver.Unmount", "", func(r *ErrorResponse) string { return r.Err }),
	}
	// List and Capabilities take no arguments, but the engine sends {}.
	list = plugins.Method[struct{}, ListResponse]{
		Name: "VolumeDriver.List", Timeout: shortTimeout,
		Failure: plugins.AnswerFailure("VolumeDriver.List", "", func(r *ListResponse) string { return r.Err }),
	}
	get = plugins.Method[GetRequest, GetResponse]{
		Name: "VolumeDriver.Get", Timeout: shortTimeout,
		Failure: plugins.AnswerFailure("VolumeDriver.Get", "", func(r *GetResponse) string { return r.Err }),
	}
	capabilities = plugins.Method[struct{}, CapabilitiesResponse]{
		Name: "VolumeDriver.Capabilities", Timeout: shortTimeout,
		Failure:  plugins.AnswerFailure("VolumeDriver.Capabilities", "", func(r *CapabilitiesResponse) string { return r.Err }),
		Optional: true, Fallback: CapabilitiesResponse{Capabilities: Capability{Scope: LocalScope}},
	}
)

// Client calls a volume plugin. It is safe for concurrent use.
type Client struct {
	c *plugins.Client
}

// NewClient returns a Client that calls the plugin through c.
func NewClient(c *plugins.Client) *Client { return &Client{c: c} }

// FromPlugin returns a Client for p, an activated plugin, or an error
// matching plugins.ErrNotImplements when p's manifest does not list
// Interface.
func FromPlugin(p *plugins.Plugin) (*Client, error) {
	return plugins.TypedClient(p, Interface, NewClient)
}

// Create asks the driver to create a volume (VolumeDriver.Create, within
// two minutes when ctx has no deadline). The engine sends it for `docker
// volume create` and `run -v name:...` only after Get found no volume of
// that name, and returns its error to the user.
func (c *Client) Create(ctx context.Context, req CreateRequest) error {
	return typed.ErrOnly(create.Call(ctx, c.c, req))
}

// Remove asks the driver to remove a volume (VolumeDriver.Remove, within a
// minute when ctx has no deadline). The engine wraps its error as
// "remove <name>: <error>".
func (c *Client) Remove(ctx context.Context, req RemoveRequest) error {
	return typed.ErrOnly(remove.Call(ctx, c.c, req))
}

// Path asks the driver where a volume is mounted (VolumeDriver.Path, within
// a minute when ctx has no deadline). The engine ignores errors of Path, and
// its mountpoint becomes empty; this method returns them, with the answer
// as read, and the caller decides.
func (c *Client) Path(ctx context.Context, req PathRequest) (PathResponse, error) {
	return path.Call(ctx, c.c, req)
}

// Mount asks the driver to mount a volume for a container (VolumeDriver.Mount,
// within two minutes when ctx has no deadline), and returns where. With an
// Err in the answer, the answer is returned too, with its Mountpoint: the
// engine keeps that mountpoint even when mounting failed.
func (c *Client) Mount(ctx context.Context, req MountRequest) (MountResponse, error) {
	return mount.Call(ctx, c.c, req)
}

// Unmount asks the driver to unmount a volume, mounted with req.ID
// (VolumeDriver.Unmount, within a minute when ctx has no deadline). The
// engine forgets the volume's mountpoint only when it succeeds.
func (c *Client) Unmount(ctx context.Context, req UnmountRequest) error {
	return typed.ErrOnly(unmount.Call(ctx, c.c, req))
}

// List asks the driver for its volumes (VolumeDriver.List, with {} as its
// request, within a minute when ctx has no deadline). The engine turns its
// error into a warning and lists the volumes of the driver it knows of
// instead.
func (c *Client) List(ctx context.Context) (ListResponse, error) {
	return list.Call(ctx, c.c, struct{}{})
}

// Get asks the driver for one volume (VolumeDriver.Get, within a minute when
// ctx has no deadline). The engine reads any error but a network error (a
// net.Error), and a null Volume, as "the volume is absent"; this method
// returns them as they are, and the caller decides. An answer whose
// CreatedAt is not RFC 3339 fails, as in the engine.
func (c *Client) Get(ctx context.Context, req GetRequest) (GetResponse, error) {
	return get.Call(ctx, c.c, req)
}

// Capabilities asks the driver what it can do (VolumeDriver.Capabilities,
// with {} as its request, within a minute when ctx has no deadline). It is
// optional: a plugin that answers 404 is of the local scope, and this
// returns Capability{Scope: LocalScope} with no error. The engine falls back
// to the local scope on any other error too (and asks again next time); this
// method returns those errors. The scope is returned as the plugin wrote it:
// see NormalizeScope.
func (c *Client) Capabilities(ctx context.Context) (CapabilitiesResponse, error) {
	return capabilities.Call(ctx, c.c, struct{}{})
}
