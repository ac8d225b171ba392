// Package plugins provides structures and helper functions to manage Docker
// plugins.
//
// Docker discovers plugins by looking for them in the plugin directory
// whenever a user or container tries to use one by name. UNIX domain socket
// files must be located under /run/docker/plugins, whereas spec files can be
// located either under /etc/docker/plugins or /usr/lib/docker/plugins. This
// is handled by the Registry interface, which lets you list all plugins or
// get a plugin by its name if it exists.
//
// The plugins need to implement an HTTP server and bind this to the UNIX
// socket or the address specified in the spec files. A handshake is sent at
// /Plugin.Activate, and plugins are expected to return a Manifest with a
// list of the Docker subsystems which this plugin implements.
//
// In order to use a plugin, you can use Get with the name of the plugin and
// the subsystem it implements:
//
//	plugin, err := plugins.Get("example", "VolumeDriver")
//	if err != nil {
//		return fmt.Errorf("Error looking up volume plugin example: %v", err)
//	}
//	var resp struct{ Mountpoint, Err string }
//	err = plugin.Client.Call("VolumeDriver.Mount", map[string]string{"Name": "v1", "ID": "c1"}, &resp)
//
// This package is wire-compatible with the engine's pkg/plugins: the same
// discovery, requests, error texts and retries (for up to 30 seconds while a
// plugin cannot be reached). Beyond it, it offers contexts on every call
// (CallContext, StreamContext, SendFileContext, GetContext), independent
// Stores over any Registry with their own budgets and handlers, options to
// choose the directories (NewLocalRegistry), visible retries
// (WithRetryObserver), and it refuses plugin names that would reach outside
// the plugin directories.
package plugins
