package volume_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/go-dockerplugins/plugins"
	"github.com/go-dockerplugins/plugins/pluginstest"
	"github.com/go-dockerplugins/plugins/volume"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// serve serves a volume plugin and returns a typed client of it, through
// the environment's store configured by opts.
func serve(t *testing.T, opts ...plugins.StoreOption) (*volume.Client, *pluginstest.Plugin) {
	t.Helper()
	env := pluginstest.New(t, opts...)
	fp := env.ServeSocket("vol", volume.Interface)
	p, err := env.Store().Get("vol", volume.Interface)
	require.NoError(t, err)
	c, err := volume.FromPlugin(p)
	require.NoError(t, err)
	return c, fp
}

// raw answers 200 with body as it is.
func raw(body string) http.Handler { return pluginstest.Reply(json.RawMessage(body)) }

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
	tests := []struct {
		name   string
		method string
		call   func(ctx context.Context, c *volume.Client) (any, error)
		// body is the request as the engine sends it.
		body   string
		answer string
		want   any
	}{
		{
			name: "create without options: Opts is null", method: "VolumeDriver.Create",
			call: func(ctx context.Context, c *volume.Client) (any, error) {
				return nil, c.Create(ctx, volume.CreateRequest{Name: "data"})
			},
			body: `{"Name":"data","Opts":null}`, answer: `{}`,
		},
		{
			name: "create with options", method: "VolumeDriver.Create",
			call: func(ctx context.Context, c *volume.Client) (any, error) {
				return nil, c.Create(ctx, volume.CreateRequest{Name: "data", Opts: map[string]string{"size": "10G", "o": "uid=1000"}})
			},
			body: `{"Name":"data","Opts":{"o":"uid=1000","size":"10G"}}`, answer: `{"Err":""}`,
		},
		{
			name: "create with empty options", method: "VolumeDriver.Create",
			call: func(ctx context.Context, c *volume.Client) (any, error) {
				return nil, c.Create(ctx, volume.CreateRequest{Name: "data", Opts: map[string]string{}})
			},
			body: `{"Name":"data","Opts":{}}`, answer: `{}`,
		},
		{
			name: "remove", method: "VolumeDriver.Remove",
			call: func(ctx context.Context, c *volume.Client) (any, error) {
				return nil, c.Remove(ctx, volume.RemoveRequest{Name: "data"})
			},
			body: `{"Name":"data"}`, answer: `{}`,
		},
		{
			name: "path", method: "VolumeDriver.Path",
			call: func(ctx context.Context, c *volume.Client) (any, error) {
				return c.Path(ctx, volume.PathRequest{Name: "data"})
			},
			body: `{"Name":"data"}`, answer: `{"Mountpoint":"/mnt/data"}`,
			want: volume.PathResponse{Mountpoint: "/mnt/data"},
		},
		{
			name: "mount", method: "VolumeDriver.Mount",
			call: func(ctx context.Context, c *volume.Client) (any, error) {
				return c.Mount(ctx, volume.MountRequest{Name: "data", ID: "c0ffee"})
			},
			body: `{"Name":"data","ID":"c0ffee"}`, answer: `{"Mountpoint":"/mnt/data","Extra":true}`,
			want: volume.MountResponse{Mountpoint: "/mnt/data"},
		},
		{
			name: "unmount", method: "VolumeDriver.Unmount",
			call: func(ctx context.Context, c *volume.Client) (any, error) {
				return nil, c.Unmount(ctx, volume.UnmountRequest{Name: "data", ID: "c0ffee"})
			},
			body: `{"Name":"data","ID":"c0ffee"}`, answer: `{}`,
		},
		{
			name: "list", method: "VolumeDriver.List",
			call: func(ctx context.Context, c *volume.Client) (any, error) { return c.List(ctx) },
			body: `{}`,
			answer: `{"Volumes":[{"Name":"a","Mountpoint":"/mnt/a"},` +
				`{"Name":"b","CreatedAt":"2024-07-01T07:14:50.5+02:00","Status":{"size":1}}]}`,
			want: volume.ListResponse{Volumes: []*volume.Volume{
				{Name: "a", Mountpoint: "/mnt/a"},
				{Name: "b", CreatedAt: created, Status: map[string]any{"size": float64(1)}},
			}},
		},
		{
			name: "list, null", method: "VolumeDriver.List",
			call: func(ctx context.Context, c *volume.Client) (any, error) { return c.List(ctx) },
			body: `{}`, answer: `{"Volumes":null}`, want: volume.ListResponse{},
		},
		{
			name: "get", method: "VolumeDriver.Get",
			call: func(ctx context.Context, c *volume.Client) (any, error) {
				return c.Get(ctx, volume.GetRequest{Name: "data"})
			},
			body: `{"Name":"data"}`,
			answer: `{"Volume":{"Name":"data","Mountpoint":"/mnt/data","CreatedAt":"2024-07-01T07:14:50.5+02:00",` +
				`"Status":{"mounts":2,"note":"x"}}}`,
			want: volume.GetResponse{Volume: &volume.Volume{
				Name: "data", Mountpoint: "/mnt/data", CreatedAt: created,
				Status: map[string]any{"mounts": float64(2), "note": "x"},
			}},
		},
		{
			name: "get, CreatedAt null is the zero time", method: "VolumeDriver.Get",
			call: func(ctx context.Context, c *volume.Client) (any, error) {
				return c.Get(ctx, volume.GetRequest{Name: "data"})
			},
			body: `{"Name":"data"}`, answer: `{"Volume":{"Name":"data","CreatedAt":null}}`,
			want: volume.GetResponse{Volume: &volume.Volume{Name: "data"}},
		},
		{
			name: "get, no volume and no error", method: "VolumeDriver.Get",
			call: func(ctx context.Context, c *volume.Client) (any, error) {
				return c.Get(ctx, volume.GetRequest{Name: "data"})
			},
			body: `{"Name":"data"}`, answer: `{"Volume":null}`, want: volume.GetResponse{},
		},
		{
			name: "capabilities: the scope as written", method: "VolumeDriver.Capabilities",
			call: func(ctx context.Context, c *volume.Client) (any, error) { return c.Capabilities(ctx) },
			body: `{}`, answer: `{"Capabilities":{"Scope":"Global"}}`,
			want: volume.CapabilitiesResponse{Capabilities: volume.Capability{Scope: "Global"}},
		},
		{
			name: "capabilities: a null answer", method: "VolumeDriver.Capabilities",
			call: func(ctx context.Context, c *volume.Client) (any, error) { return c.Capabilities(ctx) },
			body: `{}`, answer: `null`, want: volume.CapabilitiesResponse{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, fp := serve(t)
			fp.Handle(tt.method, raw(tt.answer))
			got, err := tt.call(context.Background(), c)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			calls := fp.Calls(tt.method)
			require.Len(t, calls, 1)
			assert.Equal(t, tt.body+"\n", string(calls[0].Body), "the request, byte for byte as the engine sends it")
			assert.Equal(t, "/"+tt.method, calls[0].Path)
		})
	}
}

