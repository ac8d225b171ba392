// Package plugintest sets up plugin directories and listeners for the
// interoperability tests, and serves the plugin SDK's handlers on them,
// published as a socket or a spec file: always in fresh temporary
// directories, never in the machine's /run/docker/plugins or
// /etc/docker/plugins.
package plugintest

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-dockerplugins/plugins"
	"github.com/go-dockerplugins/plugins/internal/testkit"
	"github.com/stretchr/testify/require"
)

// Dirs is a plugin directory layout of a test's own: a sockets directory and
// two spec directories, searched in that order.
type Dirs struct {
	Sockets string
	Specs   [2]string
}

// NewDirs returns a layout under a fresh directory with a short path (see
// testkit.ShortDir). The directories themselves are not created.
func NewDirs(t testing.TB) Dirs {
	t.Helper()
	root := testkit.ShortDir(t)
	return Dirs{
		Sockets: filepath.Join(root, "s"),
		Specs:   [2]string{filepath.Join(root, "e"), filepath.Join(root, "u")},
	}
}

// Socket returns the path of NAME.sock in the sockets directory.
func (d Dirs) Socket(name string) string { return filepath.Join(d.Sockets, name+".sock") }

// Registry returns this library's registry over the layout.
func (d Dirs) Registry() *plugins.LocalRegistry {
	return plugins.NewLocalRegistry(
		plugins.WithSocketsDir(d.Sockets),
		plugins.WithSpecsDirs(d.Specs[:]...),
		plugins.WithLogger(testkit.QuietLogger()),
	)
}

// Store returns a store over the layout that fails at once: a missing
// plugin is not looked for again and an unreachable one is not called again,
// so no test waits for the 30-second retry budgets.
func (d Dirs) Store(opts ...plugins.StoreOption) *plugins.Store {
	base := []plugins.StoreOption{
		plugins.WithLookupRetryBudget(0),
		plugins.WithCallRetryBudget(0),
		plugins.WithLogger(testkit.QuietLogger()),
	}
	return plugins.NewStore(d.Registry(), append(base, opts...)...)
}

// ListenUnix listens on a UNIX socket at path (see testkit.ListenUnix).
func ListenUnix(t testing.TB, path string) net.Listener {
	t.Helper()
	return testkit.ListenUnix(t, path)
}

// ListenTCP listens on a loopback TCP port; the listener is closed when the
// test ends.
func ListenTCP(t testing.TB) net.Listener {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { l.Close() })
	return l
}

// Server is anything that serves plugin calls on a listener until it is
// closed, like the SDK's sdk.Handler.
type Server interface {
	Serve(net.Listener) error
}

// Serve runs s.Serve(l) in the background. When the test ends the listener
// is closed and Serve must return, with the error a closed listener gives.
func Serve(t testing.TB, s Server, l net.Listener) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- s.Serve(l) }()
	t.Cleanup(func() {
		l.Close()
		select {
		case err := <-done:
			if !errors.Is(err, net.ErrClosed) && !errors.Is(err, http.ErrServerClosed) {
				t.Errorf("serving plugin: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Errorf("plugin server on %s did not stop", l.Addr())
		}
	})
}

// WriteFile writes content to path, creating its directory.
func WriteFile(t testing.TB, path, content string) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
}

// ServeSDK serves h, a handler of the plugin SDK, as plugin name on a UNIX
// socket in a layout of the test's own, and returns the typed client
// fromPlugin makes of the plugin, found and activated through a store over
// the layout as implementing iface.
func ServeSDK[C any](t testing.TB, name, iface string, h Server, fromPlugin func(*plugins.Plugin) (C, error)) C {
	t.Helper()
	d := NewDirs(t)
	Serve(t, h, ListenUnix(t, d.Socket(name)))
	p, err := d.Store().GetContext(context.Background(), name, iface)
	require.NoError(t, err)
	c, err := fromPlugin(p)
	require.NoError(t, err)
	return c
}

// Publication is a way a plugin makes itself known in the plugin
// directories: the SDK's own ServeUnix and ServeTCP write to the machine's
// directories, so the tests create the listener and the spec file
// themselves, in a layout of their own.
type Publication struct {
	Name string
	// Publish makes plugin known in d and returns the listener it is to
	// serve on.
	Publish func(t testing.TB, d Dirs, plugin string) net.Listener
}

// PublishUnix has the plugin listen on its socket in the sockets directory.
func PublishUnix(t testing.TB, d Dirs, plugin string) net.Listener {
	t.Helper()
	return ListenUnix(t, d.Socket(plugin))
}

// PublishTCPSpec has the plugin listen on a loopback TCP port, named by a
// .spec file in the first spec directory: what the SDK's ServeTCP writes,
// with the trailing newline an admin adds.
func PublishTCPSpec(t testing.TB, d Dirs, plugin string) net.Listener {
	t.Helper()
	l := ListenTCP(t)
	WriteFile(t, d.Specs[0]+"/"+plugin+".spec", "tcp://"+l.Addr().String()+"\n")
	return l
}

// PublishHTTPJSON has the plugin listen on a loopback TCP port, named by a
// .json file in a directory of its own in the second spec directory.
func PublishHTTPJSON(t testing.TB, d Dirs, plugin string) net.Listener {
	t.Helper()
	l := ListenTCP(t)
	WriteFile(t, d.Specs[1]+"/"+plugin+"/"+plugin+".json",
		`{"Name": "ignored", "Addr": "http://`+l.Addr().String()+`"}`)
	return l
}

// PublishHTTPSJSON has the plugin listen with TLS (what the SDK's ServeTCP
// does with a tls.Config) on a loopback TCP port, named by a .json file in
// the first spec directory with the CA that signed its certificate.
func PublishHTTPSJSON(t testing.TB, d Dirs, plugin string) net.Listener {
	t.Helper()
	ca := testkit.NewCA(t, d.Specs[0]+"/certs")
	l := ListenTCP(t)
	WriteFile(t, d.Specs[0]+"/"+plugin+".json",
		`{"Addr": "https://`+l.Addr().String()+`", "TLSConfig": {"CAFile": "`+ca.File()+`"}}`)
	return tls.NewListener(l, ca.ServerConfig())
}
