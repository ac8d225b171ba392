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
	"testing"
	"time"

	"github.com/go-dockerplugins/plugins"
	"github.com/go-dockerplugins/plugins/graphdriver"
	"github.com/go-dockerplugins/plugins/internal/typedtest"
	"github.com/go-dockerplugins/plugins/pluginstest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fixture serves a graph-driver plugin and makes typed clients of it.
var fixture = typedtest.Fixture[*graphdriver.Client]{Name: "gd", Interface: graphdriver.Interface, FromPlugin: graphdriver.FromPlugin}

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
			return typedtest.ReadAll(c.Diff(ctx, layer, parent))
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
			c, fp := fixture.Serve(t)
			fp.Handle(m.name, typedtest.Raw(`{}`))
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
	fixture.RunExchanges(t, []typedtest.Exchange[*graphdriver.Client]{
		{
			Name: "init, every field", Method: "GraphDriver.Init",
			Call: func(ctx context.Context, c *graphdriver.Client) (any, error) {
				return nil, c.Init(ctx, graphdriver.InitRequest{
					Home: "/var/lib/docker/gd", Opts: []string{"gd.size=10G", "gd.fs=xfs"},
					UIDMaps: []graphdriver.IDMap{{ContainerID: 0, HostID: 100000, Size: 65536}},
					GIDMaps: []graphdriver.IDMap{{ContainerID: 0, HostID: 200000, Size: 65536}, {ContainerID: 65536, HostID: 1, Size: 1}},
				})
			},
			Body: `{"Home":"/var/lib/docker/gd","Opts":["gd.size=10G","gd.fs=xfs"],` +
				`"UIDMaps":[{"container_id":0,"host_id":100000,"size":65536}],` +
				`"GIDMaps":[{"container_id":0,"host_id":200000,"size":65536},{"container_id":65536,"host_id":1,"size":1}]}`,
			Answer: `{}`,
		},
		{
			Name: "init, nothing: no key left out", Method: "GraphDriver.Init",
			Call: func(ctx context.Context, c *graphdriver.Client) (any, error) {
				return nil, c.Init(ctx, graphdriver.InitRequest{})
			},
			Body: `{"Home":"","Opts":null,"UIDMaps":null,"GIDMaps":null}`, Answer: `{"Err":""}`,
		},
		{
			Name: "init, empty lists", Method: "GraphDriver.Init",
			Call: func(ctx context.Context, c *graphdriver.Client) (any, error) {
				return nil, c.Init(ctx, graphdriver.InitRequest{Home: "/h", Opts: []string{}, UIDMaps: []graphdriver.IDMap{}})
			},
			Body: `{"Home":"/h","Opts":[],"UIDMaps":[],"GIDMaps":null}`, Answer: `{}`,
		},
		{
			Name: "capabilities", Method: "GraphDriver.Capabilities",
			Call: func(ctx context.Context, c *graphdriver.Client) (any, error) { return c.Capabilities(ctx) },
			Body: `{}`, Answer: `{"Capabilities":{"ReproducesExactDiffs":true}}`,
			Want: graphdriver.Capabilities{ReproducesExactDiffs: true},
		},
		{
			Name: "capabilities, keys in any case", Method: "GraphDriver.Capabilities",
			Call: func(ctx context.Context, c *graphdriver.Client) (any, error) { return c.Capabilities(ctx) },
			Body: `{}`, Answer: `{"capabilities":{"reproducesexactdiffs":true}}`,
			Want: graphdriver.Capabilities{ReproducesExactDiffs: true},
		},
		{
			Name: "capabilities, null", Method: "GraphDriver.Capabilities",
			Call: func(ctx context.Context, c *graphdriver.Client) (any, error) { return c.Capabilities(ctx) },
			Body: `{}`, Answer: `null`, Want: graphdriver.Capabilities{},
		},
		{
			Name: "create, every field", Method: "GraphDriver.Create",
			Call: func(ctx context.Context, c *graphdriver.Client) (any, error) {
				return nil, c.Create(ctx, graphdriver.Request{ID: layer, Parent: parent, MountLabel: label, StorageOpt: map[string]string{"size": "10G", "a": "b"}})
			},
			Body:   `{"ID":"` + layer + `","Parent":"` + parent + `","MountLabel":"` + label + `","StorageOpt":{"a":"b","size":"10G"}}`,
			Answer: `{}`,
		},
		{
			Name: "create, a base layer: no Parent key", Method: "GraphDriver.Create",
			Call: func(ctx context.Context, c *graphdriver.Client) (any, error) {
				return nil, c.Create(ctx, graphdriver.Request{ID: layer, StorageOpt: map[string]string{}})
			},
			Body: `{"ID":"` + layer + `"}`, Answer: `{}`,
		},
		{
			Name: "create read-write", Method: "GraphDriver.CreateReadWrite",
			Call: func(ctx context.Context, c *graphdriver.Client) (any, error) {
				return nil, c.CreateReadWrite(ctx, graphdriver.Request{ID: layer + "-init", Parent: layer, MountLabel: label})
			},
			Body: `{"ID":"` + layer + `-init","Parent":"` + layer + `","MountLabel":"` + label + `"}`, Answer: `{}`,
		},
		{
			Name: "remove, an empty ID: {}", Method: "GraphDriver.Remove",
			Call: func(ctx context.Context, c *graphdriver.Client) (any, error) { return nil, c.Remove(ctx, "") },
			Body: `{}`, Answer: `{}`,
		},
		{
			Name: "get", Method: "GraphDriver.Get",
			Call:   func(ctx context.Context, c *graphdriver.Client) (any, error) { return c.Get(ctx, layer, label) },
			Body:   `{"ID":"` + layer + `","MountLabel":"` + label + `"}`,
			Answer: `{"Dir":"/var/lib/docker/gd/mnt/` + layer + `","Extra":true}`,
			Want:   "/var/lib/docker/gd/mnt/" + layer,
		},
		{
			Name: "get, no label", Method: "GraphDriver.Get",
			Call: func(ctx context.Context, c *graphdriver.Client) (any, error) { return c.Get(ctx, layer, "") },
			Body: `{"ID":"` + layer + `"}`, Answer: `{"Dir":"/mnt/x"}`, Want: "/mnt/x",
		},
		{
			Name: "put", Method: "GraphDriver.Put",
			Call: func(ctx context.Context, c *graphdriver.Client) (any, error) { return nil, c.Put(ctx, layer) },
			Body: `{"ID":"` + layer + `"}`, Answer: `{}`,
		},
		{
			Name: "exists", Method: "GraphDriver.Exists",
			Call: func(ctx context.Context, c *graphdriver.Client) (any, error) { return c.Exists(ctx, layer) },
			Body: `{"ID":"` + layer + `"}`, Answer: `{"Exists":true}`, Want: true,
		},
		{
			Name: "exists, the key left out", Method: "GraphDriver.Exists",
			Call: func(ctx context.Context, c *graphdriver.Client) (any, error) { return c.Exists(ctx, layer) },
			Body: `{"ID":"` + layer + `"}`, Answer: `{}`, Want: false,
		},
		{
			Name: "status", Method: "GraphDriver.Status",
			Call: func(ctx context.Context, c *graphdriver.Client) (any, error) { return c.Status(ctx) },
			Body: `{}`, Answer: `{"Status":[["Backing Filesystem","xfs"],["Layers","12"]]}`,
			Want: [][2]string{{"Backing Filesystem", "xfs"}, {"Layers", "12"}},
		},
		{
			Name: "status, pairs of other lengths", Method: "GraphDriver.Status",
			Call: func(ctx context.Context, c *graphdriver.Client) (any, error) { return c.Status(ctx) },
			Body: `{}`, Answer: `{"Status":[["a"],["b","c","dropped"],[]]}`,
			Want: [][2]string{{"a", ""}, {"b", "c"}, {"", ""}},
		},
		{
			Name: "get metadata", Method: "GraphDriver.GetMetadata",
			Call: func(ctx context.Context, c *graphdriver.Client) (any, error) { return c.GetMetadata(ctx, layer) },
			Body: `{"ID":"` + layer + `"}`, Answer: `{"Metadata":{"MergedDir":"/m","UpperDir":"/u"}}`,
			Want: map[string]string{"MergedDir": "/m", "UpperDir": "/u"},
		},
		{
			Name: "get metadata, none", Method: "GraphDriver.GetMetadata",
			Call: func(ctx context.Context, c *graphdriver.Client) (any, error) { return c.GetMetadata(ctx, layer) },
			Body: `{"ID":"` + layer + `"}`, Answer: `{"Metadata":null}`, Want: map[string]string(nil),
		},
		{
			Name: "cleanup", Method: "GraphDriver.Cleanup",
			Call: func(ctx context.Context, c *graphdriver.Client) (any, error) { return nil, c.Cleanup(ctx) },
			Body: `{}`, Answer: `{}`,
		},
		{
			Name: "changes", Method: "GraphDriver.Changes",
			Call:   func(ctx context.Context, c *graphdriver.Client) (any, error) { return c.Changes(ctx, layer, parent) },
			Body:   `{"ID":"` + layer + `","Parent":"` + parent + `"}`,
			Answer: `{"Changes":[{"Path":"/etc","Kind":0},{"Path":"/etc/motd","Kind":1},{"Path":"/tmp/x","Kind":2}]}`,
			Want: []graphdriver.Change{
				{Path: "/etc", Kind: graphdriver.ChangeModify},
				{Path: "/etc/motd", Kind: graphdriver.ChangeAdd},
				{Path: "/tmp/x", Kind: graphdriver.ChangeDelete},
			},
		},
		{
			Name: "changes of a base layer", Method: "GraphDriver.Changes",
			Call: func(ctx context.Context, c *graphdriver.Client) (any, error) { return c.Changes(ctx, layer, "") },
			Body: `{"ID":"` + layer + `"}`, Answer: `{"Changes":[{"Path":"/bin","Kind":1}]}`,
			Want: []graphdriver.Change{{Path: "/bin", Kind: graphdriver.ChangeAdd}},
		},
		{
			Name: "diff size", Method: "GraphDriver.DiffSize",
			Call: func(ctx context.Context, c *graphdriver.Client) (any, error) { return c.DiffSize(ctx, layer, parent) },
			Body: `{"ID":"` + layer + `","Parent":"` + parent + `"}`, Answer: `{"Size":1099511627776}`,
			Want: int64(1 << 40),
		},
		{
			Name: "diff size, the key left out", Method: "GraphDriver.DiffSize",
			Call: func(ctx context.Context, c *graphdriver.Client) (any, error) { return c.DiffSize(ctx, layer, "") },
			Body: `{"ID":"` + layer + `"}`, Answer: `{}`, Want: int64(0),
		},
	})
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
			c, fp := fixture.Serve(t)
			fp.Handle(tt.method, typedtest.Raw(tt.answer))
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
			c, fp := fixture.Serve(t)
			fp.Handle(m.name, typedtest.Raw(`{"Err":"`+msg+`","Dir":"/mnt/x","Exists":true,"Status":[["a","b"]],`+
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
			typedtest.AnswerError(t, err, plugins.AnswerError{Method: m.name, Message: msg}, "the engine's text: the plugin's, with no prefix")
			assert.False(t, typedtest.IsStatusError(err), "not a status error")
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
			got := fixture.FailsWithStatus(t, m.name, m.errorName(), "no such layer", m.call)
			assert.Equal(t, m.onErr, got)
		})
	}
}

