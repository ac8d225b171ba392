package volume_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/go-dockerplugins/plugins"
	"github.com/go-dockerplugins/plugins/pluginstest"
	"github.com/go-dockerplugins/plugins/volume"
)

// A daemon creates, mounts and unmounts a volume through a typed client; a
// plugin's error in a 200 answer is its text, verbatim.
func Example() {
	var scope pluginstest.Scope // a test passes its *testing.T instead
	defer scope.Close()
	env := pluginstest.New(&scope)
	env.ServeSocket("myvolumes", volume.Interface).
		Handle("VolumeDriver.Create", pluginstest.Reply(volume.ErrorResponse{})).
		Handle("VolumeDriver.Mount", pluginstest.Func(func(req volume.MountRequest) (any, error) {
			return volume.MountResponse{Mountpoint: "/mnt/" + req.Name}, nil
		})).
		Handle("VolumeDriver.Unmount", pluginstest.Reply(volume.ErrorResponse{Err: "volume data is busy"}))

	p, err := env.Store().Get("myvolumes", volume.Interface)
	if err != nil {
		fmt.Println(err)
		return
	}
	vd, err := volume.FromPlugin(p)
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	fmt.Println(vd.Create(ctx, volume.CreateRequest{Name: "data", Opts: map[string]string{"size": "10G"}}))
	m, err := vd.Mount(ctx, volume.MountRequest{Name: "data", ID: "c0ffee"})
	fmt.Println(m.Mountpoint, err)
	caps, err := vd.Capabilities(ctx) // not implemented: the local scope
	fmt.Println(caps.Capabilities.Scope, err)

	err = vd.Unmount(ctx, volume.UnmountRequest{Name: "data", ID: "c0ffee"})
	var ae *plugins.AnswerError
	fmt.Println(err, errors.As(err, &ae))
	// Output:
	// <nil>
	// /mnt/data <nil>
	// local <nil>
	// volume data is busy true
}
