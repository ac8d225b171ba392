package volume_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/go-dockerplugins/plugins"
	"github.com/go-dockerplugins/plugins/internal/typedtest"
	"github.com/go-dockerplugins/plugins/pluginstest"
	"github.com/go-dockerplugins/plugins/volume"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fixture serves a volume plugin and makes typed clients of it.
var fixture = typedtest.Fixture[*volume.Client]{Name: "vol", Interface: volume.Interface, FromPlugin: volume.FromPlugin}

// method is one method of the interface, called with a fixed request.
type method struct {
	name     string
	timeout  time.Duration // the engine's, without a deadline
	optional bool
	// call calls it and returns its answer, or nil for the methods that
	// return only an error.
	call func(ctx context.Context, c *volume.Client) (any, error)
	// body is what the engine sends for the same request.
	body string
}

var methods = []method{
	{
		name: "VolumeDriver.Create", timeout: 2 * time.Minute,
		call: func(ctx context.Context, c *volume.Client) (any, error) {
			return nil, c.Create(ctx, volume.CreateRequest{Name: "data"})
		},
		body: `{"Name":"data","Opts":null}`,
	},
	{
		name: "VolumeDriver.Remove", timeout: time.Minute,
		call: func(ctx context.Context, c *volume.Client) (any, error) {
			return nil, c.Remove(ctx, volume.RemoveRequest{Name: "data"})
		},
		body: `{"Name":"data"}`,
	},
	{
		name: "VolumeDriver.Path", timeout: time.Minute,
		call: func(ctx context.Context, c *volume.Client) (any, error) {
			return c.Path(ctx, volume.PathRequest{Name: "data"})
		},
		body: `{"Name":"data"}`,
	},
	{
		name: "VolumeDriver.Mount", timeout: 2 * time.Minute,
		call: func(ctx context.Context, c *volume.Client) (any, error) {
			return c.Mount(ctx, volume.MountRequest{Name: "data", ID: "c0ffee"})
		},
		body: `{"Name":"data","ID":"c0ffee"}`,
	},
	{
		name: "VolumeDriver.Unmount", timeout: time.Minute,
		call: func(ctx context.Context, c *volume.Client) (any, error) {
			return nil, c.Unmount(ctx, volume.UnmountRequest{Name: "data", ID: "c0ffee"})
		},
		body: `{"Name":"data","ID":"c0ffee"}`,
	},
	{
		name: "VolumeDriver.List", timeout: time.Minute,
		call: func(ctx context.Context, c *volume.Client) (any, error) { return c.List(ctx) },
		body: `{}`,
	},
	{
		name: "VolumeDriver.Get", timeout: time.Minute,
		call: func(ctx context.Context, c *volume.Client) (any, error) {
			return c.Get(ctx, volume.GetRequest{Name: "data"})
		},
		body: `{"Name":"data"}`,
	},
	{
		name: "VolumeDriver.Capabilities", timeout: time.Minute, optional: true,
		call: func(ctx context.Context, c *volume.Client) (any, error) { return c.Capabilities(ctx) },
		body: `{}`,
	},
}