// A CreatedAt that is not RFC 3339 fails the whole answer, as in the engine.
func TestCreatedAtIsStrict(t *testing.T) {
	for _, createdAt := range []string{`""`, `"2024-07-01 07:14:50"`, `1719818090`} {
		t.Run(createdAt, func(t *testing.T) {
			c, fp := serve(t)
			fp.Handle("VolumeDriver.Get", raw(`{"Volume":{"Name":"data","CreatedAt":`+createdAt+`}}`))
			fp.Handle("VolumeDriver.List", raw(`{"Volumes":[{"Name":"data","CreatedAt":`+createdAt+`}]}`))
			_, err := c.Get(context.Background(), volume.GetRequest{Name: "data"})
			require.Error(t, err)
			assert.Contains(t, err.Error(), "VolumeDriver.Get")
			_, err = c.List(context.Background())
			require.Error(t, err)
			assert.Contains(t, err.Error(), "VolumeDriver.List")
		})
	}
	c, fp := serve(t)
	fp.Handle("VolumeDriver.Get", raw(`{"Volume":{"Name":"data","CreatedAt":""}}`))
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
			c, fp := serve(t)
			fp.Handle(m.name, raw(`{"Err":"`+msg+`","Mountpoint":"/mnt/data"}`))
			got, err := m.call(context.Background(), c)
			require.EqualError(t, err, msg, "the engine's text: the plugin's, with no prefix")
			var ae *plugins.AnswerError
			require.ErrorAs(t, err, &ae)
			assert.Equal(t, m.name, ae.Method)
			assert.Equal(t, msg, ae.Message)
			assert.Empty(t, ae.Prefix)
			var se *plugins.StatusError
			assert.False(t, errors.As(err, &se), "not a status error")
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
			c, fp := serve(t)
			fp.Handle(m.name, raw(`{}`)).
				Inject(pluginstest.Fault{Method: m.name, Status: http.StatusInternalServerError, Err: "no such volume: data"})
			_, err := m.call(context.Background(), c)
			require.EqualError(t, err, m.name+": no such volume: data")
			var se *plugins.StatusError
			require.ErrorAs(t, err, &se)
			assert.Equal(t, http.StatusInternalServerError, se.StatusCode)
			assert.Equal(t, m.name, se.Method)
			var ae *plugins.AnswerError
			assert.False(t, errors.As(err, &ae))
			assert.False(t, plugins.IsNotFound(err))
			assert.Len(t, fp.Calls(m.name), 1, "an error status is not retried")
		})
	}
}

