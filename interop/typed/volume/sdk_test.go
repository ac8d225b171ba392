package volume_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/docker/go-plugins-helpers/sdk"
	sdkvolume "github.com/docker/go-plugins-helpers/volume"
	"github.com/go-dockerplugins/plugins"
	"github.com/go-dockerplugins/plugins/interop/internal/plugintest"
	"github.com/go-dockerplugins/plugins/volume"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// memVolumes is an in-memory volume driver built with the SDK: volumes are
// names with options and the IDs of the containers that mount them. It
// records the requests the SDK decoded for it.
type memVolumes struct {
	mu        sync.Mutex
	root      string
	createdAt string
	scope     *sdkvolume.CapabilitiesResponse
	vols      map[string]*memVolume
	creates   []sdkvolume.CreateRequest
}

type memVolume struct {
	opts   map[string]string
	mounts map[string]bool
}

var _ sdkvolume.Driver = (*memVolumes)(nil)

func newMemVolumes(root string) *memVolumes {
	return &memVolumes{
		root: root, createdAt: "2024-07-01T07:14:50Z", vols: make(map[string]*memVolume),
		scope: &sdkvolume.CapabilitiesResponse{Capabilities: sdkvolume.Capability{Scope: "Global"}},
	}
}

func (d *memVolumes) Create(r *sdkvolume.CreateRequest) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.creates = append(d.creates, *r)
	if _, ok := d.vols[r.Name]; ok {
		return fmt.Errorf("volume %s already exists", r.Name)
	}
	d.vols[r.Name] = &memVolume{opts: r.Options, mounts: make(map[string]bool)}
	return nil
}

func (d *memVolumes) List() (*sdkvolume.ListResponse, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	res := &sdkvolume.ListResponse{Volumes: []*sdkvolume.Volume{}}
	for name := range d.vols {
		res.Volumes = append(res.Volumes, &sdkvolume.Volume{Name: name, Mountpoint: d.mountpoint(name)})
	}
	sort.Slice(res.Volumes, func(i, j int) bool { return res.Volumes[i].Name < res.Volumes[j].Name })
	return res, nil
}

func (d *memVolumes) Get(r *sdkvolume.GetRequest) (*sdkvolume.GetResponse, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	v, err := d.volume(r.Name)
	if err != nil {
		return nil, err
	}
	status := map[string]any{"mounts": float64(len(v.mounts))}
	for k, o := range v.opts {
		status[k] = o
	}
	return &sdkvolume.GetResponse{Volume: &sdkvolume.Volume{
		Name: r.Name, Mountpoint: d.mountpoint(r.Name), CreatedAt: d.createdAt, Status: status,
	}}, nil
}

func (d *memVolumes) Remove(r *sdkvolume.RemoveRequest) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	v, err := d.volume(r.Name)
	if err != nil {
		return err
	}
	if len(v.mounts) > 0 {
		return fmt.Errorf("volume %s is in use", r.Name)
	}
	delete(d.vols, r.Name)
	return nil
}

func (d *memVolumes) Path(r *sdkvolume.PathRequest) (*sdkvolume.PathResponse, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, err := d.volume(r.Name); err != nil {
		return nil, err
	}
	return &sdkvolume.PathResponse{Mountpoint: d.mountpoint(r.Name)}, nil
}

func (d *memVolumes) Mount(r *sdkvolume.MountRequest) (*sdkvolume.MountResponse, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	v, err := d.volume(r.Name)
	if err != nil {
		return nil, err
	}
	v.mounts[r.ID] = true
	return &sdkvolume.MountResponse{Mountpoint: d.mountpoint(r.Name)}, nil
}

func (d *memVolumes) Unmount(r *sdkvolume.UnmountRequest) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	v, err := d.volume(r.Name)
	if err != nil {
		return err
	}
	if !v.mounts[r.ID] {
		return fmt.Errorf("volume %s is not mounted by %s", r.Name, r.ID)
	}
	delete(v.mounts, r.ID)
	return nil
}

func (d *memVolumes) Capabilities() *sdkvolume.CapabilitiesResponse { return d.scope }

func (d *memVolumes) volume(name string) (*memVolume, error) {
	v, ok := d.vols[name]
	if !ok {
		return nil, fmt.Errorf("no such volume: %s", name)
	}
	return v, nil
}

