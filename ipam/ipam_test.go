package ipam_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/go-dockerplugins/plugins"
	"github.com/go-dockerplugins/plugins/ipam"
	"github.com/go-dockerplugins/plugins/pluginstest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// serve serves a fake IPAM driver and returns a typed client of it.
func serve(t *testing.T) (*ipam.Client, *pluginstest.Plugin) {
	t.Helper()
	env := pluginstest.New(t)
	fake := env.ServeSocket("myipam", ipam.Interface)
	p, err := env.Store().Get("myipam", ipam.Interface)
	require.NoError(t, err)
	c, err := ipam.FromPlugin(p)
	require.NoError(t, err)
	return c, fake
}

// raw answers status with body, as is.
func raw(status int, body string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", pluginstest.MediaType)
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	})
}

// methodCase is one method: how to call it, the request the engine would
// send for the same arguments, an answer and what it decodes to.
type methodCase struct {
	method   string
	call     func(context.Context, *ipam.Client) (any, error)
	wantBody string // exact bytes, newline included; "" for no body
	answer   string
	want     any // decoded answer; nil for methods whose answer holds only Error
	optional bool
}

var methodCases = []methodCase{
	{
		method: "IpamDriver.GetCapabilities",
		call: func(ctx context.Context, c *ipam.Client) (any, error) {
			return c.GetCapabilities(ctx)
		},
		wantBody: "",
		answer:   `{"RequiresMACAddress":true,"RequiresRequestReplay":true}`,
		want:     ipam.CapabilitiesResponse{RequiresMACAddress: true, RequiresRequestReplay: true},
		optional: true,
	},
	{
		method: "IpamDriver.GetDefaultAddressSpaces",
		call: func(ctx context.Context, c *ipam.Client) (any, error) {
			return c.GetDefaultAddressSpaces(ctx)
		},
		wantBody: "",
		answer:   `{"LocalDefaultAddressSpace":"local","GlobalDefaultAddressSpace":"global"}`,
		want:     ipam.AddressSpacesResponse{LocalDefaultAddressSpace: "local", GlobalDefaultAddressSpace: "global"},
	},
	{
		method: "IpamDriver.RequestPool",
		call: func(ctx context.Context, c *ipam.Client) (any, error) {
			return c.RequestPool(ctx, ipam.RequestPoolRequest{AddressSpace: "local", V6: true})
		},
		wantBody: `{"AddressSpace":"local","Pool":"","SubPool":"","Options":null,"V6":true}` + "\n",
		answer:   `{"PoolID":"p1","Pool":"fd00::/64","Data":{"com.docker.network.gateway":"fd00::1/64"}}`,
		want:     ipam.RequestPoolResponse{PoolID: "p1", Pool: "fd00::/64", Data: map[string]string{ipam.GatewayKey: "fd00::1/64"}},
	},
	{
		method: "IpamDriver.ReleasePool",
		call: func(ctx context.Context, c *ipam.Client) (any, error) {
			return nil, c.ReleasePool(ctx, ipam.ReleasePoolRequest{PoolID: "p1"})
		},
		wantBody: `{"PoolID":"p1"}` + "\n",
		answer:   `{}`,
	},
	{
		method: "IpamDriver.RequestAddress",
		call: func(ctx context.Context, c *ipam.Client) (any, error) {
			return c.RequestAddress(ctx, ipam.RequestAddressRequest{
				PoolID: "p1", Address: "10.0.0.1", Options: map[string]string{ipam.RequestAddressTypeKey: ipam.GatewayKey},
			})
		},
		wantBody: `{"PoolID":"p1","Address":"10.0.0.1","Options":{"RequestAddressType":"com.docker.network.gateway"}}` + "\n",
		answer:   `{"Address":"10.0.0.1/24","Data":null}`,
		want:     ipam.RequestAddressResponse{Address: "10.0.0.1/24"},
	},
	{
		method: "IpamDriver.ReleaseAddress",
		call: func(ctx context.Context, c *ipam.Client) (any, error) {
			return nil, c.ReleaseAddress(ctx, ipam.ReleaseAddressRequest{PoolID: "p1", Address: "10.0.0.1"})
		},
		wantBody: `{"PoolID":"p1","Address":"10.0.0.1"}` + "\n",
		answer:   `{"Error":""}`,
	},
}

