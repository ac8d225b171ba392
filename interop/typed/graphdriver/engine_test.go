package graphdriver_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	engine "github.com/docker/docker/pkg/plugins"
	"github.com/go-dockerplugins/plugins"
	"github.com/go-dockerplugins/plugins/graphdriver"
	"github.com/go-dockerplugins/plugins/internal/typedtest"
	"github.com/go-dockerplugins/plugins/interop/internal/enginetest"
	"github.com/go-dockerplugins/plugins/pluginstest"
	"github.com/sirupsen/logrus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMain(m *testing.M) {
	logrus.SetOutput(io.Discard) // the engine client's "error reading plugin resp"
	os.Exit(m.Run())
}

// v27 is the v27.5.1 graph-driver proxy of a legacy plugin, its calls
// transcribed from daemon/graphdriver/proxy.go over the engine's client: a
// legacy plugin's ScopedPath is the identity, and Init fetches the
// capabilities as the proxy did.
type v27 struct {
	client *engine.Client
	caps   v27Capabilities
}

func (d *v27) Init(home string, opts []string, idMap v27IdentityMapping) error {
	var ret v27Response
	if err := d.client.Call("GraphDriver.Init", &v27InitRequest{Home: home, Opts: opts, v27IdentityMapping: idMap}, &ret); err != nil {
		return err
	}
	if ret.Err != "" {
		return errors.New(ret.Err)
	}
	caps, err := d.fetchCaps()
	if err != nil {
		return err
	}
	d.caps = caps
	return nil
}

func (d *v27) fetchCaps() (v27Capabilities, error) {
	var ret v27Response
	if err := d.client.Call("GraphDriver.Capabilities", &v27Request{}, &ret); err != nil {
		if !engine.IsNotFound(err) {
			return v27Capabilities{}, err
		}
	}
	return ret.Capabilities, nil
}

// errCall is the proxy's plain call: the error of the call, else the Err.
func (d *v27) errCall(method string, args *v27Request) (v27Response, error) {
	var ret v27Response
	if err := d.client.Call(method, args, &ret); err != nil {
		return ret, err
	}
	if ret.Err != "" {
		return ret, errors.New(ret.Err)
	}
	return ret, nil
}

func (d *v27) Create(id, parent, mountLabel string, storageOpt map[string]string) error {
	_, err := d.errCall("GraphDriver.Create", &v27Request{ID: id, Parent: parent, MountLabel: mountLabel, StorageOpt: storageOpt})
	return err
}

func (d *v27) CreateReadWrite(id, parent, mountLabel string, storageOpt map[string]string) error {
	_, err := d.errCall("GraphDriver.CreateReadWrite", &v27Request{ID: id, Parent: parent, MountLabel: mountLabel, StorageOpt: storageOpt})
	return err
}

func (d *v27) Remove(id string) error {
	_, err := d.errCall("GraphDriver.Remove", &v27Request{ID: id})
	return err
}

func (d *v27) Get(id, mountLabel string) (string, error) {
	var ret v27Response
	if err := d.client.Call("GraphDriver.Get", &v27Request{ID: id, MountLabel: mountLabel}, &ret); err != nil {
		return "", err
	}
	var err error
	if ret.Err != "" {
		err = errors.New(ret.Err)
	}
	return ret.Dir, err
}

func (d *v27) Put(id string) error {
	_, err := d.errCall("GraphDriver.Put", &v27Request{ID: id})
	return err
}

func (d *v27) Exists(id string) bool {
	var ret v27Response
	if err := d.client.Call("GraphDriver.Exists", &v27Request{ID: id}, &ret); err != nil {
		return false
	}
	return ret.Exists
}

func (d *v27) Status() [][2]string {
	var ret v27Response
	if err := d.client.Call("GraphDriver.Status", &v27Request{}, &ret); err != nil {
		return nil
	}
	return ret.Status
}

func (d *v27) GetMetadata(id string) (map[string]string, error) {
	ret, err := d.errCall("GraphDriver.GetMetadata", &v27Request{ID: id})
	if err != nil {
		return nil, err
	}
	return ret.Metadata, nil
}

func (d *v27) Cleanup() error {
	var ret v27Response
	if err := d.client.Call("GraphDriver.Cleanup", &v27Request{}, &ret); err != nil {
		return nil
	}
	if ret.Err != "" {
		return errors.New(ret.Err)
	}
	return nil
}

func (d *v27) Diff(id, parent string) (io.ReadCloser, error) {
	return d.client.Stream("GraphDriver.Diff", &v27Request{ID: id, Parent: parent})
}

