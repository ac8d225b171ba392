package sdkplugins_test

import (
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/docker/go-plugins-helpers/volume"
	"github.com/go-dockerplugins/plugins/interop/internal/sdkfake"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestVolumeDriver(t *testing.T) {
	const root = "/var/lib/memvol"
	// ok is the answer of a call that only reports success, decoded as the
	// engine's volume adapter does: into a struct with an Err field.
	ok := volume.ErrorResponse{}
	forEachPublication(t, func(t *testing.T, pub publication) {
		p := startPlugin(t, pub, "memvol", volume.NewHandler(sdkfake.NewMemVolumes(root, "global")), "VolumeDriver")
		run(t, p.Client, []step{
			{method: "VolumeDriver.Capabilities", want: volume.CapabilitiesResponse{Capabilities: volume.Capability{Scope: "global"}}},
			{method: "VolumeDriver.List", want: volume.ListResponse{Volumes: []*volume.Volume{}}},
			{method: "VolumeDriver.Create", args: volume.CreateRequest{Name: "data", Options: map[string]string{"size": "10G", "type": "tmpfs"}}, want: ok},
			{method: "VolumeDriver.Create", args: volume.CreateRequest{Name: "logs"}, want: ok},
			{
				method: "VolumeDriver.Create", args: volume.CreateRequest{Name: "data"},
				wantErr: "VolumeDriver.Create: volume data already exists", wantStatus: http.StatusInternalServerError,
			},
			{method: "VolumeDriver.List", want: volume.ListResponse{Volumes: []*volume.Volume{
				{Name: "data", Mountpoint: root + "/data/_data"},
				{Name: "logs", Mountpoint: root + "/logs/_data"},
			}}},
			{method: "VolumeDriver.Get", args: volume.GetRequest{Name: "data"}, want: volume.GetResponse{Volume: &volume.Volume{
				Name: "data", Mountpoint: root + "/data/_data", CreatedAt: "2024-07-01T07:14:50Z",
				Status: map[string]interface{}{"mounts": float64(0), "size": "10G", "type": "tmpfs"},
			}}},
			{
				method: "VolumeDriver.Get", args: volume.GetRequest{Name: "nope"},
				wantErr: "VolumeDriver.Get: no such volume: nope", wantStatus: http.StatusInternalServerError,
			},
			{method: "VolumeDriver.Path", args: volume.PathRequest{Name: "data"}, want: volume.PathResponse{Mountpoint: root + "/data/_data"}},
			{method: "VolumeDriver.Mount", args: volume.MountRequest{Name: "data", ID: "c0ffee"}, want: volume.MountResponse{Mountpoint: root + "/data/_data"}},
			{
				method: "VolumeDriver.Remove", args: volume.RemoveRequest{Name: "data"},
				wantErr: "VolumeDriver.Remove: volume data is in use", wantStatus: http.StatusInternalServerError,
			},
			{
				method: "VolumeDriver.Unmount", args: volume.UnmountRequest{Name: "data", ID: "other"},
				wantErr: "VolumeDriver.Unmount: volume data is not mounted by other", wantStatus: http.StatusInternalServerError,
			},
			{method: "VolumeDriver.Unmount", args: volume.UnmountRequest{Name: "data", ID: "c0ffee"}, want: ok},
			{method: "VolumeDriver.Remove", args: volume.RemoveRequest{Name: "data"}, want: ok},
			{method: "VolumeDriver.List", want: volume.ListResponse{Volumes: []*volume.Volume{{Name: "logs", Mountpoint: root + "/logs/_data"}}}},
			// Snapshots are not part of the API the SDK serves.
			{
				method: "VolumeDriver.CreateSnapshot", args: volume.GetRequest{Name: "logs"},
				wantErr: "VolumeDriver.CreateSnapshot: 404 page not found\n", wantStatus: http.StatusNotFound, notFound: true,
			},
		})
	})
}

// The engine calls a volume plugin from many goroutines at once: one client
// of this library, shared, must serve them all against the SDK.
func TestVolumeDriverConcurrentCalls(t *testing.T) {
	const containers = 32
	forEachPublication(t, func(t *testing.T, pub publication) {
		p := startPlugin(t, pub, "memvol", volume.NewHandler(sdkfake.NewMemVolumes("/m", "global")), "VolumeDriver")
		require.NoError(t, p.Client.Call("VolumeDriver.Create", volume.CreateRequest{Name: "shared"}, nil))

		var wg sync.WaitGroup
		errs := make(chan error, containers)
		for i := range containers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				id := fmt.Sprintf("c%02d", i)
				var m volume.MountResponse
				if err := p.Client.Call("VolumeDriver.Mount", volume.MountRequest{Name: "shared", ID: id}, &m); err != nil {
					errs <- err
					return
				}
				if m.Mountpoint != "/m/shared/_data" {
					errs <- fmt.Errorf("%s: mount point %q", id, m.Mountpoint)
					return
				}
				errs <- p.Client.Call("VolumeDriver.Unmount", volume.UnmountRequest{Name: "shared", ID: id}, nil)
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			assert.NoError(t, err)
		}
		// Every mount was undone: the volume can go.
		require.NoError(t, p.Client.Call("VolumeDriver.Remove", volume.RemoveRequest{Name: "shared"}, nil))
	})
}
