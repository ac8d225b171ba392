package volume_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/docker/go-plugins-helpers/sdk"
	sdkvolume "github.com/docker/go-plugins-helpers/volume"
	"github.com/go-dockerplugins/plugins/internal/typedtest"
	"github.com/go-dockerplugins/plugins/interop/internal/plugintest"
	"github.com/go-dockerplugins/plugins/interop/internal/sdkfake"
	"github.com/go-dockerplugins/plugins/volume"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every method of the typed client against the SDK's own server: the SDK
// decodes what the client sends, and the client reads what the SDK answers,
// successes and failures.
func TestSDK(t *testing.T) {
	const root = "/var/lib/memvol"
	ctx := context.Background()
	d := sdkfake.NewMemVolumes(root, "Global")
	c := plugintest.ServeSDK(t, "memvol", volume.Interface, sdkvolume.NewHandler(d), volume.FromPlugin)

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
	typedtest.FailedWithStatus(t, err, http.StatusInternalServerError, "VolumeDriver.Create: volume data already exists")
	assert.Equal(t, []sdkvolume.CreateRequest{
		{Name: "data", Options: map[string]string{"size": "10G", "type": "tmpfs"}},
		{Name: "logs"},
		{Name: "data"},
	}, d.Creates(), "what the SDK decoded")

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
	typedtest.FailedWithStatus(t, err, http.StatusInternalServerError, "VolumeDriver.Get: no such volume: nope")

	p, err := c.Path(ctx, volume.PathRequest{Name: "data"})
	require.NoError(t, err)
	assert.Equal(t, volume.PathResponse{Mountpoint: root + "/data/_data"}, p)
	_, err = c.Path(ctx, volume.PathRequest{Name: "nope"})
	typedtest.FailedWithStatus(t, err, http.StatusInternalServerError, "VolumeDriver.Path: no such volume: nope")

	m, err := c.Mount(ctx, volume.MountRequest{Name: "data", ID: "c0ffee"})
	require.NoError(t, err)
	assert.Equal(t, volume.MountResponse{Mountpoint: root + "/data/_data"}, m)
	_, err = c.Mount(ctx, volume.MountRequest{Name: "nope", ID: "c0ffee"})
	typedtest.FailedWithStatus(t, err, http.StatusInternalServerError, "VolumeDriver.Mount: no such volume: nope")

	err = c.Remove(ctx, volume.RemoveRequest{Name: "data"})
	typedtest.FailedWithStatus(t, err, http.StatusInternalServerError, "VolumeDriver.Remove: volume data is in use")
	err = c.Unmount(ctx, volume.UnmountRequest{Name: "data", ID: "other"})
	typedtest.FailedWithStatus(t, err, http.StatusInternalServerError, "VolumeDriver.Unmount: volume data is not mounted by other")
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
	d := sdkfake.NewMemVolumes("/m", "Global")
	c := plugintest.ServeSDK(t, "memvol", volume.Interface, sdkvolume.NewHandler(d), volume.FromPlugin)
	require.NoError(t, c.Create(ctx, volume.CreateRequest{Name: "data"}))

	d.SetCreatedAt("")
	got, err := c.Get(ctx, volume.GetRequest{Name: "data"})
	require.NoError(t, err)
	assert.True(t, got.Volume.CreatedAt.IsZero())

	d.SetCreatedAt("yesterday")
	_, err = c.Get(ctx, volume.GetRequest{Name: "data"})
	var pe *time.ParseError
	require.ErrorAs(t, err, &pe)
}

// The SDK answers a nil CapabilitiesResponse as null: the scope is empty,
// which the engine reads as local.
func TestSDKNullCapabilities(t *testing.T) {
	d := sdkfake.NewMemVolumes("/m", "Global")
	d.SetCapabilities(nil)
	c := plugintest.ServeSDK(t, "memvol", volume.Interface, sdkvolume.NewHandler(d), volume.FromPlugin)
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
	c := plugintest.ServeSDK(t, "memvol", volume.Interface, sdk.NewHandler(`{"Implements": ["VolumeDriver"]}`), volume.FromPlugin)

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
			typedtest.FailedWithStatus(t, call(), http.StatusNotFound, method+": 404 page not found\n")
		})
	}
}