func (d *v27) Changes(id, parent string) ([]v27Change, error) {
	ret, err := d.errCall("GraphDriver.Changes", &v27Request{ID: id, Parent: parent})
	if err != nil {
		return nil, err
	}
	return ret.Changes, nil
}

func (d *v27) ApplyDiff(id, parent string, diff io.Reader) (int64, error) {
	var ret v27Response
	if err := d.client.SendFile(fmt.Sprintf("GraphDriver.ApplyDiff?id=%s&parent=%s", id, parent), diff, &ret); err != nil {
		return -1, err
	}
	if ret.Err != "" {
		return -1, errors.New(ret.Err)
	}
	return ret.Size, nil
}

func (d *v27) DiffSize(id, parent string) (int64, error) {
	ret, err := d.errCall("GraphDriver.DiffSize", &v27Request{ID: id, Parent: parent})
	if err != nil {
		return -1, err
	}
	return ret.Size, nil
}

// pair is one fake plugin, called by the transcribed proxy and by the
// typed client.
type pair struct {
	fake   *pluginstest.Plugin
	engine *v27
	typed  *graphdriver.Client
}

func newPair(t *testing.T) pair {
	t.Helper()
	fake, typed, client := enginetest.Serve(t, fixture)
	return pair{fake: fake, engine: &v27{client: client}, typed: typed}
}

// fixture serves the fake plugin and makes typed clients of it.
var fixture = typedtest.Fixture[*graphdriver.Client]{Name: "gd", Interface: graphdriver.Interface, FromPlugin: graphdriver.FromPlugin}

const (
	layer  = "5e2b6a1c0f3d9e7b5e2b6a1c0f3d9e7b5e2b6a1c0f3d9e7b5e2b6a1c0f3d9e7b"
	parent = "a41f7d3e9b08c6a2a41f7d3e9b08c6a2a41f7d3e9b08c6a2a41f7d3e9b08c6a2"
	label  = "system_u:object_r:container_file_t:s0:c1,c2"
)

// call is one method called both ways with the same values.
type call struct {
	method string // as the plugin sees it
	engine func(d *v27) (any, error)
	typed  func(ctx context.Context, c *graphdriver.Client) (any, error)
	// swallowed: the engine ignores the errors of the call (an Err in a 200
	// answer too, but for Cleanup); the typed client returns them.
	swallowed bool
}

var calls = []call{
	{
		method: "GraphDriver.Capabilities",
		engine: func(d *v27) (any, error) { return d.fetchCaps() },
		typed:  func(ctx context.Context, c *graphdriver.Client) (any, error) { return c.Capabilities(ctx) },
	},
	{
		method: "GraphDriver.Create",
		engine: func(d *v27) (any, error) {
			return nil, d.Create(layer, parent, label, map[string]string{"size": "10G"})
		},
		typed: func(ctx context.Context, c *graphdriver.Client) (any, error) {
			return nil, c.Create(ctx, graphdriver.Request{ID: layer, Parent: parent, MountLabel: label, StorageOpt: map[string]string{"size": "10G"}})
		},
	},
	{
		method: "GraphDriver.CreateReadWrite",
		engine: func(d *v27) (any, error) { return nil, d.CreateReadWrite(layer+"-init", layer, "", nil) },
		typed: func(ctx context.Context, c *graphdriver.Client) (any, error) {
			return nil, c.CreateReadWrite(ctx, graphdriver.Request{ID: layer + "-init", Parent: layer})
		},
	},
	{
		method: "GraphDriver.Remove",
		engine: func(d *v27) (any, error) { return nil, d.Remove(layer) },
		typed:  func(ctx context.Context, c *graphdriver.Client) (any, error) { return nil, c.Remove(ctx, layer) },
	},
	{
		method: "GraphDriver.Get",
		engine: func(d *v27) (any, error) { return d.Get(layer, label) },
		typed:  func(ctx context.Context, c *graphdriver.Client) (any, error) { return c.Get(ctx, layer, label) },
	},
	{
		method: "GraphDriver.Put",
		engine: func(d *v27) (any, error) { return nil, d.Put(layer) },
		typed:  func(ctx context.Context, c *graphdriver.Client) (any, error) { return nil, c.Put(ctx, layer) },
	},
	{
		method: "GraphDriver.Exists", swallowed: true,
		engine: func(d *v27) (any, error) { return d.Exists(layer), nil },
		typed:  func(ctx context.Context, c *graphdriver.Client) (any, error) { return c.Exists(ctx, layer) },
	},
	{
		method: "GraphDriver.Status", swallowed: true,
		engine: func(d *v27) (any, error) { return d.Status(), nil },
		typed:  func(ctx context.Context, c *graphdriver.Client) (any, error) { return c.Status(ctx) },
	},
	{
		method: "GraphDriver.GetMetadata",
		engine: func(d *v27) (any, error) { return d.GetMetadata(layer) },
		typed:  func(ctx context.Context, c *graphdriver.Client) (any, error) { return c.GetMetadata(ctx, layer) },
	},
	{
		method: "GraphDriver.Cleanup", swallowed: true,
		engine: func(d *v27) (any, error) { return nil, d.Cleanup() },
		typed:  func(ctx context.Context, c *graphdriver.Client) (any, error) { return nil, c.Cleanup(ctx) },
	},
	{
		method: "GraphDriver.Diff",
		engine: func(d *v27) (any, error) { return typedtest.ReadAll(d.Diff(layer, parent)) },
		typed: func(ctx context.Context, c *graphdriver.Client) (any, error) {
			return typedtest.ReadAll(c.Diff(ctx, layer, parent))
		},
	},
	{
		method: "GraphDriver.Changes",
		engine: func(d *v27) (any, error) { return d.Changes(layer, "") },
		typed:  func(ctx context.Context, c *graphdriver.Client) (any, error) { return c.Changes(ctx, layer, "") },
	},
	{
		method: "GraphDriver.ApplyDiff",
		engine: func(d *v27) (any, error) { return d.ApplyDiff(layer, parent, io.MultiReader(strings.NewReader("tar"))) },
		typed: func(ctx context.Context, c *graphdriver.Client) (any, error) {
			return c.ApplyDiff(ctx, layer, parent, io.MultiReader(strings.NewReader("tar")))
		},
	},
	{
		method: "GraphDriver.DiffSize",
		engine: func(d *v27) (any, error) { return d.DiffSize(layer, parent) },
		typed:  func(ctx context.Context, c *graphdriver.Client) (any, error) { return c.DiffSize(ctx, layer, parent) },
	},
}