// A plugin without the method answers 404: the fallback for Capabilities,
// an error for the others.
func TestNotImplemented(t *testing.T) {
	for _, m := range methods {
		t.Run(m.name, func(t *testing.T) {
			c, fp := serve(t) // no handler: 404
			got, err := m.call(context.Background(), c)
			require.Len(t, fp.Calls(m.name), 1)
			if m.optional {
				require.NoError(t, err)
				assert.Equal(t, volume.CapabilitiesResponse{Capabilities: volume.Capability{Scope: volume.LocalScope}}, got)
				return
			}
			assert.True(t, plugins.IsNotFound(err), "%v", err)
			assert.EqualError(t, err, m.name+": 404 page not found\n")
		})
	}
}

// Only a 404 gives the local scope: any other failure of Capabilities is
// returned, although the engine would fall back on it too.
func TestCapabilitiesFailures(t *testing.T) {
	c, fp := serve(t)
	fp.Inject(pluginstest.Fault{Method: "VolumeDriver.Capabilities", Times: 1, Status: http.StatusInternalServerError, Err: "broken"})
	_, err := c.Capabilities(context.Background())
	require.EqualError(t, err, "VolumeDriver.Capabilities: broken")

	fp.Inject(pluginstest.Fault{Method: "VolumeDriver.Capabilities", Times: 1, Status: http.StatusNotFound, Err: "not here"})
	got, err := c.Capabilities(context.Background())
	require.NoError(t, err, "a 404 with a JSON body is a 404")
	assert.Equal(t, volume.LocalScope, got.Capabilities.Scope)
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
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		var (
			mu        sync.Mutex
			scheduled bool
		)
		c, fp := serve(t,
			plugins.WithBackoff(func(int) time.Duration { return wait }),
			plugins.WithCallRetryBudget(time.Hour),
			plugins.WithRetryObserver(func(ev plugins.RetryEvent) {
				if ev.Method == m.name && ev.Wait > 0 {
					mu.Lock()
					scheduled = true
					mu.Unlock()
					cancel()
				}
			}))
		fp.Inject(pluginstest.Fault{Method: m.name, Drop: true})
		start := time.Now()
		_, err := m.call(ctx, c)
		assert.Less(t, time.Since(start), 10*time.Second, "nothing was waited for")
		mu.Lock()
		defer mu.Unlock()
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
			c, fp := serve(t)
			fp.Handle(m.name, raw(`{}`)).Inject(pluginstest.Fault{Method: m.name, Delay: time.Minute})
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			defer cancel()
			start := time.Now()
			_, err := m.call(ctx, c)
			assert.ErrorIs(t, err, context.DeadlineExceeded)
			assert.Less(t, time.Since(start), 5*time.Second)
		})
	}
}

func TestFromPlugin(t *testing.T) {
	env := pluginstest.New(t)
	env.ServeSocket("net", "NetworkDriver")
	fp := env.ServeSocket("vol", "NetworkDriver", volume.Interface).
		Handle("VolumeDriver.Path", raw(`{"Mountpoint":"/mnt/x"}`))

	p, err := env.Store().Get("net", "NetworkDriver")
	require.NoError(t, err)
	_, err = volume.FromPlugin(p)
	require.ErrorIs(t, err, plugins.ErrNotImplements)
	assert.EqualError(t, err, `Plugin does not implement the requested driver: plugin="net", requested implementation="VolumeDriver"`)

	p, err = env.Store().Get("vol", volume.Interface)
	require.NoError(t, err)
	c, err := volume.FromPlugin(p)
	require.NoError(t, err)
	got, err := c.Path(context.Background(), volume.PathRequest{Name: "x"})
	require.NoError(t, err)
	assert.Equal(t, "/mnt/x", got.Mountpoint)

	got, err = volume.NewClient(p.Client).Path(context.Background(), volume.PathRequest{Name: "y"})
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
