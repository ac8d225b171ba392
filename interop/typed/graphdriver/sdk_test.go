package graphdriver_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/docker/go-plugins-helpers/sdk"
	"github.com/go-dockerplugins/plugins"
	"github.com/go-dockerplugins/plugins/graphdriver"
	"github.com/go-dockerplugins/plugins/internal/typedtest"
	"github.com/go-dockerplugins/plugins/pluginstest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The messages of the SDK's graphdriver package, as its handler decoded and
// encoded them (a struct per method, no omitempty), written out from its
// api.go, which the SDK no longer has.
type (
	sdkIDMap struct {
		ContainerID int `json:"container_id"`
		HostID      int `json:"host_id"`
		Size        int `json:"size"`
	}
	sdkInitRequest struct {
		Home    string
		Options []string   `json:"Opts"`
		UIDMaps []sdkIDMap `json:"UIDMaps"`
		GIDMaps []sdkIDMap `json:"GIDMaps"`
	}
	sdkCreateRequest struct {
		ID         string
		Parent     string
		MountLabel string
		StorageOpt map[string]string
	}
	sdkIDRequest        struct{ ID string }
	sdkGetRequest       struct{ ID, MountLabel string }
	sdkDiffRequest      struct{ ID, Parent string }
	sdkErrResponse      struct{ Err string }
	sdkGetResponse      struct{ Dir, Err string }
	sdkExistsResponse   struct{ Exists bool }
	sdkStatusResponse   struct{ Status [][2]string }
	sdkMetadataResponse struct {
		Metadata map[string]string
		Err      string
	}
	sdkChange struct {
		Path string
		Kind int
	}
	sdkChangesResponse struct {
		Changes []sdkChange
		Err     string
	}
	sdkSizeResponse struct {
		Size int64
		Err  string
	}
	sdkCapabilitiesResponse struct {
		Capabilities struct{ ReproducesExactDiffs bool }
	}
)

// memDriver is an in-memory storage driver: a layer is its parent and the
// bytes applied to it.
type memDriver struct {
	mu      sync.Mutex
	home    string
	inits   []sdkInitRequest
	creates []sdkCreateRequest
	layers  map[string]*memLayer
}

type memLayer struct {
	parent  string
	rw      bool
	data    []byte
	mounted int
}

func (d *memDriver) layer(id string) (*memLayer, error) {
	l, ok := d.layers[id]
	if !ok {
		return nil, fmt.Errorf("no such layer: %s", id)
	}
	return l, nil
}