func (d *memVolumes) mountpoint(name string) string { return d.root + "/" + name + "/_data" }

// serveSDK serves h, an SDK handler, on a UNIX socket in a directory of the
// test's own, and returns a typed client of it.
func serveSDK(t *testing.T, h plugintest.Server) *volume.Client {
	t.Helper()
	d := plugintest.NewDirs(t)
	plugintest.Serve(t, h, plugintest.ListenUnix(t, d.Socket("memvol")))
	p, err := d.Store().GetContext(context.Background(), "memvol", volume.Interface)
	require.NoError(t, err)
	c, err := volume.FromPlugin(p)
	require.NoError(t, err)
	return c
}

// requireStatus checks that err is the error of an answer with status and
// text "<method>: <msg>".
func requireStatus(t *testing.T, err error, status int, text string) {
	t.Helper()
	require.EqualError(t, err, text)
	var se *plugins.StatusError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, status, se.StatusCode)
	assert.Equal(t, status == http.StatusNotFound, plugins.IsNotFound(err))
	var ae *plugins.AnswerError
	assert.False(t, errors.As(err, &ae), "the SDK never sends Err in a 200 answer")
}

// Every method of the typed client against the SDK's own server: the SDK
// decodes what the client sends, and the client reads what the SDK answers,
// successes and failures.
func TestSDK(t *testing.T) {
	const root = "/var/lib/memvol"
	ctx := context.Background()
	d := newMemVolumes(root)
	c := serveSDK(t, sdkvolume.NewHandler(d))

	caps, err := c.Capabilities(ctx)
	require.NoError(t, err)
	assert.Equal(t, "Global", caps.Capabilities.Scope)
	assert.Equal(t, volume.GlobalScope, volume.NormalizeScope(caps.Capabilities.Scope))

	ls, err := c.List(ctx)
	require.NoError(t, err)
	assert.Equal(t, volume.ListResponse{Volumes: []*volume.Volume{}}, ls)

	require.NoError(t, c.Create(ctx, volume.CreateRequest{Name: "data", Opts: map[string]string{"size": "10G", "type": "tmpfs"}}))
	require.NoError(t, c.Create(ctx, volume.CreateRequest{Name: "logs"}), `the SDK takes "Opts":null`)
	err = c.Create(ctx, volume.CreateRequest{Name: "data"})
	requireStatus(t, err, http.StatusInternalServerError, "VolumeDriver.Create: volume data already exists")
	d.mu.Lock()
	assert.Equal(t, []sdkvolume.CreateRequest{
		{Name: "data", Options: map[string]string{"size": "10G", "type": "tmpfs"}},
		{Name: "logs"},
		{Name: "data"},
	}, d.creates, "what the SDK decoded")
	d.mu.Unlock()

	ls, err = c.List(ctx)
	require.NoError(t, err)
	assert.Equal(t, volume.ListResponse{Volumes: []*volume.Volume{
		{Name: "data", Mountpoint: root + "/data/_data"},
		{Name: "logs", Mountpoint: root + "/logs/_data"},
	}}, ls)

	got, err := c.Get(ctx, volume.GetRequest{Name: "data"})
	require.NoError(t, err)
	assert.Equal(t, volume.GetResponse{Volume: &volume.Volume{
		Name: "data", Mountpoint: root + "/data/_data", CreatedAt: time.Date(2024, 7, 1, 7, 14, 50, 0, time.UTC),
		Status: map[string]any{"mounts": float64(0), "size": "10G", "type": "tmpfs"},
	}}, got, "the SDK's CreatedAt string, parsed as the engine parses it")
	_, err = c.Get(ctx, volume.GetRequest{Name: "nope"})
	requireStatus(t, err, http.StatusInternalServerError, "VolumeDriver.Get: no such volume: nope")

	p, err := c.Path(ctx, volume.PathRequest{Name: "data"})
	require.NoError(t, err)
	assert.Equal(t, volume.PathResponse{Mountpoint: root + "/data/_data"}, p)
	_, err = c.Path(ctx, volume.PathRequest{Name: "nope"})
	requireStatus(t, err, http.StatusInternalServerError, "VolumeDriver.Path: no such volume: nope")

	m, err := c.Mount(ctx, volume.MountRequest{Name: "data", ID: "c0ffee"})
	require.NoError(t, err)
	assert.Equal(t, volume.MountResponse{Mountpoint: root + "/data/_data"}, m)
	_, err = c.Mount(ctx, volume.MountRequest{Name: "nope", ID: "c0ffee"})
	requireStatus(t, err, http.StatusInternalServerError, "VolumeDriver.Mount: no such volume: nope")

	err = c.Remove(ctx, volume.RemoveRequest{Name: "data"})
	requireStatus(t, err, http.StatusInternalServerError, "VolumeDriver.Remove: volume data is in use")
	err = c.Unmount(ctx, volume.UnmountRequest{Name: "data", ID: "other"})
	requireStatus(t, err, http.StatusInternalServerError, "VolumeDriver.Unmount: volume data is not mounted by other")
	require.NoError(t, c.Unmount(ctx, volume.UnmountRequest{Name: "data", ID: "c0ffee"}))
	require.NoError(t, c.Remove(ctx, volume.RemoveRequest{Name: "data"}))

	ls, err = c.List(ctx)
	require.NoError(t, err)
	assert.Equal(t, volume.ListResponse{Volumes: []*volume.Volume{{Name: "logs", Mountpoint: root + "/logs/_data"}}}, ls)
}