// A plugin without the method answers 404: the zero Capabilities for
// Capabilities, an error for the others.
func TestNotImplemented(t *testing.T) {
	for _, m := range methods {
		t.Run(m.name, func(t *testing.T) {
			got, err := fixture.NotImplemented(t, m.name, m.call)
			if m.optional {
				require.NoError(t, err)
				assert.Equal(t, graphdriver.Capabilities{}, got)
				return
			}
			typedtest.NotFound(t, err, m.errorName())
			assert.Equal(t, m.onErr, got)
		})
	}
}

// Only a 404 is Capabilities' fallback: any other failure is returned, as
// the engine failed Init on it.
func TestCapabilitiesFailures(t *testing.T) {
	got := fixture.FallsBackOn404Only(t, "GraphDriver.Capabilities", func(ctx context.Context, c *graphdriver.Client) (any, error) {
		return c.Capabilities(ctx)
	})
	assert.Equal(t, graphdriver.Capabilities{}, got)
}

// Diff's answer is the plugin's bytes as they are, a tar stream; ApplyDiff
// sends the caller's stream as it is, chunked unless its length is known.
func TestStreams(t *testing.T) {
	payload := bytes.Repeat([]byte("tar\x00\xff"), 100_000) // larger than any buffer on the way

	t.Run("diff", func(t *testing.T) {
		c, fp := fixture.Serve(t)
		fp.Handle("GraphDriver.Diff", typedtest.Raw(string(payload)))
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
		c, fp := fixture.Serve(t)
		fp.Handle("GraphDriver.ApplyDiff", typedtest.Raw(`{"Size":500000}`))
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
		c, fp := fixture.Serve(t)
		fp.Handle("GraphDriver.ApplyDiff", typedtest.Raw(`{"Size":3}`))
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
		c, fp := fixture.Serve(t)
		fp.Handle("GraphDriver.ApplyDiff", typedtest.Raw(`{"Size":3}`))
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
			c, fp := fixture.Serve(t)
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
	c, fp := fixture.Serve(t)
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
			c, fp := fixture.Serve(t)
			typedtest.NoTimeout(t, fp, m.name, typedtest.Raw(`{}`), 5*time.Second, func(ctx context.Context) error {
				_, err := m.call(ctx, c)
				return err
			})
		})
	}
}