func TestMethods(t *testing.T) {
	require.Len(t, methodCases, 6, "every method the engine sends")
	for _, tc := range methodCases {
		t.Run(tc.method, func(t *testing.T) {
			c, fake := serve(t)
			ctx := context.Background()

			fake.Handle(tc.method, raw(http.StatusOK, tc.answer))
			got, err := tc.call(ctx, c)
			require.NoError(t, err)
			if tc.want != nil {
				assert.Equal(t, tc.want, got, "the answer decoded")
			}
			calls := fake.Calls(tc.method)
			require.Len(t, calls, 1)
			assert.Equal(t, tc.wantBody, string(calls[0].Body), "the request, as the engine sends it")
			assert.EqualValues(t, len(tc.wantBody), calls[0].ContentLength)

			// A 200 answer with Error: the engine's error.
			fake.Handle(tc.method, raw(http.StatusOK, `{"Error":"pool exhausted"}`))
			_, err = tc.call(ctx, c)
			assert.EqualError(t, err, "remote: pool exhausted")
			var ae *plugins.AnswerError
			require.ErrorAs(t, err, &ae)
			assert.Equal(t, plugins.AnswerError{Method: tc.method, Message: "pool exhausted", Prefix: "remote: "}, *ae)

			// A 200 answer with Err, the key of other interfaces: a success
			// for the engine, which reads Error only.
			fake.Handle(tc.method, raw(http.StatusOK, `{"Err":"ignored"}`))
			_, err = tc.call(ctx, c)
			assert.NoError(t, err)

			// Another status: the client's error, from Err or the raw body.
			fake.Handle(tc.method, pluginstest.ReplyError(http.StatusInternalServerError, "driver busy"))
			_, err = tc.call(ctx, c)
			assert.EqualError(t, err, tc.method+": driver busy")
			var se *plugins.StatusError
			require.ErrorAs(t, err, &se)
			assert.Equal(t, http.StatusInternalServerError, se.StatusCode)
			assert.False(t, errors.As(err, &ae))

			fake.Handle(tc.method, raw(http.StatusBadRequest, `{"Error":"not the key of error answers"}`))
			_, err = tc.call(ctx, c)
			assert.EqualError(t, err, tc.method+`: {"Error":"not the key of error answers"}`)
			require.ErrorAs(t, err, &se)
			assert.Equal(t, http.StatusBadRequest, se.StatusCode)

			// A 200 answer without a body fails, as in the engine.
			fake.Handle(tc.method, raw(http.StatusOK, ""))
			_, err = tc.call(ctx, c)
			assert.Error(t, err)

			// 404: a method the plugin does not implement.
			fake.Handle(tc.method, http.NotFoundHandler())
			got, err = tc.call(ctx, c)
			if tc.optional {
				require.NoError(t, err, "optional: no capabilities, as the engine assumes")
				assert.Zero(t, got)
			} else {
				assert.True(t, plugins.IsNotFound(err), "%v", err)
				assert.EqualError(t, err, tc.method+": 404 page not found\n")
			}
		})
	}
}

// The engine sets no timeout on an IPAM driver's calls: a slow answer is
// waited for, and only the context's deadline bounds a call.
func TestNoTimeoutButTheContexts(t *testing.T) {
	for _, tc := range methodCases {
		t.Run(tc.method, func(t *testing.T) {
			t.Parallel()
			c, fake := serve(t)
			fake.Handle(tc.method, raw(http.StatusOK, tc.answer)).
				Inject(pluginstest.Fault{Method: tc.method, Times: 1, Delay: 300 * time.Millisecond})
			_, err := tc.call(context.Background(), c)
			require.NoError(t, err, "no timeout of its own")

			fake.Inject(pluginstest.Fault{Method: tc.method, Times: 1, Delay: 10 * time.Second})
			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			defer cancel()
			start := time.Now()
			_, err = tc.call(ctx, c)
			assert.ErrorIs(t, err, context.DeadlineExceeded)
			assert.Less(t, time.Since(start), 5*time.Second, "the context's deadline ends the call")
		})
	}
}

// GetCapabilities falls back on a 404 only: other errors are returned, for
// the caller to decide (the engine registers the driver all the same).
func TestGetCapabilitiesErrors(t *testing.T) {
	c, fake := serve(t)
	fake.Handle("IpamDriver.GetCapabilities", raw(http.StatusOK, `{"Error":"not ready","RequiresMACAddress":true}`))
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
	p, err := env.Store().Get("net", "NetworkDriver")
	require.NoError(t, err)
	_, err = ipam.FromPlugin(p)
	assert.ErrorIs(t, err, plugins.ErrNotImplements)
	assert.EqualError(t, err, `Plugin does not implement the requested driver: plugin="net", requested implementation="IpamDriver"`)

	assert.Equal(t, "IpamDriver", ipam.Interface)
}