// errMsg is the SDK's Err: the error's text, or empty.
func errMsg(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// handlers serves d as the SDK's graphdriver handler did: it decodes each
// request with sdk.DecodeRequest (400 if it does not decode) and answers
// with sdk.EncodeResponse, 500 when Err is set; Status and Cleanup do not
// read the body, Diff always streams with 200, ApplyDiff reads its IDs from
// the query.
func (d *memDriver) handlers() map[string]http.Handler {
	type handler = func(w http.ResponseWriter, r *http.Request)
	h := map[string]handler{
		"GraphDriver.Init": func(w http.ResponseWriter, r *http.Request) {
			var req sdkInitRequest
			if sdk.DecodeRequest(w, r, &req) != nil {
				return
			}
			d.mu.Lock()
			defer d.mu.Unlock()
			d.inits = append(d.inits, req)
			var err error
			if req.Home == "" {
				err = errors.New("no home directory")
			}
			d.home = req.Home
			sdk.EncodeResponse(w, &sdkErrResponse{Err: errMsg(err)}, err != nil)
		},
		"GraphDriver.Capabilities": func(w http.ResponseWriter, _ *http.Request) {
			var res sdkCapabilitiesResponse
			res.Capabilities.ReproducesExactDiffs = true
			sdk.EncodeResponse(w, &res, false)
		},
		"GraphDriver.Remove": func(w http.ResponseWriter, r *http.Request) {
			var req sdkIDRequest
			if sdk.DecodeRequest(w, r, &req) != nil {
				return
			}
			d.mu.Lock()
			defer d.mu.Unlock()
			l, err := d.layer(req.ID)
			if err == nil && l.mounted > 0 {
				err = fmt.Errorf("layer %s is mounted", req.ID)
			}
			if err == nil {
				delete(d.layers, req.ID)
			}
			sdk.EncodeResponse(w, &sdkErrResponse{Err: errMsg(err)}, err != nil)
		},
		"GraphDriver.Get": func(w http.ResponseWriter, r *http.Request) {
			var req sdkGetRequest
			if sdk.DecodeRequest(w, r, &req) != nil {
				return
			}
			d.mu.Lock()
			defer d.mu.Unlock()
			l, err := d.layer(req.ID)
			dir := ""
			if err == nil {
				l.mounted++
				dir = d.home + "/mnt/" + req.ID
			}
			sdk.EncodeResponse(w, &sdkGetResponse{Dir: dir, Err: errMsg(err)}, err != nil)
		},
		"GraphDriver.Put": func(w http.ResponseWriter, r *http.Request) {
			var req sdkIDRequest
			if sdk.DecodeRequest(w, r, &req) != nil {
				return
			}
			d.mu.Lock()
			defer d.mu.Unlock()
			l, err := d.layer(req.ID)
			if err == nil {
				l.mounted--
			}
			sdk.EncodeResponse(w, &sdkErrResponse{Err: errMsg(err)}, err != nil)
		},
		"GraphDriver.Exists": func(w http.ResponseWriter, r *http.Request) {
			var req sdkIDRequest
			if sdk.DecodeRequest(w, r, &req) != nil {
				return
			}
			d.mu.Lock()
			defer d.mu.Unlock()
			_, ok := d.layers[req.ID]
			sdk.EncodeResponse(w, &sdkExistsResponse{Exists: ok}, false)
		},
		"GraphDriver.Status": func(w http.ResponseWriter, _ *http.Request) {
			d.mu.Lock()
			defer d.mu.Unlock()
			sdk.EncodeResponse(w, &sdkStatusResponse{Status: [][2]string{{"Layers", strconv.Itoa(len(d.layers))}}}, false)
		},
		"GraphDriver.GetMetadata": func(w http.ResponseWriter, r *http.Request) {
			var req sdkIDRequest
			if sdk.DecodeRequest(w, r, &req) != nil {
				return
			}
			d.mu.Lock()
			defer d.mu.Unlock()
			var md map[string]string
			l, err := d.layer(req.ID)
			if err == nil {
				md = map[string]string{"Parent": l.parent, "Writable": strconv.FormatBool(l.rw)}
			}
			sdk.EncodeResponse(w, &sdkMetadataResponse{Metadata: md, Err: errMsg(err)}, err != nil)
		},
		"GraphDriver.Cleanup": func(w http.ResponseWriter, _ *http.Request) {
			sdk.EncodeResponse(w, &sdkErrResponse{}, false)
		},
		"GraphDriver.Diff": func(w http.ResponseWriter, r *http.Request) {
			var req sdkDiffRequest
			if sdk.DecodeRequest(w, r, &req) != nil {
				return
			}
			d.mu.Lock()
			var data []byte
			if l, ok := d.layers[req.ID]; ok {
				data = l.data
			}
			d.mu.Unlock()
			sdk.StreamResponse(w, io.NopCloser(strings.NewReader(string(data))))
		},
		"GraphDriver.Changes": func(w http.ResponseWriter, r *http.Request) {
			var req sdkDiffRequest
			if sdk.DecodeRequest(w, r, &req) != nil {
				return
			}
			d.mu.Lock()
			defer d.mu.Unlock()
			var changes []sdkChange
			l, err := d.layer(req.ID)
			if err == nil {
				for _, name := range strings.Fields(string(l.data)) {
					changes = append(changes, sdkChange{Path: "/" + name, Kind: 1})
				}
			}
			sdk.EncodeResponse(w, &sdkChangesResponse{Changes: changes, Err: errMsg(err)}, err != nil)
		},
		"GraphDriver.ApplyDiff": func(w http.ResponseWriter, r *http.Request) {
			q := r.URL.Query()
			data, err := io.ReadAll(r.Body)
			d.mu.Lock()
			defer d.mu.Unlock()
			var size int64
			if err == nil {
				var l *memLayer
				if l, err = d.layer(q.Get("id")); err == nil {
					l.data, size = data, int64(len(data))
				}
			}
			sdk.EncodeResponse(w, &sdkSizeResponse{Size: size, Err: errMsg(err)}, err != nil)
		},
		"GraphDriver.DiffSize": func(w http.ResponseWriter, r *http.Request) {
			var req sdkDiffRequest
			if sdk.DecodeRequest(w, r, &req) != nil {
				return
			}
			d.mu.Lock()
			defer d.mu.Unlock()
			var size int64
			l, err := d.layer(req.ID)
			if err == nil {
				size = int64(len(l.data))
			}
			sdk.EncodeResponse(w, &sdkSizeResponse{Size: size, Err: errMsg(err)}, err != nil)
		},
	}
	create := func(rw bool) handler {
		return func(w http.ResponseWriter, r *http.Request) {
			var req sdkCreateRequest
			if sdk.DecodeRequest(w, r, &req) != nil {
				return
			}
			d.mu.Lock()
			defer d.mu.Unlock()
			d.creates = append(d.creates, req)
			var err error
			if _, ok := d.layers[req.ID]; ok {
				err = fmt.Errorf("layer %s exists", req.ID)
			} else if _, ok := d.layers[req.Parent]; req.Parent != "" && !ok {
				err = fmt.Errorf("no such layer: %s", req.Parent)
			} else {
				d.layers[req.ID] = &memLayer{parent: req.Parent, rw: rw}
			}
			sdk.EncodeResponse(w, &sdkErrResponse{Err: errMsg(err)}, err != nil)
		}
	}
	h["GraphDriver.Create"] = create(false)
	h["GraphDriver.CreateReadWrite"] = create(true)
	out := make(map[string]http.Handler, len(h))
	for m, f := range h {
		out[m] = http.HandlerFunc(f)
	}
	return out
}

// serveSDK serves d as a plugin, without the methods in skip (answered
// 404, as the SDK's mux answers what it does not serve), and returns a
// typed client of it.
func serveSDK(t *testing.T, d *memDriver, skip ...string) *graphdriver.Client {
	t.Helper()
	c, fake := sdkFixture.Serve(t)
	for m, h := range d.handlers() {
		if !slices.Contains(skip, m) {
			fake.Handle(m, h)
		}
	}
	return c
}

// sdkFixture serves the plugin and makes typed clients of it.
var sdkFixture = typedtest.Fixture[*graphdriver.Client]{Name: "sdkgd", Interface: graphdriver.Interface, FromPlugin: graphdriver.FromPlugin}

// A driver's life, every method through the typed client against a plugin
// that answers as the SDK's graphdriver handler did, with its failures.
func TestSDKDriver(t *testing.T) {
	d := &memDriver{layers: make(map[string]*memLayer)}
	c := serveSDK(t, d)
	ctx := context.Background()

	typedtest.FailedWithStatus(t, c.Init(ctx, graphdriver.InitRequest{}), http.StatusInternalServerError, "GraphDriver.Init: no home directory")
	require.NoError(t, c.Init(ctx, graphdriver.InitRequest{
		Home: "/var/lib/docker/sdkgd", Opts: []string{"sdkgd.size=1G"},
		UIDMaps: []graphdriver.IDMap{{ContainerID: 0, HostID: 100000, Size: 65536}},
	}))
	require.Len(t, d.inits, 2)
	assert.Equal(t, sdkInitRequest{
		Home: "/var/lib/docker/sdkgd", Options: []string{"sdkgd.size=1G"},
		UIDMaps: []sdkIDMap{{ContainerID: 0, HostID: 100000, Size: 65536}},
	}, d.inits[1], "the SDK reads Opts into Options")

	caps, err := c.Capabilities(ctx)
	require.NoError(t, err)
	assert.Equal(t, graphdriver.Capabilities{ReproducesExactDiffs: true}, caps)

	// A base layer, its contents, a layer on it, a container's layer on that.
	require.NoError(t, c.Create(ctx, graphdriver.Request{ID: "l1"}))
	typedtest.FailedWithStatus(t, c.Create(ctx, graphdriver.Request{ID: "l1"}), http.StatusInternalServerError, "GraphDriver.Create: layer l1 exists")
	size, err := c.ApplyDiff(ctx, "l1", "", io.MultiReader(strings.NewReader("bin etc "), strings.NewReader("usr")))
	require.NoError(t, err)
	assert.Equal(t, int64(11), size)
	size, err = c.ApplyDiff(ctx, "nope", "l1", strings.NewReader("x"))
	assert.Equal(t, int64(-1), size)
	typedtest.FailedWithStatus(t, err, http.StatusInternalServerError, "GraphDriver.ApplyDiff?id=nope&parent=l1: no such layer: nope")

	require.NoError(t, c.Create(ctx, graphdriver.Request{ID: "l2", Parent: "l1", MountLabel: "lbl", StorageOpt: map[string]string{"size": "1G"}}))
	typedtest.FailedWithStatus(t, c.CreateReadWrite(ctx, graphdriver.Request{ID: "c1", Parent: "missing"}), http.StatusInternalServerError, "GraphDriver.CreateReadWrite: no such layer: missing")
	require.NoError(t, c.CreateReadWrite(ctx, graphdriver.Request{ID: "c1", Parent: "l2"}))
	assert.Equal(t, []sdkCreateRequest{
		{ID: "l1"}, {ID: "l1"},
		{ID: "l2", Parent: "l1", MountLabel: "lbl", StorageOpt: map[string]string{"size": "1G"}},
		{ID: "c1", Parent: "missing"}, {ID: "c1", Parent: "l2"},
	}, d.creates, "what the SDK decoded: left-out keys are empty")

	dir, err := c.Get(ctx, "c1", "lbl")
	require.NoError(t, err)
	assert.Equal(t, "/var/lib/docker/sdkgd/mnt/c1", dir)
	dir, err = c.Get(ctx, "c2", "")
	typedtest.FailedWithStatus(t, err, http.StatusInternalServerError, "GraphDriver.Get: no such layer: c2")
	assert.Empty(t, dir, "a 500's Dir is not read, as in the engine")

	ok, err := c.Exists(ctx, "c1")
	require.NoError(t, err)
	assert.True(t, ok)
	ok, err = c.Exists(ctx, "c2")
	require.NoError(t, err)
	assert.False(t, ok)

	st, err := c.Status(ctx)
	require.NoError(t, err)
	assert.Equal(t, [][2]string{{"Layers", "3"}}, st)

	md, err := c.GetMetadata(ctx, "c1")
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"Parent": "l2", "Writable": "true"}, md)
	md, err = c.GetMetadata(ctx, "c2")
	typedtest.FailedWithStatus(t, err, http.StatusInternalServerError, "GraphDriver.GetMetadata: no such layer: c2")
	assert.Nil(t, md)

	changes, err := c.Changes(ctx, "l1", "")
	require.NoError(t, err)
	assert.Equal(t, []graphdriver.Change{{Path: "/bin", Kind: graphdriver.ChangeAdd}, {Path: "/etc", Kind: graphdriver.ChangeAdd}, {Path: "/usr", Kind: graphdriver.ChangeAdd}}, changes)
	changes, err = c.Changes(ctx, "c2", "c1")
	typedtest.FailedWithStatus(t, err, http.StatusInternalServerError, "GraphDriver.Changes: no such layer: c2")
	assert.Nil(t, changes)

	size, err = c.DiffSize(ctx, "l1", "")
	require.NoError(t, err)
	assert.Equal(t, int64(11), size)
	size, err = c.DiffSize(ctx, "c2", "c1")
	typedtest.FailedWithStatus(t, err, http.StatusInternalServerError, "GraphDriver.DiffSize: no such layer: c2")
	assert.Equal(t, int64(-1), size)

	rc, err := c.Diff(ctx, "l1", "")
	require.NoError(t, err)
	b, err := io.ReadAll(rc)
	require.NoError(t, err)
	require.NoError(t, rc.Close())
	assert.Equal(t, "bin etc usr", string(b))
	rc, err = c.Diff(ctx, "c2", "")
	require.NoError(t, err, "the SDK's Diff has no error path: an empty stream")
	b, err = io.ReadAll(rc)
	require.NoError(t, err)
	require.NoError(t, rc.Close())
	assert.Empty(t, b)

	typedtest.FailedWithStatus(t, c.Remove(ctx, "c1"), http.StatusInternalServerError, "GraphDriver.Remove: layer c1 is mounted")
	require.NoError(t, c.Put(ctx, "c1"))
	require.NoError(t, c.Remove(ctx, "c1"))
	typedtest.FailedWithStatus(t, c.Remove(ctx, "c1"), http.StatusInternalServerError, "GraphDriver.Remove: no such layer: c1")
	typedtest.FailedWithStatus(t, c.Put(ctx, "c1"), http.StatusInternalServerError, "GraphDriver.Put: no such layer: c1")
	layers := make([]string, 0, len(d.layers))
	for id := range d.layers {
		layers = append(layers, id)
	}
	sort.Strings(layers)
	assert.Equal(t, []string{"l1", "l2"}, layers)

	require.NoError(t, c.Cleanup(ctx))
}

