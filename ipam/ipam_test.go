package ipam_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/go-dockerplugins/plugins"
	"github.com/go-dockerplugins/plugins/internal/typedtest"
	"github.com/go-dockerplugins/plugins/ipam"
	"github.com/go-dockerplugins/plugins/pluginstest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fixture serves a fake IPAM driver and makes typed clients of it.
var fixture = typedtest.Fixture[*ipam.Client]{Name: "myipam", Interface: ipam.Interface, FromPlugin: ipam.FromPlugin}

var methodCases = []typedtest.MethodCase[*ipam.Client]{
	{
		Method: "IpamDriver.GetCapabilities",
		Call: func(ctx context.Context, c *ipam.Client) (any, error) {
			return c.GetCapabilities(ctx)
		},
		WantBody: "",
		Answer:   `{"RequiresMACAddress":true,"RequiresRequestReplay":true}`,
		Want:     ipam.CapabilitiesResponse{RequiresMACAddress: true, RequiresRequestReplay: true},
		Optional: true,
	},
	{
		Method: "IpamDriver.GetDefaultAddressSpaces",
		Call: func(ctx context.Context, c *ipam.Client) (any, error) {
			return c.GetDefaultAddressSpaces(ctx)
		},
		WantBody: "",
		Answer:   `{"LocalDefaultAddressSpace":"local","GlobalDefaultAddressSpace":"global"}`,
		Want:     ipam.AddressSpacesResponse{LocalDefaultAddressSpace: "local", GlobalDefaultAddressSpace: "global"},
	},
	{
		Method: "IpamDriver.RequestPool",
		Call: func(ctx context.Context, c *ipam.Client) (any, error) {
			return c.RequestPool(ctx, ipam.RequestPoolRequest{AddressSpace: "local", V6: true})
		},
		WantBody: `{"AddressSpace":"local","Pool":"","SubPool":"","Options":null,"V6":true}` + "\n",
		Answer:   `{"PoolID":"p1","Pool":"fd00::/64","Data":{"com.docker.network.gateway":"fd00::1/64"}}`,
		Want:     ipam.RequestPoolResponse{PoolID: "p1", Pool: "fd00::/64", Data: map[string]string{ipam.GatewayKey: "fd00::1/64"}},
	},
	{
		Method: "IpamDriver.ReleasePool",
		Call: func(ctx context.Context, c *ipam.Client) (any, error) {
			return nil, c.ReleasePool(ctx, ipam.ReleasePoolRequest{PoolID: "p1"})
		},
		WantBody: `{"PoolID":"p1"}` + "\n",
		Answer:   `{}`,
	},
	{
		Method: "IpamDriver.RequestAddress",
		Call: func(ctx context.Context, c *ipam.Client) (any, error) {
			return c.RequestAddress(ctx, ipam.RequestAddressRequest{
				PoolID: "p1", Address: "10.0.0.1", Options: map[string]string{ipam.RequestAddressTypeKey: ipam.GatewayKey},
			})
		},
		WantBody: `{"PoolID":"p1","Address":"10.0.0.1","Options":{"RequestAddressType":"com.docker.network.gateway"}}` + "\n",
		Answer:   `{"Address":"10.0.0.1/24","Data":null}`,
		Want:     ipam.RequestAddressResponse{Address: "10.0.0.1/24"},
	},
	{
		Method: "IpamDriver.ReleaseAddress",
		Call: func(ctx context.Context, c *ipam.Client) (any, error) {
			return nil, c.ReleaseAddress(ctx, ipam.ReleaseAddressRequest{PoolID: "p1", Address: "10.0.0.1"})
		},
		WantBody: `{"PoolID":"p1","Address":"10.0.0.1"}` + "\n",
		Answer:   `{"Error":""}`,
	},
}

func TestMethods(t *testing.T) {
	require.Len(t, methodCases, 6, "every method the engine sends")
	for _, tc := range methodCases {
		t.Run(tc.Method, func(t *testing.T) {
			c, fake := fixture.Serve(t)
			tc.CheckAnswer(t, c, fake)

			// A 200 answer with Error: the engine's error.
			_, err := tc.CallWith(c, fake, typedtest.Raw(`{"Error":"pool exhausted"}`))
			typedtest.AnswerError(t, err, plugins.AnswerError{Method: tc.Method, Message: "pool exhausted", Prefix: "remote: "})

			// A 200 answer with Err, the key of other interfaces: a success
			// for the engine, which reads Error only.
			_, err = tc.CallWith(c, fake, typedtest.Raw(`{"Err":"ignored"}`))
			assert.NoError(t, err)

			// Another status: the client's error, from Err or the raw body.
			tc.CheckFailures(t, c, fake)
			_, err = tc.CallWith(c, fake, typedtest.RawStatus(http.StatusBadRequest, `{"Error":"not the key of error answers"}`))
			typedtest.StatusError(t, err, http.StatusBadRequest, tc.Method+`: {"Error":"not the key of error answers"}`)

			// 404: a method the plugin does not implement.
			got, err := tc.CallWith(c, fake, http.NotFoundHandler())
			if tc.Optional {
				require.NoError(t, err, "optional: no capabilities, as the engine assumes")
				assert.Zero(t, got)
			} else {
				typedtest.NotFound(t, err, tc.Method)
			}
		})
	}
}

// The engine sets no timeout on an IPAM driver's calls: a slow answer is
// waited for, and only the context's deadline bounds a call.
func TestNoTimeoutButTheContexts(t *testing.T) {
	fixture.NoTimeoutButTheContexts(t, methodCases)
}

// GetCapabilities falls back on a 404 only: other errors are returned, for
// the caller to decide (the engine registers the driver all the same).
func TestGetCapabilitiesErrors(t *testing.T) {
	c, fake := fixture.Serve(t)
	fake.Handle("IpamDriver.GetCapabilities", typedtest.Raw(`{"Error":"not ready","RequiresMACAddress":true}`))
	resp, err := c.GetCapabilities(context.Background())
	assert.EqualError(t, err, "remote: not ready")
	assert.True(t, resp.RequiresMACAddress, "the answer comes with its error")

	fake.Handle("IpamDriver.GetCapabilities", pluginstest.ReplyError(http.StatusInternalServerError, "no"))
	_, err = c.GetCapabilities(context.Background())
	assert.EqualError(t, err, "IpamDriver.GetCapabilities: no")
}

func TestFromPlugin(t *testing.T) {
	env := pluginstest.New(t)
	env.ServeSocket("net", "NetworkDriver")
	err := fixture.FromOther(t, env, "net", "NetworkDriver")
	assert.ErrorIs(t, err, plugins.ErrNotImplements)
	assert.EqualError(t, err, `Plugin does not implement the requested driver: plugin="net", requested implementation="IpamDriver"`)

	assert.Equal(t, "IpamDriver", ipam.Interface)
}
