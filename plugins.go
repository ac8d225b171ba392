package plugins

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/docker/go-connections/tlsconfig"
)

// Manifest lists what a plugin implements.
type Manifest struct {
	// Implements lists the interfaces the plugin serves, e.g.
	// "VolumeDriver", as its handshake answered.
	Implements []string
}

// Plugin is a legacy plugin: where it listens and, once activated, its
// client and manifest.
//
// A Registry returns descriptions with Name, Addr and TLSConfig set; Get
// returns activated plugins, whose Client and Manifest are set too. The
// fields of an activated plugin must not be changed.
type Plugin struct {
	// Name is the plugin's name: its socket's or spec file's, less the
	// extension.
	Name string `json:"-"`
	// Addr is where the plugin listens, e.g. unix:///run/docker/plugins/x.sock.
	Addr string
	// TLSConfig is used for an https:// address.
	TLSConfig tlsconfig.Options
	// Client calls the plugin; nil until it is activated.
	Client *Client `json:"-"`
	// Manifest is the plugin's answer to its handshake; nil until it is
	// activated.
	Manifest *Manifest `json:"-"`

	// source is the socket or spec file the plugin was found through.
	source string
	// state is set on plugins activated by a Store.
	state *pluginState
}

// pluginState is what a Store keeps about a plugin it activated.
type pluginState struct {
	// mu serialises running handlers, so each runs once.
	mu sync.Mutex
	// handled counts the store's handlers already considered for the plugin.
	handled atomic.Int64
}

// NewLocalPlugin returns the description of a plugin at addr, with TLS
// verification off (it is unused on sockets), for Registry implementations.
func NewLocalPlugin(name, addr string) *Plugin {
	return &Plugin{Name: name, Addr: addr, TLSConfig: tlsconfig.Options{InsecureSkipVerify: true}}
}

// Source returns the socket or spec file through which a LocalRegistry found
// the plugin, or "" for a plugin described otherwise.
func (p *Plugin) Source() string { return p.source }

// Implements reports whether the plugin's manifest lists iface. It is false
// for a plugin that has not been activated.
func (p *Plugin) Implements(iface string) bool {
	return p.Manifest != nil && slices.Contains(p.Manifest.Implements, iface)
}

// defaultStore is the store behind the package-level Get, GetAll and Handle:
// it finds plugins in the operating system's directories (see
// NewLocalRegistry) with the engine's default budgets. It is built on first
// use, so a program may set ROOTLESSKIT_STATE_DIR or XDG_CONFIG_HOME before.
var defaultStore = sync.OnceValue(func() *Store { return NewStore(NewLocalRegistry()) })

// Get returns the plugin called name, activated, if it implements imp
// (e.g. "VolumeDriver").
//
// The plugin is looked up in the default directories, retrying for up to 30
// seconds while it is not found, activated once per process, and the
// handlers registered for its interfaces run before Get returns. The error
// wraps ErrNotFound when there is no such plugin, and ErrNotImplements when
// the plugin does not implement imp.
func Get(name, imp string) (*Plugin, error) {
	return defaultStore().Get(name, imp)
}

// GetContext is Get bounded by ctx: cancelling it ends the lookup, its
// retries and activation, and returns an error that satisfies
// errors.Is(err, ctx.Err()).
func GetContext(ctx context.Context, name, imp string) (*Plugin, error) {
	return defaultStore().GetContext(ctx, name, imp)
}

// GetAll returns every plugin in the default directories that implements
// imp, sorted by name. Plugins that cannot be activated within
// DefaultGetAllTimeout are logged and left out; their activation goes on.
func GetAll(imp string) ([]*Plugin, error) {
	return defaultStore().GetAll(imp)
}

// GetAllContext is GetAll bounded by ctx as well.
func GetAllContext(ctx context.Context, imp string) ([]*Plugin, error) {
	return defaultStore().GetAllContext(ctx, imp)
}

// Handle registers fn to run once for every plugin that implements iface.
//
// fn runs once, with the plugin's name and client, for every plugin of the
// default store that implements iface: plugins activated later run it as
// part of their activation, plugins already activated on their next Get.
func Handle(iface string, fn func(string, *Client)) {
	defaultStore().Handle(iface, fn)
}