// A request the SDK cannot decode is answered 400 with Go's error as text.
func TestSDKBadRequest(t *testing.T) {
	d := &memDriver{layers: make(map[string]*memLayer)}
	env := pluginstest.New(t)
	fake := env.ServeSocket("sdkgd", graphdriver.Interface)
	fake.Handle("GraphDriver.Remove", d.handlers()["GraphDriver.Remove"])
	p, err := env.Store().Get("sdkgd", graphdriver.Interface)
	require.NoError(t, err)
	err = p.Client.Call("GraphDriver.Remove", "not a request", nil)
	require.EqualError(t, err, "GraphDriver.Remove: json: cannot unmarshal string into Go value of type graphdriver_test.sdkIDRequest\n")
	var se *plugins.StatusError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, http.StatusBadRequest, se.StatusCode)
}

// Methods the plugin does not serve are answered 404: Capabilities falls
// back to none, the others fail with plugins.IsNotFound.
func TestSDKNotImplemented(t *testing.T) {
	all := []string{
		"GraphDriver.Init", "GraphDriver.Capabilities", "GraphDriver.Create", "GraphDriver.CreateReadWrite", "GraphDriver.Remove",
		"GraphDriver.Get", "GraphDriver.Put", "GraphDriver.Exists", "GraphDriver.Status", "GraphDriver.GetMetadata",
		"GraphDriver.Cleanup", "GraphDriver.Diff", "GraphDriver.Changes", "GraphDriver.ApplyDiff", "GraphDriver.DiffSize",
	}
	c := serveSDK(t, &memDriver{layers: make(map[string]*memLayer)}, all...)
	ctx := context.Background()

	caps, err := c.Capabilities(ctx)
	require.NoError(t, err)
	assert.Equal(t, graphdriver.Capabilities{}, caps)

	notFound := func(name string, err error) {
		t.Helper()
		assert.True(t, plugins.IsNotFound(err), "%s: %v", name, err)
		assert.EqualError(t, err, name+": 404 page not found\n")
	}
	notFound("GraphDriver.Init", c.Init(ctx, graphdriver.InitRequest{Home: "/h"}))
	notFound("GraphDriver.Create", c.Create(ctx, graphdriver.Request{ID: "l"}))
	notFound("GraphDriver.CreateReadWrite", c.CreateReadWrite(ctx, graphdriver.Request{ID: "l"}))
	notFound("GraphDriver.Remove", c.Remove(ctx, "l"))
	_, err = c.Get(ctx, "l", "")
	notFound("GraphDriver.Get", err)
	notFound("GraphDriver.Put", c.Put(ctx, "l"))
	_, err = c.Exists(ctx, "l")
	notFound("GraphDriver.Exists", err)
	_, err = c.Status(ctx)
	notFound("GraphDriver.Status", err)
	_, err = c.GetMetadata(ctx, "l")
	notFound("GraphDriver.GetMetadata", err)
	notFound("GraphDriver.Cleanup", c.Cleanup(ctx))
	_, err = c.Diff(ctx, "l", "")
	notFound("GraphDriver.Diff", err)
	_, err = c.Changes(ctx, "l", "")
	notFound("GraphDriver.Changes", err)
	_, err = c.ApplyDiff(ctx, "l", "", strings.NewReader("x"))
	notFound("GraphDriver.ApplyDiff?id=l&parent=", err)
	_, err = c.DiffSize(ctx, "l", "")
	notFound("GraphDriver.DiffSize", err)
}
