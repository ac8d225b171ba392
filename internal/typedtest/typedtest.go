// Package typedtest holds what the tests of the typed clients (volume,
// network, ipam, ...) share: a fake plugin of the interface with a typed
// client of it, raw answers, and the checks of what a call returns: the
// request the plugin received, the error of a 200 answer or of another
// status, and how long a call may take.
//
// It builds on pluginstest and checks with testify; the interop module's
// tests use it too.
package typedtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"net/http"
	"testing"
	"time"

	"github.com/go-dockerplugins/plugins"
	"github.com/go-dockerplugins/plugins/pluginstest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Fixture serves fake plugins of one interface and makes typed clients of
// them, of type C.
type Fixture[C any] struct {
	// Name is the fake plugin's name.
	Name string
	// Interface is what its manifest lists and what the client is made for.
	Interface string
	// FromPlugin makes the typed client: the typed package's FromPlugin.
	FromPlugin func(*plugins.Plugin) (C, error)
}

// Serve serves the fake plugin in a fresh environment whose store is
// configured by opts, and returns the typed client FromPlugin makes of the
// plugin the store gets, with the fake.
func (f Fixture[C]) Serve(t *testing.T, opts ...plugins.StoreOption) (C, *pluginstest.Plugin) {
	t.Helper()
	env := pluginstest.New(t, opts...)
	fake := env.ServeSocket(f.Name, f.Interface)
	return f.Client(t, env), fake
}

// Client returns the typed client FromPlugin makes of the fake plugin that
// env's store gets.
func (f Fixture[C]) Client(t *testing.T, env *pluginstest.Env) C {
	t.Helper()
	p, err := env.Store().Get(f.Name, f.Interface)
	require.NoError(t, err)
	c, err := f.FromPlugin(p)
	require.NoError(t, err)
	return c
}

// FromOther returns the error of FromPlugin for the plugin name, which
// env's store gets as implementing iface: another interface than the
// fixture's.
func (f Fixture[C]) FromOther(t *testing.T, env *pluginstest.Env, name, iface string) error {
	t.Helper()
	p, err := env.Store().Get(name, iface)
	require.NoError(t, err)
	_, err = f.FromPlugin(p)
	return err
}

// CheckFromPlugin serves the fixture's plugin and a volume plugin: it
// checks that FromPlugin makes a client of the first, and refuses the
// second with an error matching plugins.ErrNotImplements, and returns the
// client.
func (f Fixture[C]) CheckFromPlugin(t *testing.T) C {
	t.Helper()
	env := pluginstest.New(t)
	env.ServeSocket(f.Name, f.Interface)
	env.ServeSocket("vol", "VolumeDriver")
	c := f.Client(t, env)
	assert.ErrorIs(t, f.FromOther(t, env, "vol", "VolumeDriver"), plugins.ErrNotImplements)
	return c
}

// Clients returns two typed clients of the fixture's plugin, which env's
// store gets: the one FromPlugin makes, and the one newClient makes of the
// plugin's client.
func (f Fixture[C]) Clients(t *testing.T, env *pluginstest.Env, newClient func(*plugins.Client) C) (fromPlugin, made C) {
	t.Helper()
	p, err := env.Store().Get(f.Name, f.Interface)
	require.NoError(t, err)
	fromPlugin, err = f.FromPlugin(p)
	require.NoError(t, err)
	return fromPlugin, newClient(p.Client)
}

// Raw answers 200 with body, as it is.
func Raw(body string) http.Handler { return RawStatus(http.StatusOK, body) }

// RawStatus answers status with body, as it is.
func RawStatus(status int, body string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", pluginstest.MediaType)
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	})
}

// OnlyRequest returns the one request fake received for method.
func OnlyRequest(t *testing.T, fake *pluginstest.Plugin, method string) pluginstest.Request {
	t.Helper()
	calls := fake.Calls(method)
	require.Len(t, calls, 1, method)
	return calls[0]
}

// ReadAll reads a stream whole and closes it, for a method whose answer is
// a stream: it returns the stream's text, or the error of the call.
func ReadAll(rc io.ReadCloser, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	return string(b), err
}

// NewCert returns a self-signed certificate for common name cn.
func NewCert(t *testing.T, cn string) *x509.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Unix(0, 0),
		NotAfter:     time.Unix(0, 0).Add(24 * time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	return cert
}
