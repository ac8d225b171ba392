package graphdriver_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-dockerplugins/plugins"
	"github.com/go-dockerplugins/plugins/graphdriver"
	"github.com/go-dockerplugins/plugins/pluginstest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// serve serves a graph-driver plugin and returns a typed client of it,
// through the environment's store configured by opts.
func serve(t *testing.T, opts ...plugins.StoreOption) (*graphdriver.Client, *pluginstest.Plugin) {
	t.Helper()
	env := pluginstest.New(t, opts...)
	fp := env.ServeSocket("gd", graphdriver.Interface)
	p, err := env.Store().Get("gd", graphdriver.Interface)
	require.NoError(t, err)
	c, err := graphdriver.FromPlugin(p)
	require.NoError(t, err)
	return c, fp
}

// raw answers 200 with body as it is.
func raw(body string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, body) })
}

const (
	layer   = "5e2b6a1c0f3d"
	parent  = "a41f7d3e9b08"
	label   = "system_u:object_r:container_file_t:s0:c1,c2"
	tarball = "a tar stream, as far as the client can tell"
)

// applyDiffPath is where ApplyDiff of layer on parent goes.
const applyDiffPath = "GraphDriver.ApplyDiff?id=" + layer + "&parent=" + parent

// method is one method of the interface, called with a fixed request.
type method struct {
	name string // the service method as the plugin sees it (no query)
	// errName is the method in the engine's error texts: name, but for
	// ApplyDiff's query string.
	errName string
	// call calls it and returns what it returns besides its error (nil
	// for the methods that return only an error).
	call func(ctx context.Context, c *graphdriver.Client) (any, error)
	// body is what the engine sends for the same request.
	body string
	// readsErr: the engine reads the Err of a 200 answer.
	readsErr bool
	optional bool
	// onErr is what the method returns with an error.
	onErr any
}

func readAll(rc io.ReadCloser, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	return string(b), err
}

var methods = []method{
	{
		name: "GraphDriver.Init", readsErr: true,
		call: func(ctx context.Context, c *graphdriver.Client) (any, error) {
			return nil, c.Init(ctx, graphdriver.InitRequest{Home: "/var/lib/docker/gd"})
		},
		body: `{"Home":"/var/lib/docker/gd","Opts":null,"UIDMaps":null,"GIDMaps":null}`,
	},
	{
		name: "GraphDriver.Capabilities", optional: true,
		call: func(ctx context.Context, c *graphdriver.Client) (any, error) { return c.Capabilities(ctx) },
		body: `{}`, onErr: graphdriver.Capabilities{},
	},
	{
		name: "GraphDriver.Create", readsErr: true,
		call: func(ctx context.Context, c *graphdriver.Client) (any, error) {
			return nil, c.Create(ctx, graphdriver.Request{ID: layer, Parent: parent})
		},
		body: `{"ID":"` + layer + `","Parent":"` + parent + `"}`,
	},
	{
		name: "GraphDriver.CreateReadWrite", readsErr: true,
		call: func(ctx context.Context, c *graphdriver.Client) (any, error) {
			return nil, c.CreateReadWrite(ctx, graphdriver.Request{ID: layer, Parent: parent})
		},
		body: `{"ID":"` + layer + `","Parent":"` + parent + `"}`,
	},
	{
		name: "GraphDriver.Remove", readsErr: true,
		call: func(ctx context.Context, c *graphdriver.Client) (any, error) { return nil, c.Remove(ctx, layer) },
		body: `{"ID":"` + layer + `"}`,
	},
	{
		name: "GraphDriver.Get", readsErr: true,
		call: func(ctx context.Context, c *graphdriver.Client) (any, error) { return c.Get(ctx, layer, label) },
		body: `{"ID":"` + layer + `","MountLabel":"` + label + `"}`, onErr: "",
	},
	{
		name: "GraphDriver.Put", readsErr: true,
		call: func(ctx context.Context, c *graphdriver.Client) (any, error) { return nil, c.Put(ctx, layer) },
		body: `{"ID":"` + layer + `"}`,
	},
	{
		name: "GraphDriver.Exists",
		call: func(ctx context.Context, c *graphdriver.Client) (any, error) { return c.Exists(ctx, layer) },
		body: `{"ID":"` + layer + `"}`, onErr: false,
	},
	{
		name: "GraphDriver.Status",
		call: func(ctx context.Context, c *graphdriver.Client) (any, error) { return c.Status(ctx) },
		body: `{}`, onErr: [][2]string(nil),
	},
	{
		name: "GraphDriver.GetMetadata", readsErr: true,
		call: func(ctx context.Context, c *graphdriver.Client) (any, error) { return c.GetMetadata(ctx, layer) },
		body: `{"ID":"` + layer + `"}`, onErr: map[string]string(nil),
	},
	{
		name: "GraphDriver.Cleanup", readsErr: true,
		call: func(ctx context.Context, c *graphdriver.Client) (any, error) { return nil, c.Cleanup(ctx) },
		body: `{}`,
	},
	{
		name: "GraphDriver.Diff",
		call: func(ctx context.Context, c *graphdriver.Client) (any, error) {
			return readAll(c.Diff(ctx, layer, parent))
		},
		body: `{"ID":"` + layer + `","Parent":"` + parent + `"}`,
	},
	{
		name: "GraphDriver.Changes", readsErr: true,
		call: func(ctx context.Context, c *graphdriver.Client) (any, error) { return c.Changes(ctx, layer, parent) },
		body: `{"ID":"` + layer + `","Parent":"` + parent + `"}`, onErr: []graphdriver.Change(nil),
	},
	{
		name: "GraphDriver.ApplyDiff", errName: applyDiffPath, readsErr: true,
		call: func(ctx context.Context, c *graphdriver.Client) (any, error) {
			return c.ApplyDiff(ctx, layer, parent, strings.NewReader(tarball))
		},
		body: tarball, onErr: int64(-1),
	},
	{
		name: "GraphDriver.DiffSize", readsErr: true,
		call: func(ctx context.Context, c *graphdriver.Client) (any, error) { return c.DiffSize(ctx, layer, parent) },
		body: `{"ID":"` + layer + `","Parent":"` + parent + `"}`, onErr: int64(-1),
	},
}