// answers are what the plugin answers every method with.
var answers = []struct {
	name    string
	handler http.Handler // nil: not implemented
	// status: the answer is not a 200; undecodable: a 200 whose body does
	// not decode (no error for Diff, whose answer is not decoded).
	status, undecodable bool
}{
	{name: "empty", handler: typedtest.Raw(`{}`)},
	{name: "every field", handler: typedtest.Raw(`{"Dir":"/var/lib/docker/gd/mnt/x","Exists":true,"Status":[["Backing Filesystem","xfs"],["Layers","3"]],` +
		`"Changes":[{"Path":"/etc","Kind":0},{"Path":"/etc/motd","Kind":1},{"Path":"/tmp","Kind":2}],"Size":1048576,` +
		`"Metadata":{"UpperDir":"/u"},"Capabilities":{"ReproducesExactDiffs":true}}`)},
	{name: "as the SDK answers", handler: typedtest.Raw(`{"Dir":"/d","Err":""}`)},
	{name: "Err in a 200 answer", handler: typedtest.Raw(`{"Err":"layer is busy","Dir":"/d","Exists":true,"Status":[["a","b"]],"Size":9,"Metadata":{"k":"v"}}`)},
	{name: "an error status", handler: pluginstest.ReplyError(http.StatusInternalServerError, "no such layer"), status: true},
	{name: "an error status, not JSON", handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, "bad request")
	}), status: true},
	{name: "not implemented", status: true},
	{name: "an empty answer", handler: typedtest.Raw(``), undecodable: true},
	{name: "an answer that does not fit", handler: typedtest.Raw(`{"Size":"9","Exists":"yes","Status":{},"Changes":{},"Metadata":[],"Capabilities":1}`), undecodable: true},
}

