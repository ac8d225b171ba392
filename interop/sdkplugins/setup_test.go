package sdkplugins_test

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/go-dockerplugins/plugins"
	"github.com/go-dockerplugins/plugins/interop/internal/plugintest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// publication is a way a plugin makes itself known in the plugin
// directories.
type publication = plugintest.Publication

// publications are the ways a plugin makes itself known.
var publications = []publication{
	{Name: "unix socket", Publish: plugintest.PublishUnix},
	{Name: "tcp .spec", Publish: plugintest.PublishTCPSpec},
	{Name: "http .json", Publish: plugintest.PublishHTTPJSON},
	{Name: "https .json, verified", Publish: plugintest.PublishHTTPSJSON},
}

// forEachPublication runs fn once for every publication of the plugin.
func forEachPublication(t *testing.T, fn func(t *testing.T, pub publication)) {
	for _, pub := range publications {
		t.Run(pub.Name, func(t *testing.T) { fn(t, pub) })
	}
}

// startPlugin serves the SDK handler h as plugin name, then finds and
// activates it through a fresh store of this library, and checks that its
// manifest lists exactly iface.
func startPlugin(t *testing.T, pub publication, name string, h plugintest.Server, iface string) *plugins.Plugin {
	t.Helper()
	d := plugintest.NewDirs(t)
	plugintest.Serve(t, h, pub.Publish(t, d, name))

	p, err := d.Store().GetContext(context.Background(), name, iface)
	require.NoError(t, err)
	require.Equal(t, name, p.Name)
	require.NotNil(t, p.Manifest)
	assert.Equal(t, []string{iface}, p.Manifest.Implements)
	assert.True(t, p.Implements(iface))
	return p
}

// step is one call of a plugin API and what it must give.
type step struct {
	method string
	args   any
	// want is the expected answer; the answer is decoded into a new value of
	// its type. Unused when wantErr is set.
	want any
	// wantErr is the whole error text expected, for a call that fails with
	// an answer other than 200.
	wantErr    string
	wantStatus int
	notFound   bool
}

// run makes the calls in order, each depending on the plugin's state left
// by those before it.
func run(t *testing.T, c *plugins.Client, steps []step) {
	t.Helper()
	for i, s := range steps {
		if s.wantErr != "" {
			err := c.Call(s.method, s.args, nil)
			require.EqualErrorf(t, err, s.wantErr, "step %d", i)
			var se *plugins.StatusError
			require.Truef(t, errors.As(err, &se), "step %d: %T is not a *StatusError", i, err)
			assert.Equalf(t, s.wantStatus, se.StatusCode, "step %d", i)
			assert.Equalf(t, s.notFound, plugins.IsNotFound(err), "step %d: IsNotFound", i)
			continue
		}
		got := reflect.New(reflect.TypeOf(s.want))
		require.NoErrorf(t, c.Call(s.method, s.args, got.Interface()), "step %d: %s", i, s.method)
		assert.Equalf(t, s.want, got.Elem().Interface(), "step %d: %s", i, s.method)
	}
}