// errName is the method as the engine's error texts name it.
func (m method) errorName() string {
	if m.errName != "" {
		return m.errName
	}
	return m.name
}

// wantBody is the request's body, byte for byte: JSON ends with a newline.
func (m method) wantBody() string {
	if m.name == "GraphDriver.ApplyDiff" {
		return m.body
	}
	return m.body + "\n"
}

// Every method sends what the engine sends, to its path.
func TestEveryMethod(t *testing.T) {
	require.Len(t, methods, 15, "every method of the interface")
	for _, m := range methods {
		t.Run(m.name, func(t *testing.T) {
			c, fp := serve(t)
			fp.Handle(m.name, raw(`{}`))
			_, err := m.call(context.Background(), c)
			require.NoError(t, err)
			calls := fp.Calls(m.name)
			require.Len(t, calls, 1)
			assert.Equal(t, "/"+m.name, calls[0].Path)
			assert.Equal(t, http.MethodPost, calls[0].HTTPMethod)
			assert.Equal(t, m.wantBody(), string(calls[0].Body), "the request, byte for byte as the engine sends it")
			if m.name == "GraphDriver.ApplyDiff" {
				assert.Equal(t, "id="+layer+"&parent="+parent, calls[0].RawQuery)
			} else {
				assert.Empty(t, calls[0].RawQuery, "only ApplyDiff has a query string")
				assert.Equal(t, int64(len(m.wantBody())), calls[0].ContentLength)
			}
		})
	}
}

