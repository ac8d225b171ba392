package pluginstest_test

import (
	"context"
	"fmt"

	"github.com/go-dockerplugins/plugins"
	"github.com/go-dockerplugins/plugins/pluginstest"
)

// A test serves a fake volume plugin in one line, then uses it through the
// environment's store as the code under test would.
func ExampleNew() {
	var t pluginstest.Scope // in a test: the *testing.T
	defer t.Close()
	env := pluginstest.New(&t)
	vol := env.ServeSocket("myvolumes", "VolumeDriver").
		Handle("VolumeDriver.Mount", pluginstest.Reply(map[string]string{"Mountpoint": "/mnt/data"}))

	p, err := env.Store().Get("myvolumes", "VolumeDriver")
	if err != nil {
		panic(err)
	}
	var resp struct{ Mountpoint string }
	err = p.Client.Call("VolumeDriver.Mount", map[string]string{"Name": "data", "ID": "c1"}, &resp)
	fmt.Println(resp.Mountpoint, err)

	for _, r := range vol.Requests() {
		fmt.Printf("%s %q\n", r.Method, r.Body)
	}
	// Output:
	// /mnt/data <nil>
	// Plugin.Activate ""
	// VolumeDriver.Mount "{\"ID\":\"c1\",\"Name\":\"data\"}\n"
}

// Faults make a plugin fail the next calls, answer slowly or hang up.
func ExamplePlugin_Inject() {
	var t pluginstest.Scope // in a test: the *testing.T
	defer t.Close()
	env := pluginstest.New(&t)
	vol := env.ServeSpec("flaky", "VolumeDriver").
		Handle("VolumeDriver.Remove", pluginstest.Reply(struct{}{})).
		Inject(pluginstest.Fault{Method: "VolumeDriver.Remove", Times: 1, Status: 500, Err: "volume is busy"}).
		Inject(pluginstest.Fault{Method: "VolumeDriver.Remove", Times: 1, Drop: true})

	p, _ := env.Store().Get("flaky", "VolumeDriver")
	fmt.Println(p.Client.Call("VolumeDriver.Remove", map[string]string{"Name": "data"}, nil))
	// The dropped connection is retried: the call succeeds on its third request.
	fmt.Println(p.Client.Call("VolumeDriver.Remove", map[string]string{"Name": "data"}, nil))
	fmt.Println(len(vol.Calls("VolumeDriver.Remove")))
	// Output:
	// VolumeDriver.Remove: volume is busy
	// <nil>
	// 3
}

// A plugin can be stopped, as if it crashed, and started again on the same
// address.
func ExamplePlugin_Stop() {
	var t pluginstest.Scope // in a test: the *testing.T
	defer t.Close()
	env := pluginstest.New(&t, plugins.WithCallRetryBudget(0))
	auth := env.ServeJSON("authz-plugin", "authz")
	p, _ := env.Store().Get("authz-plugin", "authz")

	auth.Stop()
	_, err := p.Client.CallRaw(context.Background(), "AuthZPlugin.AuthZReq", nil)
	fmt.Println(err != nil)

	if err := auth.Start(); err != nil {
		panic(err)
	}
	_, err = p.Client.CallRaw(context.Background(), "AuthZPlugin.AuthZReq", nil)
	fmt.Println(plugins.IsNotFound(err)) // it answers again: 404, no handler
	// Output:
	// true
	// true
}
