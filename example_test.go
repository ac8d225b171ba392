package plugins_test

import (
	"fmt"
	"log"
	"net/http"

	"github.com/go-dockerplugins/plugins"
	"github.com/go-dockerplugins/plugins/pluginstest"
)

// A Store over a directory of its own finds, activates and calls a plugin
// without touching the machine's plugin directories.
func ExampleStore() {
	var scope pluginstest.Scope // a test passes its *testing.T instead
	defer scope.Close()
	env := pluginstest.New(&scope)
	env.ServeSocket("myvolumes", "VolumeDriver").
		Handle("VolumeDriver.Create", pluginstest.Reply(struct{}{})).
		Handle("VolumeDriver.Path", pluginstest.Func(func(req struct{ Name string }) (any, error) {
			return map[string]string{"Mountpoint": "/mnt/" + req.Name}, nil
		}))

	store := plugins.NewStore(plugins.NewLocalRegistry(plugins.WithSocketsDir(env.SocketsDir()), plugins.WithSpecsDirs()))
	store.Handle("VolumeDriver", func(name string, _ *plugins.Client) {
		fmt.Println("new volume driver:", name)
	})

	p, err := store.Get("myvolumes", "VolumeDriver")
	if err != nil {
		log.Fatal(err)
	}
	if err := p.Client.Call("VolumeDriver.Create", map[string]string{"Name": "data"}, nil); err != nil {
		log.Fatal(err)
	}
	var resp struct{ Mountpoint, Err string }
	if err := p.Client.Call("VolumeDriver.Path", map[string]string{"Name": "data"}, &resp); err != nil {
		log.Fatal(err)
	}
	fmt.Println(p.Manifest.Implements, resp.Mountpoint)

	_, err = store.Get("myvolumes", "NetworkDriver")
	fmt.Println(err)
	// Output:
	// new volume driver: myvolumes
	// [VolumeDriver] /mnt/data
	// Plugin does not implement the requested driver: plugin="myvolumes", requested implementation="NetworkDriver"
}

// Get finds a plugin in the system's plugin directories; the client it
// returns speaks the plugin's protocol.
func ExampleGet() {
	p, err := plugins.Get("example", "VolumeDriver")
	if err != nil {
		log.Fatalf("Error looking up volume plugin example: %v", err)
	}
	var caps struct{ Capabilities struct{ Scope string } }
	if err := p.Client.Call("VolumeDriver.Capabilities", nil, &caps); plugins.IsNotFound(err) {
		caps.Capabilities.Scope = "local" // the plugin predates Capabilities
	} else if err != nil {
		log.Fatal(err)
	}
	fmt.Println(caps.Capabilities.Scope)
}

// IsNotFound tells an optional method the plugin lacks from other errors.
func ExampleIsNotFound() {
	err := error(&plugins.StatusError{StatusCode: http.StatusNotFound, Method: "VolumeDriver.Capabilities", Message: "404 page not found"})
	fmt.Println(plugins.IsNotFound(fmt.Errorf("getting capabilities: %w", err)))
	// Output: true
}