func TestRequestsAndAnswers(t *testing.T) {
	tests := []struct {
		name   string
		method string
		call   func(ctx context.Context, c *graphdriver.Client) (any, error)
		// body is the request as the engine sends it.
		body   string
		answer string
		want   any
	}{
		{
			name: "init, every field", method: "GraphDriver.Init",
			call: func(ctx context.Context, c *graphdriver.Client) (any, error) {
				return nil, c.Init(ctx, graphdriver.InitRequest{
					Home: "/var/lib/docker/gd", Opts: []string{"gd.size=10G", "gd.fs=xfs"},
					UIDMaps: []graphdriver.IDMap{{ContainerID: 0, HostID: 100000, Size: 65536}},
					GIDMaps: []graphdriver.IDMap{{ContainerID: 0, HostID: 200000, Size: 65536}, {ContainerID: 65536, HostID: 1, Size: 1}},
				})
			},
			body: `{"Home":"/var/lib/docker/gd","Opts":["gd.size=10G","gd.fs=xfs"],` +
				`"UIDMaps":[{"container_id":0,"host_id":100000,"size":65536}],` +
				`"GIDMaps":[{"container_id":0,"host_id":200000,"size":65536},{"container_id":65536,"host_id":1,"size":1}]}`,
			answer: `{}`,
		},
		{
			name: "init, nothing: no key left out", method: "GraphDriver.Init",
			call: func(ctx context.Context, c *graphdriver.Client) (any, error) {
				return nil, c.Init(ctx, graphdriver.InitRequest{})
			},
			body: `{"Home":"","Opts":null,"UIDMaps":null,"GIDMaps":null}`, answer: `{"Err":""}`,
		},
		{
			name: "init, empty lists", method: "GraphDriver.Init",
			call: func(ctx context.Context, c *graphdriver.Client) (any, error) {
				return nil, c.Init(ctx, graphdriver.InitRequest{Home: "/h", Opts: []string{}, UIDMaps: []graphdriver.IDMap{}})
			},
			body: `{"Home":"/h","Opts":[],"UIDMaps":[],"GIDMaps":null}`, answer: `{}`,
		},
		{
			name: "capabilities", method: "GraphDriver.Capabilities",
			call: func(ctx context.Context, c *graphdriver.Client) (any, error) { return c.Capabilities(ctx) },
			body: `{}`, answer: `{"Capabilities":{"ReproducesExactDiffs":true}}`,
			want: graphdriver.Capabilities{ReproducesExactDiffs: true},
		},
		{
			name: "capabilities, keys in any case", method: "GraphDriver.Capabilities",
			call: func(ctx context.Context, c *graphdriver.Client) (any, error) { return c.Capabilities(ctx) },
			body: `{}`, answer: `{"capabilities":{"reproducesexactdiffs":true}}`,
			want: graphdriver.Capabilities{ReproducesExactDiffs: true},
		},
		{
			name: "capabilities, null", method: "GraphDriver.Capabilities",
			call: func(ctx context.Context, c *graphdriver.Client) (any, error) { return c.Capabilities(ctx) },
			body: `{}`, answer: `null`, want: graphdriver.Capabilities{},
		},
		{
			name: "create, every field", method: "GraphDriver.Create",
			call: func(ctx context.Context, c *graphdriver.Client) (any, error) {
				return nil, c.Create(ctx, graphdriver.Request{ID: layer, Parent: parent, MountLabel: label, StorageOpt: map[string]string{"size": "10G", "a": "b"}})
			},
			body:   `{"ID":"` + layer + `","Parent":"` + parent + `","MountLabel":"` + label + `","StorageOpt":{"a":"b","size":"10G"}}`,
			answer: `{}`,
		},
		{
			name: "create, a base layer: no Parent key", method: "GraphDriver.Create",
			call: func(ctx context.Context, c *graphdriver.Client) (any, error) {
				return nil, c.Create(ctx, graphdriver.Request{ID: layer, StorageOpt: map[string]string{}})
			},
			body: `{"ID":"` + layer + `"}`, answer: `{}`,
		},
		{
			name: "create read-write", method: "GraphDriver.CreateReadWrite",
			call: func(ctx context.Context, c *graphdriver.Client) (any, error) {
				return nil, c.CreateReadWrite(ctx, graphdriver.Request{ID: layer + "-init", Parent: layer, MountLabel: label})
			},
			body: `{"ID":"` + layer + `-init","Parent":"` + layer + `","MountLabel":"` + label + `"}`, answer: `{}`,
		},
		{
			name: "remove, an empty ID: {}", method: "GraphDriver.Remove",
			call: func(ctx context.Context, c *graphdriver.Client) (any, error) { return nil, c.Remove(ctx, "") },
			body: `{}`, answer: `{}`,
		},
		{
			name: "get", method: "GraphDriver.Get",
			call:   func(ctx context.Context, c *graphdriver.Client) (any, error) { return c.Get(ctx, layer, label) },
			body:   `{"ID":"` + layer + `","MountLabel":"` + label + `"}`,
			answer: `{"Dir":"/var/lib/docker/gd/mnt/` + layer + `","Extra":true}`,
			want:   "/var/lib/docker/gd/mnt/" + layer,
		},
		{
			name: "get, no label", method: "GraphDriver.Get",
			call: func(ctx context.Context, c *graphdriver.Client) (any, error) { return c.Get(ctx, layer, "") },
			body: `{"ID":"` + layer + `"}`, answer: `{"Dir":"/mnt/x"}`, want: "/mnt/x",
		},
		{
			name: "put", method: "GraphDriver.Put",
			call: func(ctx context.Context, c *graphdriver.Client) (any, error) { return nil, c.Put(ctx, layer) },
			body: `{"ID":"` + layer + `"}`, answer: `{}`,
		},
		{
			name: "exists", method: "GraphDriver.Exists",
			call: func(ctx context.Context, c *graphdriver.Client) (any, error) { return c.Exists(ctx, layer) },
			body: `{"ID":"` + layer + `"}`, answer: `{"Exists":true}`, want: true,
		},
		{
			name: "exists, the key left out", method: "GraphDriver.Exists",
			call: func(ctx context.Context, c *graphdriver.Client) (any, error) { return c.Exists(ctx, layer) },
			body: `{"ID":"` + layer + `"}`, answer: `{}`, want: false,
		},
		{
			name: "status", method: "GraphDriver.Status",
			call: func(ctx context.Context, c *graphdriver.Client) (any, error) { return c.Status(ctx) },
			body: `{}`, answer: `{"Status":[["Backing Filesystem","xfs"],["Layers","12"]]}`,
			want: [][2]string{{"Backing Filesystem", "xfs"}, {"Layers", "12"}},
		},
		{
			name: "status, pairs of other lengths", method: "GraphDriver.Status",
			call: func(ctx context.Context, c *graphdriver.Client) (any, error) { return c.Status(ctx) },
			body: `{}`, answer: `{"Status":[["a"],["b","c","dropped"],[]]}`,
			want: [][2]string{{"a", ""}, {"b", "c"}, {"", ""}},
		},
		{
			name: "get metadata", method: "GraphDriver.GetMetadata",
			call: func(ctx context.Context, c *graphdriver.Client) (any, error) { return c.GetMetadata(ctx, layer) },
			body: `{"ID":"` + layer + `"}`, answer: `{"Metadata":{"MergedDir":"/m","UpperDir":"/u"}}`,
			want: map[string]string{"MergedDir": "/m", "UpperDir": "/u"},
		},
		{
			name: "get metadata, none", method: "GraphDriver.GetMetadata",
			call: func(ctx context.Context, c *graphdriver.Client) (any, error) { return c.GetMetadata(ctx, layer) },
			body: `{"ID":"` + layer + `"}`, answer: `{"Metadata":null}`, want: map[string]string(nil),
		},
		{
			name: "cleanup", method: "GraphDriver.Cleanup",
			call: func(ctx context.Context, c *graphdriver.Client) (any, error) { return nil, c.Cleanup(ctx) },
			body: `{}`, answer: `{}`,
		},
		{
			name: "changes", method: "GraphDriver.Changes",
			call:   func(ctx context.Context, c *graphdriver.Client) (any, error) { return c.Changes(ctx, layer, parent) },
			body:   `{"ID":"` + layer + `","Parent":"` + parent + `"}`,
			answer: `{"Changes":[{"Path":"/etc","Kind":0},{"Path":"/etc/motd","Kind":1},{"Path":"/tmp/x","Kind":2}]}`,
			want: []graphdriver.Change{
				{Path: "/etc", Kind: graphdriver.ChangeModify},
				{Path: "/etc/motd", Kind: graphdriver.ChangeAdd},
				{Path: "/tmp/x", Kind: graphdriver.ChangeDelete},
			},
		},
		{
			name: "changes of a base layer", method: "GraphDriver.Changes",
			call: func(ctx context.Context, c *graphdriver.Client) (any, error) { return c.Changes(ctx, layer, "") },
			body: `{"ID":"` + layer + `"}`, answer: `{"Changes":[{"Path":"/bin","Kind":1}]}`,
			want: []graphdriver.Change{{Path: "/bin", Kind: graphdriver.ChangeAdd}},
		},
		{
			name: "diff size", method: "GraphDriver.DiffSize",
			call: func(ctx context.Context, c *graphdriver.Client) (any, error) { return c.DiffSize(ctx, layer, parent) },
			body: `{"ID":"` + layer + `","Parent":"` + parent + `"}`, answer: `{"Size":1099511627776}`,
			want: int64(1 << 40),
		},
		{
			name: "diff size, the key left out", method: "GraphDriver.DiffSize",
			call: func(ctx context.Context, c *graphdriver.Client) (any, error) { return c.DiffSize(ctx, layer, "") },
			body: `{"ID":"` + layer + `"}`, answer: `{}`, want: int64(0),
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

// An answer whose values do not fit fails the call, as in the engine.
func TestMalformedAnswers(t *testing.T) {
	tests := []struct {
		method string
		answer string
		call   func(ctx context.Context, c *graphdriver.Client) (any, error)
	}{
		{"GraphDriver.DiffSize", `{"Size":"12"}`, func(ctx context.Context, c *graphdriver.Client) (any, error) { return c.DiffSize(ctx, layer, parent) }},
		{"GraphDriver.DiffSize", `{"Size":1.5}`, func(ctx context.Context, c *graphdriver.Client) (any, error) { return c.DiffSize(ctx, layer, parent) }},
		{"GraphDriver.Changes", `{"Changes":[{"Path":"/a","Kind":"A"}]}`, func(ctx context.Context, c *graphdriver.Client) (any, error) { return c.Changes(ctx, layer, parent) }},
		{"GraphDriver.Exists", `{"Exists":"true"}`, func(ctx context.Context, c *graphdriver.Client) (any, error) { return c.Exists(ctx, layer) }},
		{"GraphDriver.Status", `{"Status":{"a":"b"}}`, func(ctx context.Context, c *graphdriver.Client) (any, error) { return c.Status(ctx) }},
		{"GraphDriver.Remove", ``, func(ctx context.Context, c *graphdriver.Client) (any, error) { return nil, c.Remove(ctx, layer) }},
		{"GraphDriver.Cleanup", ``, func(ctx context.Context, c *graphdriver.Client) (any, error) { return nil, c.Cleanup(ctx) }},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.answer, func(t *testing.T) {
			c, fp := serve(t)
			fp.Handle(tt.method, raw(tt.answer))
			_, err := tt.call(context.Background(), c)
			require.Error(t, err)
			if tt.answer == "" {
				assert.ErrorIs(t, err, io.EOF, "an empty answer does not decode, as in the engine")
			}
			var ae *plugins.AnswerError
			assert.False(t, errors.As(err, &ae))
		})
	}
}

// An Err in a 200 answer is the error, verbatim, for the methods whose Err
// the engine reads, with what they return besides; the others ignore it.
func TestErrInAnswer(t *testing.T) {
	const msg = "layer " + layer + " is busy: 100% used"
	for _, m := range methods {
		t.Run(m.name, func(t *testing.T) {
			c, fp := serve(t)
			fp.Handle(m.name, raw(`{"Err":"`+msg+`","Dir":"/mnt/x","Exists":true,"Status":[["a","b"]],`+
				`"Changes":[{"Path":"/a","Kind":1}],"Size":42,"Metadata":{"k":"v"},"Capabilities":{"ReproducesExactDiffs":true}}`))
			got, err := m.call(context.Background(), c)
			if !m.readsErr {
				require.NoError(t, err, "the engine does not read Err here")
				switch m.name {
				case "GraphDriver.Capabilities":
					assert.Equal(t, graphdriver.Capabilities{ReproducesExactDiffs: true}, got)
				case "GraphDriver.Exists":
					assert.Equal(t, true, got)
				case "GraphDriver.Status":
					assert.Equal(t, [][2]string{{"a", "b"}}, got)
				case "GraphDriver.Diff":
					assert.Contains(t, got, msg, "the answer is the stream, whatever it holds")
				}
				return
			}
			require.EqualError(t, err, msg, "the engine's text: the plugin's, with no prefix")
			var ae *plugins.AnswerError
			require.ErrorAs(t, err, &ae)
			assert.Equal(t, m.name, ae.Method)
			assert.Equal(t, msg, ae.Message)
			assert.Empty(t, ae.Prefix)
			var se *plugins.StatusError
			assert.False(t, errors.As(err, &se), "not a status error")
			if m.name == "GraphDriver.Get" {
				assert.Equal(t, "/mnt/x", got, "the engine returns Dir with the error")
			} else {
				assert.Equal(t, m.onErr, got)
			}
		})
	}
}

// An answer other than 200 is a *plugins.StatusError, "<Method>: <Err>",
// ApplyDiff's method with its query string.
func TestStatusError(t *testing.T) {
	for _, m := range methods {
		t.Run(m.name, func(t *testing.T) {
			c, fp := serve(t)
			fp.Handle(m.name, raw(`{}`)).
				Inject(pluginstest.Fault{Method: m.name, Status: http.StatusInternalServerError, Err: "no such layer"})
			got, err := m.call(context.Background(), c)
			require.EqualError(t, err, m.errorName()+": no such layer")
			var se *plugins.StatusError
			require.ErrorAs(t, err, &se)
			assert.Equal(t, http.StatusInternalServerError, se.StatusCode)
			assert.Equal(t, m.errorName(), se.Method)
			var ae *plugins.AnswerError
			assert.False(t, errors.As(err, &ae))
			assert.False(t, plugins.IsNotFound(err))
			assert.Equal(t, m.onErr, got)
			assert.Len(t, fp.Calls(m.name), 1, "an error status is not retried")
		})
	}
}

// A plugin without the method answers 404: the zero Capabilities for
// Capabilities, an error for the others.
func TestNotImplemented(t *testing.T) {
	for _, m := range methods {
		t.Run(m.name, func(t *testing.T) {
			c, fp := serve(t) // no handler: 404
			got, err := m.call(context.Background(), c)
			require.Len(t, fp.Calls(m.name), 1)
			if m.optional {
				require.NoError(t, err)
				assert.Equal(t, graphdriver.Capabilities{}, got)
				return
			}
			assert.True(t, plugins.IsNotFound(err), "%v", err)
			assert.EqualError(t, err, m.errorName()+": 404 page not found\n")
			assert.Equal(t, m.onErr, got)
		})
	}
}

// Only a 404 is Capabilities' fallback: any other failure is returned, as
// the engine failed Init on it.
func TestCapabilitiesFailures(t *testing.T) {
	c, fp := serve(t)
	fp.Inject(pluginstest.Fault{Method: "GraphDriver.Capabilities", Times: 1, Status: http.StatusInternalServerError, Err: "broken"})
	_, err := c.Capabilities(context.Background())
	require.EqualError(t, err, "GraphDriver.Capabilities: broken")

	fp.Inject(pluginstest.Fault{Method: "GraphDriver.Capabilities", Times: 1, Status: http.StatusNotFound, Err: "not here"})
	got, err := c.Capabilities(context.Background())
	require.NoError(t, err, "a 404 with a JSON body is a 404")
	assert.Equal(t, graphdriver.Capabilities{}, got)
}

// Diff's answer is the plugin's bytes as they are, a tar stream; ApplyDiff
// sends the caller's stream as it is, chunked unless its length is known.
func TestStreams(t *testing.T) {
	payload := bytes.Repeat([]byte("tar\x00\xff"), 100_000) // larger than any buffer on the way

	t.Run("diff", func(t *testing.T) {
		c, fp := serve(t)
		fp.Handle("GraphDriver.Diff", raw(string(payload)))
		rc, err := c.Diff(context.Background(), layer, "")
		require.NoError(t, err)
		b, err := io.ReadAll(rc)
		require.NoError(t, err)
		require.NoError(t, rc.Close())
		assert.Equal(t, payload, b)
		calls := fp.Calls("GraphDriver.Diff")
		require.Len(t, calls, 1)
		assert.Equal(t, `{"ID":"`+layer+`"}`+"\n", string(calls[0].Body), "no Parent key for a base layer")
		assert.Empty(t, calls[0].RawQuery)
	})

	t.Run("apply diff, a stream", func(t *testing.T) {
		c, fp := serve(t)
		fp.Handle("GraphDriver.ApplyDiff", raw(`{"Size":500000}`))
		pr, pw := io.Pipe()
		go func() {
			_, _ = pw.Write(payload[:1000])
			_, _ = pw.Write(payload[1000:])
			_ = pw.Close()
		}()
		size, err := c.ApplyDiff(context.Background(), layer, parent, pr)
		require.NoError(t, err)
		assert.Equal(t, int64(500000), size)
		calls := fp.Calls("GraphDriver.ApplyDiff")
		require.Len(t, calls, 1)
		assert.Equal(t, payload, calls[0].Body)
		assert.Equal(t, int64(-1), calls[0].ContentLength, "chunked")
		assert.Empty(t, calls[0].Header.Get("Content-Type"))
		assert.Equal(t, "id="+layer+"&parent="+parent, calls[0].RawQuery)
	})

	t.Run("apply diff, a known length", func(t *testing.T) {
		c, fp := serve(t)
		fp.Handle("GraphDriver.ApplyDiff", raw(`{"Size":3}`))
		size, err := c.ApplyDiff(context.Background(), layer, "", bytes.NewReader([]byte("tar")))
		require.NoError(t, err)
		assert.Equal(t, int64(3), size)
		calls := fp.Calls("GraphDriver.ApplyDiff")
		require.Len(t, calls, 1)
		assert.Equal(t, "tar", string(calls[0].Body))
		assert.Equal(t, int64(3), calls[0].ContentLength, "as net/http does for a *bytes.Reader")
		assert.Equal(t, "id="+layer+"&parent=", calls[0].RawQuery, "parent is sent empty")
	})

	t.Run("apply diff closes the stream", func(t *testing.T) {
		c, fp := serve(t)
		fp.Handle("GraphDriver.ApplyDiff", raw(`{"Size":3}`))
		body := &closeRecorder{Reader: strings.NewReader("tar")}
		_, err := c.ApplyDiff(context.Background(), layer, parent, body)
		require.NoError(t, err)
		assert.True(t, body.closed, "as net/http closes a request's body")
	})
}

type closeRecorder struct {
	io.Reader
	closed bool
}

func (c *closeRecorder) Close() error {
	c.closed = true
	return nil
}

// ApplyDiff's query values are inserted unescaped, as the engine did: what
// the plugin reads (net/url, as the SDK did) is not always what was meant.
func TestApplyDiffQueryUnescaped(t *testing.T) {
	tests := []struct {
		name       string
		id, parent string
		query      string     // as sent
		read       url.Values // as a Go plugin reads it
	}{
		{"hex IDs", layer, parent, "id=" + layer + "&parent=" + parent, url.Values{"id": {layer}, "parent": {parent}}},
		{"no parent", layer, "", "id=" + layer + "&parent=", url.Values{"id": {layer}, "parent": {""}}},
		{"& cuts the ID", "a&b", "p", "id=a&b&parent=p", url.Values{"id": {"a"}, "b": {""}, "parent": {"p"}}},
		{"& can forge a key", "a&parent=x", "p", "id=a&parent=x&parent=p", url.Values{"id": {"a"}, "parent": {"x", "p"}}},
		{"= is kept", "a=b", "c=d", "id=a=b&parent=c=d", url.Values{"id": {"a=b"}, "parent": {"c=d"}}},
		{"+ reads as a space", "a+b", "p", "id=a+b&parent=p", url.Values{"id": {"a b"}, "parent": {"p"}}},
		{"%XX reads as an escape", "a%2Fb", "p", "id=a%2Fb&parent=p", url.Values{"id": {"a/b"}, "parent": {"p"}}},
		{"# ends the query", "a#b", "p", "id=a", url.Values{"id": {"a"}}},
		{"a space: refused", "a b", "p", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, fp := serve(t)
			var read url.Values
			fp.HandleFunc("GraphDriver.ApplyDiff", func(w http.ResponseWriter, r *http.Request) {
				read = r.URL.Query()
				_, _ = io.WriteString(w, `{"Size":1}`)
			})
			_, err := c.ApplyDiff(context.Background(), tt.id, tt.parent, strings.NewReader("tar"))
			calls := fp.Calls("GraphDriver.ApplyDiff")
			if tt.read == nil {
				// An invalid request line: Go's server answers 400 itself.
				require.EqualError(t, err, "GraphDriver.ApplyDiff?id="+tt.id+"&parent="+tt.parent+": 400 Bad Request")
				assert.Empty(t, calls)
				return
			}
			require.NoError(t, err)
			require.Len(t, calls, 1)
			assert.Equal(t, tt.query, calls[0].RawQuery)
			assert.Equal(t, tt.read, read)
		})
	}

	// The error text has the query as the client wrote it.
	c, fp := serve(t)
	fp.Inject(pluginstest.Fault{Method: "GraphDriver.ApplyDiff", Status: http.StatusInternalServerError, Err: "bad layer"})
	_, err := c.ApplyDiff(context.Background(), "a&b", "", strings.NewReader("tar"))
	require.EqualError(t, err, "GraphDriver.ApplyDiff?id=a&b&parent=: bad layer")
}

// The engine sets no timeout on these calls: only the context bounds them.
func TestNoTimeout(t *testing.T) {
	t.Parallel()
	for _, m := range methods {
		t.Run(m.name, func(t *testing.T) {
			t.Parallel() // each waits for its slow answer
			c, fp := serve(t)
			fp.Handle(m.name, raw(`{}`)).Inject(pluginstest.Fault{Method: m.name, Delay: 300 * time.Millisecond})

			_, err := m.call(context.Background(), c)
			require.NoError(t, err, "a slow answer without a deadline")

			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()
			start := time.Now()
			_, err = m.call(ctx, c)
			assert.ErrorIs(t, err, context.DeadlineExceeded)
			assert.Less(t, time.Since(start), 5*time.Second)
		})
	}
}

// No timeout of any length bounds a call without a deadline: a retry a day
// later is still scheduled. (The client never schedules a retry that would
// start after the call's deadline; the observer ends the call once it is.)
func TestNoDefaultTimeout(t *testing.T) {
	for _, m := range methods {
		t.Run(m.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var (
				mu        sync.Mutex
				scheduled bool
			)
			c, fp := serve(t,
				plugins.WithBackoff(func(int) time.Duration { return 24 * time.Hour }),
				plugins.WithCallRetryBudget(48*time.Hour),
				plugins.WithRetryObserver(func(ev plugins.RetryEvent) {
					if strings.HasPrefix(ev.Method, m.name) && ev.Wait > 0 {
						mu.Lock()
						scheduled = true
						mu.Unlock()
						cancel()
					}
				}))
			fp.Inject(pluginstest.Fault{Method: m.name, Drop: true})
			start := time.Now()
			_, err := m.call(ctx, c)
			assert.ErrorIs(t, err, context.Canceled)
			assert.Less(t, time.Since(start), 10*time.Second, "nothing was waited for")
			mu.Lock()
			defer mu.Unlock()
			assert.True(t, scheduled, "a call without a deadline goes on")
		})
	}
}