// Every method, every kind of answer: the engine and the typed client send
// the same request and read the same values, and the typed client fails
// with the engine's error text wherever the engine fails. Where the engine
// swallows an error, the typed client returns it, with the engine's value.
func TestAgainstEngine(t *testing.T) {
	for _, c := range calls {
		for _, a := range answers {
			t.Run(c.method+"/"+a.name, func(t *testing.T) {
				pp := newPair(t)
				if a.handler != nil {
					pp.fake.Handle(c.method, a.handler)
				}
				engineGot, engineErr := c.engine(pp.engine)
				typedGot, typedErr := c.typed(context.Background(), pp.typed)

				reqs := pp.fake.Calls(c.method)
				require.Len(t, reqs, 2)
				enginetest.SameRequestAndQuery(t, reqs[0], reqs[1])

				enginetest.SameJSON(t, engineGot, typedGot)
				switch {
				case engineErr != nil && a.undecodable:
					// The engine's text is Go's JSON error alone; the typed
					// client's says where it comes from, then has the same.
					require.Error(t, typedErr)
					assert.Equal(t, errors.Is(engineErr, io.EOF), errors.Is(typedErr, io.EOF))
					assert.True(t, strings.HasSuffix(typedErr.Error(), ": decoding the answer: "+strings.ReplaceAll(engineErr.Error(), "v27Response", "Response")),
						"%q\n%q", typedErr, engineErr)
				case engineErr != nil:
					require.Error(t, typedErr)
					assert.Equal(t, engineErr.Error(), typedErr.Error(), "the engine's text")
					var ae *plugins.AnswerError
					var se *plugins.StatusError
					switch {
					case errors.As(typedErr, &ae):
						assert.Equal(t, engineErr.Error(), ae.Message)
					case errors.As(typedErr, &se):
						assert.Equal(t, engine.IsNotFound(engineErr), plugins.IsNotFound(typedErr))
					}
				case c.swallowed && typedErr != nil:
					// The engine ignored it; the typed client returns it.
					if c.method == "GraphDriver.Cleanup" {
						var ae *plugins.AnswerError
						assert.False(t, errors.As(typedErr, &ae), "the engine reads Cleanup's Err")
					}
				default:
					require.NoError(t, typedErr)
				}
				// The call itself fails (not by an Err) exactly on these answers.
				failed := a.status || a.undecodable && c.method != "GraphDriver.Diff"
				if c.method == "GraphDriver.Capabilities" && a.handler == nil {
					failed = false // optional: none
				}
				assert.Equal(t, failed, typedErr != nil && !typedtest.IsAnswerError(typedErr), "%v", typedErr)
			})
		}
	}
}

// Init is followed by Capabilities, as in the engine; Init's Err fails it
// before Capabilities, and Capabilities' failures (but a 404) fail Init.
func TestInitAgainstEngine(t *testing.T) {
	tests := []struct {
		name       string
		init, caps http.Handler // nil: not implemented
		wantErr    string
		wantCaps   v27Capabilities
		capsCalled bool
	}{
		{name: "capabilities", init: typedtest.Raw(`{}`), caps: typedtest.Raw(`{"Capabilities":{"ReproducesExactDiffs":true}}`), wantCaps: v27Capabilities{true}, capsCalled: true},
		{name: "no capabilities", init: typedtest.Raw(`{}`), capsCalled: true},
		{name: "Capabilities' Err is not read", init: typedtest.Raw(`{}`), caps: typedtest.Raw(`{"Err":"x","Capabilities":{"ReproducesExactDiffs":true}}`), wantCaps: v27Capabilities{true}, capsCalled: true},
		{name: "Capabilities fails", init: typedtest.Raw(`{}`), caps: pluginstest.ReplyError(http.StatusInternalServerError, "broken"), wantErr: "GraphDriver.Capabilities: broken", capsCalled: true},
		{name: "Err in Init's answer", init: typedtest.Raw(`{"Err":"no such directory"}`), wantErr: "no such directory"},
		{name: "Init fails", init: pluginstest.ReplyError(http.StatusInternalServerError, "refused"), wantErr: "GraphDriver.Init: refused"},
		{name: "Init not implemented", wantErr: "GraphDriver.Init: 404 page not found\n"},
	}
	home := "/var/lib/docker/gd"
	opts := []string{"gd.size=10G"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pp := newPair(t)
			if tt.init != nil {
				pp.fake.Handle("GraphDriver.Init", tt.init)
			}
			if tt.caps != nil {
				pp.fake.Handle("GraphDriver.Capabilities", tt.caps)
			}
			engineErr := pp.engine.Init(home, opts, v27IdentityMapping{UIDMaps: []v27IDMap{{0, 100000, 65536}}, GIDMaps: []v27IDMap{{0, 100000, 65536}}})

			ctx := context.Background()
			typedErr := pp.typed.Init(ctx, graphdriver.InitRequest{
				Home: home, Opts: opts,
				UIDMaps: []graphdriver.IDMap{{ContainerID: 0, HostID: 100000, Size: 65536}},
				GIDMaps: []graphdriver.IDMap{{ContainerID: 0, HostID: 100000, Size: 65536}},
			})
			var caps graphdriver.Capabilities
			if typedErr == nil {
				caps, typedErr = pp.typed.Capabilities(ctx)
			}
			if tt.wantErr == "" {
				require.NoError(t, engineErr)
				require.NoError(t, typedErr)
				enginetest.SameJSON(t, pp.engine.caps, caps)
				enginetest.SameJSON(t, tt.wantCaps, caps)
			} else {
				require.EqualError(t, engineErr, tt.wantErr)
				require.EqualError(t, typedErr, tt.wantErr)
			}
			inits := pp.fake.Calls("GraphDriver.Init")
			require.Len(t, inits, 2)
			enginetest.SameRequestAndQuery(t, inits[0], inits[1])
			assert.Equal(t, `{"Home":"/var/lib/docker/gd","Opts":["gd.size=10G"],"UIDMaps":[{"container_id":0,"host_id":100000,"size":65536}],`+
				`"GIDMaps":[{"container_id":0,"host_id":100000,"size":65536}]}`+"\n", string(inits[1].Body))
			capsCalls := pp.fake.Calls("GraphDriver.Capabilities")
			if !tt.capsCalled {
				assert.Empty(t, capsCalls)
				return
			}
			require.Len(t, capsCalls, 2)
			enginetest.SameRequestAndQuery(t, capsCalls[0], capsCalls[1])
			assert.Equal(t, "{}\n", string(capsCalls[1].Body))
		})
	}
}

