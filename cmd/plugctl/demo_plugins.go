package main

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/go-dockerplugins/plugins/pluginstest"
)

// The demo's sample plugins, served with pluginstest and answering as
// plugins built with the plugin SDK do (errors: 500 with {"Err": ...}).
const (
	demoVolumes = "demo-volumes" // VolumeDriver on a UNIX socket
	demoNet     = "demo-net"     // NetworkDriver through a .spec file, over TCP
	demoAuthz   = "demo-authz"   // authz through a .json file, over TLS
)

// volumeDriver is an in-memory volume plugin.
type volumeDriver struct {
	mu      sync.Mutex
	volumes map[string]int // name -> mount count
}

type volumeRequest struct {
	Name string
	ID   string
}

type volumeInfo struct {
	Name       string
	Mountpoint string `json:",omitempty"`
}

func (d *volumeDriver) serve(p *pluginstest.Plugin) {
	d.volumes = make(map[string]int)
	p.Handle("VolumeDriver.Create", pluginstest.Func(d.create)).
		Handle("VolumeDriver.Remove", pluginstest.Func(d.remove)).
		Handle("VolumeDriver.Mount", pluginstest.Func(d.mount)).
		Handle("VolumeDriver.Unmount", pluginstest.Func(d.unmount)).
		Handle("VolumeDriver.List", pluginstest.Func(d.list)).
		Handle("VolumeDriver.Get", pluginstest.Func(d.get)).
		Handle("VolumeDriver.Path", pluginstest.Func(d.path))
	// Capabilities is left out, as in plugins that predate it.
}

func mountpoint(name string) string { return "/mnt/" + demoVolumes + "/" + name }

func (d *volumeDriver) create(r volumeRequest) (any, error) {
	if r.Name == "" {
		return nil, errors.New("no volume name")
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.volumes[r.Name] += 0
	return struct{}{}, nil
}

func (d *volumeDriver) remove(r volumeRequest) (any, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	switch n, ok := d.volumes[r.Name]; {
	case !ok:
		return nil, fmt.Errorf("no such volume: %s", r.Name)
	case n > 0:
		return nil, fmt.Errorf("volume %s is in use", r.Name)
	}
	delete(d.volumes, r.Name)
	return struct{}{}, nil
}

func (d *volumeDriver) mount(r volumeRequest) (any, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.volumes[r.Name]; !ok {
		return nil, fmt.Errorf("no such volume: %s", r.Name)
	}
	d.volumes[r.Name]++
	return volumeInfo{Mountpoint: mountpoint(r.Name)}, nil
}

func (d *volumeDriver) unmount(r volumeRequest) (any, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.volumes[r.Name] == 0 {
		return nil, fmt.Errorf("volume %s is not mounted", r.Name)
	}
	d.volumes[r.Name]--
	return struct{}{}, nil
}

func (d *volumeDriver) get(r volumeRequest) (any, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.volumes[r.Name]; !ok {
		return nil, fmt.Errorf("no such volume: %s", r.Name)
	}
	return struct{ Volume volumeInfo }{volumeInfo{Name: r.Name, Mountpoint: mountpoint(r.Name)}}, nil
}

func (d *volumeDriver) path(r volumeRequest) (any, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.volumes[r.Name]; !ok {
		return nil, fmt.Errorf("no such volume: %s", r.Name)
	}
	return volumeInfo{Mountpoint: mountpoint(r.Name)}, nil
}

func (d *volumeDriver) list(struct{}) (any, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := []volumeInfo{}
	for name := range d.volumes {
		out = append(out, volumeInfo{Name: name, Mountpoint: mountpoint(name)})
	}
	slices.SortFunc(out, func(a, b volumeInfo) int { return strings.Compare(a.Name, b.Name) })
	return struct{ Volumes []volumeInfo }{out}, nil
}

// serveNetwork answers the capabilities of a local network driver.
func serveNetwork(p *pluginstest.Plugin) {
	p.Handle("NetworkDriver.GetCapabilities", pluginstest.Reply(map[string]string{"Scope": "local", "ConnectivityScope": "local"}))
}

// serveAuthz allows every request but DELETEs.
func serveAuthz(p *pluginstest.Plugin) {
	type authzRequest struct {
		RequestMethod string
		RequestURI    string
	}
	p.Handle("AuthZPlugin.AuthZReq", pluginstest.Func(func(r authzRequest) (any, error) {
		if r.RequestMethod == "DELETE" {
			return map[string]any{"Allow": false, "Msg": "deletions are not allowed"}, nil
		}
		return map[string]any{"Allow": true}, nil
	}))
}