func TestRequestsAndAnswers(t *testing.T) {
	created := time.Date(2024, 7, 1, 7, 14, 50, 500_000_000, time.FixedZone("", 2*3600))
	fixture.RunExchanges(t, []typedtest.Exchange[*volume.Client]{
		{
			Name: "create without options: Opts is null", Method: "VolumeDriver.Create",
			Call: func(ctx context.Context, c *volume.Client) (any, error) {
				return nil, c.Create(ctx, volume.CreateRequest{Name: "data"})
			},
			Body: `{"Name":"data","Opts":null}`, Answer: `{}`,
		},
		{
			Name: "create with options", Method: "VolumeDriver.Create",
			Call: func(ctx context.Context, c *volume.Client) (any, error) {
				return nil, c.Create(ctx, volume.CreateRequest{Name: "data", Opts: map[string]string{"size": "10G", "o": "uid=1000"}})
			},
			Body: `{"Name":"data","Opts":{"o":"uid=1000","size":"10G"}}`, Answer: `{"Err":""}`,
		},
		{
			Name: "create with empty options", Method: "VolumeDriver.Create",
			Call: func(ctx context.Context, c *volume.Client) (any, error) {
				return nil, c.Create(ctx, volume.CreateRequest{Name: "data", Opts: map[string]string{}})
			},
			Body: `{"Name":"data","Opts":{}}`, Answer: `{}`,
		},
		{
			Name: "remove", Method: "VolumeDriver.Remove",
			Call: func(ctx context.Context, c *volume.Client) (any, error) {
				return nil, c.Remove(ctx, volume.RemoveRequest{Name: "data"})
			},
			Body: `{"Name":"data"}`, Answer: `{}`,
		},
		{
			Name: "path", Method: "VolumeDriver.Path",
			Call: func(ctx context.Context, c *volume.Client) (any, error) {
				return c.Path(ctx, volume.PathRequest{Name: "data"})
			},
			Body: `{"Name":"data"}`, Answer: `{"Mountpoint":"/mnt/data"}`,
			Want: volume.PathResponse{Mountpoint: "/mnt/data"},
		},
		{
			Name: "mount", Method: "VolumeDriver.Mount",
			Call: func(ctx context.Context, c *volume.Client) (any, error) {
				return c.Mount(ctx, volume.MountRequest{Name: "data", ID: "c0ffee"})
			},
			Body: `{"Name":"data","ID":"c0ffee"}`, Answer: `{"Mountpoint":"/mnt/data","Extra":true}`,
			Want: volume.MountResponse{Mountpoint: "/mnt/data"},
		},
		{
			Name: "unmount", Method: "VolumeDriver.Unmount",
			Call: func(ctx context.Context, c *volume.Client) (any, error) {
				return nil, c.Unmount(ctx, volume.UnmountRequest{Name: "data", ID: "c0ffee"})
			},
			Body: `{"Name":"data","ID":"c0ffee"}`, Answer: `{}`,
		},
		{
			Name: "list", Method: "VolumeDriver.List",
			Call: func(ctx context.Context, c *volume.Client) (any, error) { return c.List(ctx) },
			Body: `{}`,
			Answer: `{"Volumes":[{"Name":"a","Mountpoint":"/mnt/a"},` +
				`{"Name":"b","CreatedAt":"2024-07-01T07:14:50.5+02:00","Status":{"size":1}}]}`,
			Want: volume.ListResponse{Volumes: []*volume.Volume{
				{Name: "a", Mountpoint: "/mnt/a"},
				{Name: "b", CreatedAt: created, Status: map[string]any{"size": float64(1)}},
			}},
		},
		{
			Name: "list, null", Method: "VolumeDriver.List",
			Call: func(ctx context.Context, c *volume.Client) (any, error) { return c.List(ctx) },
			Body: `{}`, Answer: `{"Volumes":null}`, Want: volume.ListResponse{},
		},
		{
			Name: "get", Method: "VolumeDriver.Get",
			Call: func(ctx context.Context, c *volume.Client) (any, error) {
				return c.Get(ctx, volume.GetRequest{Name: "data"})
			},
			Body: `{"Name":"data"}`,
			Answer: `{"Volume":{"Name":"data","Mountpoint":"/mnt/data","CreatedAt":"2024-07-01T07:14:50.5+02:00",` +
				`"Status":{"mounts":2,"note":"x"}}}`,
			Want: volume.GetResponse{Volume: &volume.Volume{
				Name: "data", Mountpoint: "/mnt/data", CreatedAt: created,
				Status: map[string]any{"mounts": float64(2), "note": "x"},
			}},
		},
		{
			Name: "get, CreatedAt null is the zero time", Method: "VolumeDriver.Get",
			Call: func(ctx context.Context, c *volume.Client) (any, error) {
				return c.Get(ctx, volume.GetRequest{Name: "data"})
			},
			Body: `{"Name":"data"}`, Answer: `{"Volume":{"Name":"data","CreatedAt":null}}`,
			Want: volume.GetResponse{Volume: &volume.Volume{Name: "data"}},
		},
		{
			Name: "get, no volume and no error", Method: "VolumeDriver.Get",
			Call: func(ctx context.Context, c *volume.Client) (any, error) {
				return c.Get(ctx, volume.GetRequest{Name: "data"})
			},
			Body: `{"Name":"data"}`, Answer: `{"Volume":null}`, Want: volume.GetResponse{},
		},
		{
			Name: "capabilities: the scope as written", Method: "VolumeDriver.Capabilities",
			Call: func(ctx context.Context, c *volume.Client) (any, error) { return c.Capabilities(ctx) },
			Body: `{}`, Answer: `{"Capabilities":{"Scope":"Global"}}`,
			Want: volume.CapabilitiesResponse{Capabilities: volume.Capability{Scope: "Global"}},
		},
		{
			Name: "capabilities: a null answer", Method: "VolumeDriver.Capabilities",
			Call: func(ctx context.Context, c *volume.Client) (any, error) { return c.Capabilities(ctx) },
			Body: `{}`, Answer: `null`, Want: volume.CapabilitiesResponse{},
		},
	})
}