// The SDK's CreatedAt is any string: one that is not RFC 3339 fails the
// answer, as it does in the engine; an empty one is left out by the SDK.
func TestSDKCreatedAt(t *testing.T) {
	ctx := context.Background()
	d := newMemVolumes("/m")
	c := serveSDK(t, sdkvolume.NewHandler(d))
	require.NoError(t, c.Create(ctx, volume.CreateRequest{Name: "data"}))

	d.mu.Lock()
	d.createdAt = ""
	d.mu.Unlock()
	got, err := c.Get(ctx, volume.GetRequest{Name: "data"})
	require.NoError(t, err)
	assert.True(t, got.Volume.CreatedAt.IsZero())

	d.mu.Lock()
	d.createdAt = "yesterday"
	d.mu.Unlock()
	_, err = c.Get(ctx, volume.GetRequest{Name: "data"})
	var pe *time.ParseError
	require.ErrorAs(t, err, &pe)
}

// The SDK answers a nil CapabilitiesResponse as null: the scope is empty,
// which the engine reads as local.
func TestSDKNullCapabilities(t *testing.T) {
	d := newMemVolumes("/m")
	d.scope = nil
	c := serveSDK(t, sdkvolume.NewHandler(d))
	caps, err := c.Capabilities(context.Background())
	require.NoError(t, err)
	assert.Empty(t, caps.Capabilities.Scope)
	assert.Equal(t, volume.LocalScope, volume.NormalizeScope(caps.Capabilities.Scope))
}

// A plugin built on the SDK's bare handler serves no volume method: Go's
// ServeMux answers 404, which gives the local scope for Capabilities and a
// not-found error for the others.
func TestSDKNotImplemented(t *testing.T) {
	ctx := context.Background()
	c := serveSDK(t, sdk.NewHandler(`{"Implements": ["VolumeDriver"]}`))

	caps, err := c.Capabilities(ctx)
	require.NoError(t, err)
	assert.Equal(t, volume.CapabilitiesResponse{Capabilities: volume.Capability{Scope: volume.LocalScope}}, caps)

	calls := map[string]func() error{
		"VolumeDriver.Create": func() error { return c.Create(ctx, volume.CreateRequest{Name: "data"}) },
		"VolumeDriver.Remove": func() error { return c.Remove(ctx, volume.RemoveRequest{Name: "data"}) },
		"VolumeDriver.Path":   func() error { _, err := c.Path(ctx, volume.PathRequest{Name: "data"}); return err },
		"VolumeDriver.Mount": func() error {
			_, err := c.Mount(ctx, volume.MountRequest{Name: "data", ID: "c"})
			return err
		},
		"VolumeDriver.Unmount": func() error { return c.Unmount(ctx, volume.UnmountRequest{Name: "data", ID: "c"}) },
		"VolumeDriver.List":    func() error { _, err := c.List(ctx); return err },
		"VolumeDriver.Get":     func() error { _, err := c.Get(ctx, volume.GetRequest{Name: "data"}); return err },
	}
	for method, call := range calls {
		t.Run(method, func(t *testing.T) {
			requireStatus(t, call(), http.StatusNotFound, method+": 404 page not found\n")
		})
	}
}