// The context given to Diff bounds reading the stream.
func TestDiffEndsWithContext(t *testing.T) {
	c, fp := serve(t)
	fp.HandleFunc("GraphDriver.Diff", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "first")
		w.(http.Flusher).Flush()
		<-r.Context().Done() // a slow driver: nothing more until the client leaves
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rc, err := c.Diff(ctx, layer, parent)
	require.NoError(t, err)
	defer rc.Close()
	buf := make([]byte, 5)
	_, err = io.ReadFull(rc, buf)
	require.NoError(t, err)
	assert.Equal(t, "first", string(buf))

	time.AfterFunc(50*time.Millisecond, cancel)
	_, err = io.ReadAll(rc)
	assert.ErrorIs(t, err, context.Canceled)
}

func TestFromPlugin(t *testing.T) {
	env := pluginstest.New(t)
	env.ServeSocket("vol", "VolumeDriver")
	fp := env.ServeSocket("gd", "VolumeDriver", graphdriver.Interface).
		Handle("GraphDriver.Exists", raw(`{"Exists":true}`))

	p, err := env.Store().Get("vol", "VolumeDriver")
	require.NoError(t, err)
	_, err = graphdriver.FromPlugin(p)
	require.ErrorIs(t, err, plugins.ErrNotImplements)
	assert.EqualError(t, err, `Plugin does not implement the requested driver: plugin="vol", requested implementation="GraphDriver"`)

	p, err = env.Store().Get("gd", graphdriver.Interface)
	require.NoError(t, err)
	c, err := graphdriver.FromPlugin(p)
	require.NoError(t, err)
	ok, err := c.Exists(context.Background(), layer)
	require.NoError(t, err)
	assert.True(t, ok)

	ok, err = graphdriver.NewClient(p.Client).Exists(context.Background(), layer)
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Len(t, fp.Calls("GraphDriver.Exists"), 2)
}