// A CreatedAt that is not RFC 3339 fails the whole answer, as in the engine.
func TestCreatedAtIsStrict(t *testing.T) {
	for _, createdAt := range []string{`""`, `"2024-07-01 07:14:50"`, `1719818090`} {
		t.Run(createdAt, func(t *testing.T) {
			c, fp := fixture.Serve(t)
			fp.Handle("VolumeDriver.Get", typedtest.Raw(`{"Volume":{"Name":"data","CreatedAt":`+createdAt+`}}`))
			fp.Handle("VolumeDriver.List", typedtest.Raw(`{"Volumes":[{"Name":"data","CreatedAt":`+createdAt+`}]}`))
			_, err := c.Get(context.Background(), volume.GetRequest{Name: "data"})
			require.Error(t, err)
			assert.Contains(t, err.Error(), "VolumeDriver.Get")
			_, err = c.List(context.Background())
			require.Error(t, err)
			assert.Contains(t, err.Error(), "VolumeDriver.List")
		})
	}
	c, fp := fixture.Serve(t)
	fp.Handle("VolumeDriver.Get", typedtest.Raw(`{"Volume":{"Name":"data","CreatedAt":""}}`))
	_, err := c.Get(context.Background(), volume.GetRequest{Name: "data"})
	var pe *time.ParseError
	require.ErrorAs(t, err, &pe)
	assert.Contains(t, err.Error(), `parsing time "" as "2006-01-02T15:04:05Z07:00"`, "Go's error, as the engine's")
}

// An Err in a 200 answer is the error, verbatim, and what else the answer
// holds is returned with it.
func TestErrInAnswer(t *testing.T) {
	const msg = "volume data is busy: 100% used"
	for _, m := range methods {
		t.Run(m.name, func(t *testing.T) {
			c, fp := fixture.Serve(t)
			fp.Handle(m.name, typedtest.Raw(`{"Err":"`+msg+`","Mountpoint":"/mnt/data"}`))
			got, err := m.call(context.Background(), c)
			typedtest.AnswerError(t, err, plugins.AnswerError{Method: m.name, Message: msg}, "the engine's text: the plugin's, with no prefix")
			assert.False(t, typedtest.IsStatusError(err), "not a status error")
			switch got := got.(type) {
			case volume.MountResponse:
				assert.Equal(t, "/mnt/data", got.Mountpoint, "the engine keeps the mountpoint of a failed mount")
			case volume.PathResponse:
				assert.Equal(t, "/mnt/data", got.Mountpoint)
			}
		})
	}
}

// An answer other than 200 is a *plugins.StatusError, "<Method>: <Err>".
func TestStatusError(t *testing.T) {
	for _, m := range methods {
		t.Run(m.name, func(t *testing.T) {
			fixture.FailsWithStatus(t, m.name, m.name, "no such volume: data", m.call)
		})
	}
}

// A plugin without the method answers 404: the fallback for Capabilities,
// an error for the others.
func TestNotImplemented(t *testing.T) {
	for _, m := range methods {
		t.Run(m.name, func(t *testing.T) {
			got, err := fixture.NotImplemented(t, m.name, m.call)
			if m.optional {
				require.NoError(t, err)
				assert.Equal(t, volume.CapabilitiesResponse{Capabilities: volume.Capability{Scope: volume.LocalScope}}, got)
				return
			}
			typedtest.NotFound(t, err, m.name)
		})
	}
}

// Only a 404 gives the local scope: any other failure of Capabilities is
// returned, although the engine would fall back on it too.
func TestCapabilitiesFailures(t *testing.T) {
	got := fixture.FallsBackOn404Only(t, "VolumeDriver.Capabilities", func(ctx context.Context, c *volume.Client) (any, error) {
		return c.Capabilities(ctx)
	})
	assert.Equal(t, volume.LocalScope, got.(volume.CapabilitiesResponse).Capabilities.Scope)
}