// No timeout of any length bounds a call without a deadline: a retry a day
// later is still scheduled. (The client never schedules a retry that would
// start after the call's deadline; the observer ends the call once it is.)
func TestNoDefaultTimeout(t *testing.T) {
	for _, m := range methods {
		t.Run(m.name, func(t *testing.T) {
			scheduled, took, err := fixture.RetryScheduled(context.Background(), t, m.name, 24*time.Hour, 48*time.Hour, func(ctx context.Context, c *graphdriver.Client) error {
				_, err := m.call(ctx, c)
				return err
			})
			assert.ErrorIs(t, err, context.Canceled)
			assert.Less(t, took, 10*time.Second, "nothing was waited for")
			assert.True(t, scheduled, "a call without a deadline goes on")
		})
	}
}

// The context given to Diff bounds reading the stream.
func TestDiffEndsWithContext(t *testing.T) {
	c, fp := fixture.Serve(t)
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
		Handle("GraphDriver.Exists", typedtest.Raw(`{"Exists":true}`))

	err := fixture.FromOther(t, env, "vol", "VolumeDriver")
	require.ErrorIs(t, err, plugins.ErrNotImplements)
	assert.EqualError(t, err, `Plugin does not implement the requested driver: plugin="vol", requested implementation="GraphDriver"`)

	c, made := fixture.Clients(t, env, graphdriver.NewClient)
	ok, err := c.Exists(context.Background(), layer)
	require.NoError(t, err)
	assert.True(t, ok)

	ok, err = made.Exists(context.Background(), layer)
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