// ApplyDiff's query is written by both as it is, whatever the IDs hold:
// the same request line, the same error text.
func TestApplyDiffQueryAgainstEngine(t *testing.T) {
	ids := []struct {
		id, parent string
		// refused: the request line is invalid, and Go's server answers
		// 400 before any handler runs.
		refused bool
	}{
		{id: layer, parent: parent}, {id: layer}, {id: "a&b", parent: "p"}, {id: "a&parent=x", parent: "p"},
		{id: "a=b", parent: "c=d"}, {id: "a+b", parent: "%2F"}, {id: "a#b", parent: "p"}, {id: "a?b", parent: "p"},
		{id: "é", parent: "ü"}, {id: "a%zz"}, {id: "a b", parent: "p", refused: true},
	}
	for _, tt := range ids {
		t.Run(tt.id+"|"+tt.parent, func(t *testing.T) {
			pp := newPair(t)
			pp.fake.Inject(pluginstest.Fault{Method: "GraphDriver.ApplyDiff", Status: http.StatusConflict, Err: "exists"})
			_, engineErr := pp.engine.ApplyDiff(tt.id, tt.parent, strings.NewReader("tar"))
			size, typedErr := pp.typed.ApplyDiff(context.Background(), tt.id, tt.parent, strings.NewReader("tar"))
			assert.Equal(t, int64(-1), size)
			require.Error(t, engineErr)
			require.Error(t, typedErr)
			assert.Equal(t, engineErr.Error(), typedErr.Error())

			reqs := pp.fake.Requests()
			var got []pluginstest.Request
			for _, r := range reqs {
				if r.Method != "Plugin.Activate" {
					got = append(got, r)
				}
			}
			if tt.refused {
				assert.Empty(t, got)
				assert.Equal(t, "GraphDriver.ApplyDiff?id="+tt.id+"&parent="+tt.parent+": 400 Bad Request", typedErr.Error())
				return
			}
			require.Len(t, got, 2)
			enginetest.SameRequestAndQuery(t, got[0], got[1])
			assert.Equal(t, int64(3), got[1].ContentLength, "a *strings.Reader's length is known, as net/http knows it")
		})
	}
}

// Diff's answer is read by neither: its bytes, whatever they are.
func TestDiffStreamAgainstEngine(t *testing.T) {
	pp := newPair(t)
	body := strings.Repeat("tar\x00\xff", 50_000)
	pp.fake.Handle("GraphDriver.Diff", typedtest.Raw(body))
	engineGot, err := typedtest.ReadAll(pp.engine.Diff(layer, ""))
	require.NoError(t, err)
	typedGot, err := typedtest.ReadAll(pp.typed.Diff(context.Background(), layer, ""))
	require.NoError(t, err)
	assert.Equal(t, body, engineGot)
	assert.Equal(t, body, typedGot)
	reqs := pp.fake.Calls("GraphDriver.Diff")
	require.Len(t, reqs, 2)
	enginetest.SameRequestAndQuery(t, reqs[0], reqs[1])
	assert.Equal(t, `{"ID":"`+layer+`"}`+"\n", string(reqs[1].Body), "a JSON body, no query string")
}