// The engine's per-method timeout bounds a call whose context has no
// deadline; a deadline on the context replaces it, longer or shorter.
//
// Timeouts of minutes are measured without waiting for them: the plugin
// drops every connection, so the call retries after the back-off wait set
// here, and the client never schedules a retry that would start after the
// call's deadline. A wait just over the timeout is refused at once; a wait
// just under it is scheduled, and seen by the retry observer, which ends the
// call.
func TestTimeouts(t *testing.T) {
	const slack = 2 * time.Second
	// call calls m against a plugin that drops its connections, retried
	// after wait; it returns whether a retry was scheduled, and the call's
	// error.
	call := func(ctx context.Context, t *testing.T, m method, wait time.Duration) (bool, error) {
		scheduled, took, err := fixture.RetryScheduled(ctx, t, m.name, wait, time.Hour, func(ctx context.Context, c *volume.Client) error {
			_, err := m.call(ctx, c)
			return err
		})
		assert.Less(t, took, 10*time.Second, "nothing was waited for")
		return scheduled, err
	}
	for _, m := range methods {
		t.Run(m.name, func(t *testing.T) {
			scheduled, err := call(context.Background(), t, m, m.timeout+slack)
			assert.ErrorIs(t, err, context.DeadlineExceeded)
			assert.False(t, scheduled, "a call without a deadline ends within %v", m.timeout)

			scheduled, err = call(context.Background(), t, m, m.timeout-slack)
			assert.ErrorIs(t, err, context.Canceled)
			assert.True(t, scheduled, "a call without a deadline goes on for %v", m.timeout)

			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
			defer cancel()
			scheduled, err = call(ctx, t, m, 5*time.Minute)
			assert.ErrorIs(t, err, context.Canceled)
			assert.True(t, scheduled, "a longer deadline on the context replaces %v", m.timeout)
		})
	}
}

// A short deadline on the context ends a call to a slow plugin.
func TestShortDeadline(t *testing.T) {
	for _, m := range methods {
		t.Run(m.name, func(t *testing.T) {
			c, fp := fixture.Serve(t)
			fp.Handle(m.name, typedtest.Raw(`{}`)).Inject(pluginstest.Fault{Method: m.name, Delay: time.Minute})
			typedtest.EndsAtDeadline(t, 200*time.Millisecond, 5*time.Second, func(ctx context.Context) error {
				_, err := m.call(ctx, c)
				return err
			})
		})
	}
}

func TestFromPlugin(t *testing.T) {
	env := pluginstest.New(t)
	env.ServeSocket("net", "NetworkDriver")
	fp := env.ServeSocket("vol", "NetworkDriver", volume.Interface).
		Handle("VolumeDriver.Path", typedtest.Raw(`{"Mountpoint":"/mnt/x"}`))

	err := fixture.FromOther(t, env, "net", "NetworkDriver")
	require.ErrorIs(t, err, plugins.ErrNotImplements)
	assert.EqualError(t, err, `Plugin does not implement the requested driver: plugin="net", requested implementation="VolumeDriver"`)

	c, made := fixture.Clients(t, env, volume.NewClient)
	got, err := c.Path(context.Background(), volume.PathRequest{Name: "x"})
	require.NoError(t, err)
	assert.Equal(t, "/mnt/x", got.Mountpoint)

	got, err = made.Path(context.Background(), volume.PathRequest{Name: "y"})
	require.NoError(t, err)
	assert.Equal(t, "/mnt/x", got.Mountpoint)
	assert.Len(t, fp.Calls("VolumeDriver.Path"), 2)
}

func TestNormalizeScope(t *testing.T) {
	tests := map[string]string{
		"":        volume.LocalScope,
		"local":   volume.LocalScope,
		"global":  volume.GlobalScope,
		"GLOBAL":  volume.GlobalScope,
		"Local":   volume.LocalScope,
		"cluster": volume.LocalScope,
	}
	for in, want := range tests {
		assert.Equal(t, want, volume.NormalizeScope(in), "%q", in)
	}
}

// A Volume is encoded as the engine encodes its own: no key left out.
func TestVolumeJSON(t *testing.T) {
	b, err := json.Marshal(volume.Volume{Name: "data"})
	require.NoError(t, err)
	assert.JSONEq(t, `{"Name":"data","Mountpoint":"","CreatedAt":"0001-01-01T00:00:00Z","Status":null}`, string(b))
	b, err = json.Marshal(volume.CreateRequest{Name: "data"})
	require.NoError(t, err)
	assert.Equal(t, `{"Name":"data","Opts":null}`, string(b))
}