// The types encode as the engine's: requests and answers leave out every
// empty key (but Capabilities, a struct), Init's request none.
func TestJSON(t *testing.T) {
	tests := []struct {
		v    any
		want string
	}{
		{graphdriver.Request{}, `{}`},
		{graphdriver.Request{StorageOpt: map[string]string{}}, `{}`},
		{graphdriver.Request{ID: "i", Parent: "p", MountLabel: "l", StorageOpt: map[string]string{"k": "v"}}, `{"ID":"i","Parent":"p","MountLabel":"l","StorageOpt":{"k":"v"}}`},
		{graphdriver.Response{}, `{"Capabilities":{"ReproducesExactDiffs":false}}`},
		{
			graphdriver.Response{
				Err: "e", Dir: "/d", Exists: true, Status: [][2]string{{"a", "b"}}, Changes: []graphdriver.Change{{Path: "/p", Kind: graphdriver.ChangeDelete}},
				Size: 7, Metadata: map[string]string{"k": "v"}, Capabilities: graphdriver.Capabilities{ReproducesExactDiffs: true},
			},
			`{"Err":"e","Dir":"/d","Exists":true,"Status":[["a","b"]],"Changes":[{"Path":"/p","Kind":2}],"Size":7,"Metadata":{"k":"v"},"Capabilities":{"ReproducesExactDiffs":true}}`,
		},
		{graphdriver.InitRequest{}, `{"Home":"","Opts":null,"UIDMaps":null,"GIDMaps":null}`},
		{graphdriver.IDMap{ContainerID: 1, HostID: 2, Size: 3}, `{"container_id":1,"host_id":2,"size":3}`},
	}
	for _, tt := range tests {
		b, err := json.Marshal(tt.v)
		require.NoError(t, err)
		assert.Equal(t, tt.want, string(b), "%T", tt.v)
	}
}

func TestChangeKindString(t *testing.T) {
	assert.Equal(t, "C", graphdriver.ChangeModify.String())
	assert.Equal(t, "A", graphdriver.ChangeAdd.String())
	assert.Equal(t, "D", graphdriver.ChangeDelete.String())
	assert.Equal(t, "", graphdriver.ChangeKind(3).String())
}
