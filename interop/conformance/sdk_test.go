// Package conformance_test runs the checks of the conformance package on
// plugins built with the plugin SDK (github.com/docker/go-plugins-helpers):
// its own servers, with drivers that do what they are asked, pass every
// check they can, with and without the life cycles, and leave nothing
// behind.
package conformance_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	sdkauthz "github.com/docker/go-plugins-helpers/authorization"
	sdkipam "github.com/docker/go-plugins-helpers/ipam"
	sdknetwork "github.com/docker/go-plugins-helpers/network"
	"github.com/docker/go-plugins-helpers/sdk"
	sdksecrets "github.com/docker/go-plugins-helpers/secrets"
	sdkvolume "github.com/docker/go-plugins-helpers/volume"
	"github.com/go-dockerplugins/plugins/conformance"
	"github.com/go-dockerplugins/plugins/interop/internal/plugintest"
	"github.com/go-dockerplugins/plugins/logdriver"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// state is what a driver holds, to see that the life cycles leave nothing.
type state struct {
	mu   sync.Mutex
	held map[string]bool
}

func (s *state) add(what string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.held == nil {
		s.held = map[string]bool{}
	}
	s.held[what] = true
}

func (s *state) has(what string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.held[what]
}

// remove forgets what, or fails if it was not held.
func (s *state) remove(what string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.held[what] {
		return fmt.Errorf("no such %s", what)
	}
	delete(s.held, what)
	return nil
}

func (s *state) left() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for k := range s.held {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// volumes is a volume driver on the SDK.
type volumes struct{ state }

var _ sdkvolume.Driver = (*volumes)(nil)

func (d *volumes) Create(r *sdkvolume.CreateRequest) error {
	if d.has("volume " + r.Name) {
		return fmt.Errorf("volume %s exists", r.Name)
	}
	d.add("volume " + r.Name)
	return nil
}

func (d *volumes) List() (*sdkvolume.ListResponse, error) {
	res := &sdkvolume.ListResponse{}
	for _, v := range d.left() {
		if name, ok := strings.CutPrefix(v, "volume "); ok {
			res.Volumes = append(res.Volumes, &sdkvolume.Volume{Name: name, Mountpoint: "/mnt/" + name})
		}
	}
	return res, nil
}

func (d *volumes) Get(r *sdkvolume.GetRequest) (*sdkvolume.GetResponse, error) {
	if !d.has("volume " + r.Name) {
		return nil, fmt.Errorf("no such volume: %s", r.Name)
	}
	return &sdkvolume.GetResponse{Volume: &sdkvolume.Volume{Name: r.Name, Mountpoint: "/mnt/" + r.Name, CreatedAt: "2024-07-01T07:14:50Z"}}, nil
}

func (d *volumes) Remove(r *sdkvolume.RemoveRequest) error {
	for _, v := range d.left() {
		if strings.HasPrefix(v, "mount "+r.Name+" ") {
			return fmt.Errorf("volume %s is in use", r.Name)
		}
	}
	return d.remove("volume " + r.Name)
}

func (d *volumes) Path(r *sdkvolume.PathRequest) (*sdkvolume.PathResponse, error) {
	return &sdkvolume.PathResponse{Mountpoint: "/mnt/" + r.Name}, nil
}

func (d *volumes) Mount(r *sdkvolume.MountRequest) (*sdkvolume.MountResponse, error) {
	if !d.has("volume " + r.Name) {
		return nil, fmt.Errorf("no such volume: %s", r.Name)
	}
	d.add("mount " + r.Name + " " + r.ID)
	return &sdkvolume.MountResponse{Mountpoint: "/mnt/" + r.Name}, nil
}

func (d *volumes) Unmount(r *sdkvolume.UnmountRequest) error {
	return d.remove("mount " + r.Name + " " + r.ID)
}

func (d *volumes) Capabilities() *sdkvolume.CapabilitiesResponse {
	return &sdkvolume.CapabilitiesResponse{Capabilities: sdkvolume.Capability{Scope: "local"}}
}

// networks is a network driver on the SDK.
type networks struct{ state }

var _ sdknetwork.Driver = (*networks)(nil)

func (d *networks) GetCapabilities() (*sdknetwork.CapabilitiesResponse, error) {
	return &sdknetwork.CapabilitiesResponse{Scope: sdknetwork.LocalScope}, nil
}

func (d *networks) CreateNetwork(r *sdknetwork.CreateNetworkRequest) error {
	d.add("network " + r.NetworkID)
	return nil
}

func (d *networks) AllocateNetwork(*sdknetwork.AllocateNetworkRequest) (*sdknetwork.AllocateNetworkResponse, error) {
	return nil, errors.New("not in swarm mode")
}

func (d *networks) DeleteNetwork(r *sdknetwork.DeleteNetworkRequest) error {
	return d.remove("network " + r.NetworkID)
}

func (d *networks) FreeNetwork(*sdknetwork.FreeNetworkRequest) error {
	return errors.New("not in swarm mode")
}

func (d *networks) CreateEndpoint(r *sdknetwork.CreateEndpointRequest) (*sdknetwork.CreateEndpointResponse, error) {
	if !d.has("network " + r.NetworkID) {
		return nil, errors.New("no such network")
	}
	d.add("endpoint " + r.EndpointID)
	return &sdknetwork.CreateEndpointResponse{Interface: &sdknetwork.EndpointInterface{MacAddress: "02:42:c0:00:02:02"}}, nil
}

func (d *networks) DeleteEndpoint(r *sdknetwork.DeleteEndpointRequest) error {
	return d.remove("endpoint " + r.EndpointID)
}

func (d *networks) EndpointInfo(*sdknetwork.InfoRequest) (*sdknetwork.InfoResponse, error) {
	return &sdknetwork.InfoResponse{}, nil
}

func (d *networks) Join(*sdknetwork.JoinRequest) (*sdknetwork.JoinResponse, error) {
	return &sdknetwork.JoinResponse{}, nil
}

func (d *networks) Leave(*sdknetwork.LeaveRequest) error                   { return nil }
func (d *networks) DiscoverNew(*sdknetwork.DiscoveryNotification) error    { return nil }
func (d *networks) DiscoverDelete(*sdknetwork.DiscoveryNotification) error { return nil }
func (d *networks) ProgramExternalConnectivity(*sdknetwork.ProgramExternalConnectivityRequest) error {
	return nil
}
func (d *networks) RevokeExternalConnectivity(*sdknetwork.RevokeExternalConnectivityRequest) error {
	return nil
}

// pools is an IPAM driver on the SDK.
type pools struct{ state }

var _ sdkipam.Ipam = (*pools)(nil)

func (d *pools) GetCapabilities() (*sdkipam.CapabilitiesResponse, error) {
	return &sdkipam.CapabilitiesResponse{}, nil
}

func (d *pools) GetDefaultAddressSpaces() (*sdkipam.AddressSpacesResponse, error) {
	return &sdkipam.AddressSpacesResponse{LocalDefaultAddressSpace: "local", GlobalDefaultAddressSpace: "global"}, nil
}

func (d *pools) RequestPool(r *sdkipam.RequestPoolRequest) (*sdkipam.RequestPoolResponse, error) {
	d.add("pool " + r.AddressSpace + "/1")
	return &sdkipam.RequestPoolResponse{PoolID: r.AddressSpace + "/1", Pool: "10.20.0.0/16"}, nil
}

func (d *pools) ReleasePool(r *sdkipam.ReleasePoolRequest) error {
	return d.remove("pool " + r.PoolID)
}

func (d *pools) RequestAddress(r *sdkipam.RequestAddressRequest) (*sdkipam.RequestAddressResponse, error) {
	if !d.has("pool " + r.PoolID) {
		return nil, fmt.Errorf("no such pool: %s", r.PoolID)
	}
	d.add("address " + r.PoolID + " 10.20.0.5")
	return &sdkipam.RequestAddressResponse{Address: "10.20.0.5/16"}, nil
}

func (d *pools) ReleaseAddress(r *sdkipam.ReleaseAddressRequest) error {
	return d.remove("address " + r.PoolID + " " + r.Address)
}

// allowAll is an authorization plugin on the SDK.
type allowAll struct{}

func (allowAll) AuthZReq(sdkauthz.Request) sdkauthz.Response { return sdkauthz.Response{Allow: true} }
func (allowAll) AuthZRes(sdkauthz.Request) sdkauthz.Response { return sdkauthz.Response{Allow: true} }

// noSecrets is a secret provider on the SDK that has none.
type noSecrets struct{}

func (noSecrets) Get(r sdksecrets.Request) sdksecrets.Response {
	return sdksecrets.Response{Err: "secret " + r.SecretName + " not found"}
}

// logs is a log driver on the SDK's bare handler, as log plugins are
// written: the SDK has no package for them.
func logs() sdk.Handler {
	h := sdk.NewHandler(`{"Implements": ["LogDriver"]}`)
	h.HandleFunc("/LogDriver.Capabilities", func(w http.ResponseWriter, _ *http.Request) {
		sdk.EncodeResponse(w, logdriver.CapabilitiesResponse{Cap: logdriver.Capability{ReadLogs: true}}, false)
	})
	h.HandleFunc("/LogDriver.ReadLogs", func(w http.ResponseWriter, r *http.Request) {
		var req logdriver.ReadLogsRequest
		if sdk.DecodeRequest(w, r, &req) != nil {
			return
		}
		pr, pw := io.Pipe()
		go func() {
			err := logdriver.NewEntryWriter(pw).WriteEntry(logdriver.Entry{Source: "stdout", TimeNano: 1, Line: []byte("hi")})
			pw.CloseWithError(err)
		}()
		sdk.StreamResponse(w, pr)
	})
	return h
}

// graph is a graph driver as the SDK's graphdriver handler (removed in
// 2024) served one: on the SDK's bare handler, Capabilities and Status
// without reading the body.
func graph() sdk.Handler {
	h := sdk.NewHandler(`{"Implements": ["GraphDriver"]}`)
	h.HandleFunc("/GraphDriver.Capabilities", func(w http.ResponseWriter, _ *http.Request) {
		sdk.EncodeResponse(w, map[string]any{"Capabilities": map[string]bool{"ReproducesExactDiffs": false}}, false)
	})
	h.HandleFunc("/GraphDriver.Status", func(w http.ResponseWriter, _ *http.Request) {
		sdk.EncodeResponse(w, map[string]any{"Status": [][2]string{{"Layers", "0"}}}, false)
	})
	return h
}

// server is an SDK server, the state of its driver if it has one, and
// the findings it gets whatever it does.
type server struct {
	name   string
	iface  string
	h      plugintest.Server
	st     *state
	always []string
}

func servers() []server {
	v, n, p := new(volumes), new(networks), new(pools)
	return []server{
		{name: "volume", iface: "VolumeDriver", h: sdkvolume.NewHandler(v), st: &v.state},
		{name: "network", iface: "NetworkDriver", h: sdknetwork.NewHandler(n), st: &n.state},
		{name: "ipam", iface: "IpamDriver", h: sdkipam.NewHandler(p), st: &p.state},
		{name: "authorization", iface: "authz", h: sdkauthz.NewHandler(allowAll{})},
		{name: "secrets", iface: "secretprovider", h: sdksecrets.NewHandler(noSecrets{})},
		{name: "log driver", iface: "LogDriver", h: logs()},
		{name: "graph driver", iface: "GraphDriver", h: graph(), always: []string{"GraphDriver/removed WARN"}},
		{name: "metrics collector", iface: "MetricsCollector", h: sdk.NewHandler(`{"Implements": ["MetricsCollector"]}`),
			always: []string{"MetricsCollector/legacy FAIL"}},
	}
}

// publications are how the plugin is found: its socket, or a .json file
// naming its TLS address and the CA that signed its certificate.
var publications = []plugintest.Publication{
	{Name: "unix socket", Publish: plugintest.PublishUnix},
	{Name: "https .json", Publish: plugintest.PublishHTTPSJSON},
}

func flagged(rep conformance.Report) []string {
	var out []string
	for _, f := range rep.Flagged() {
		out = append(out, f.Interface+"/"+f.Check+" "+f.Status.String())
	}
	return out
}

// Every SDK server passes every check it can, on a socket and over TLS,
// with and without the life cycles, which leave nothing behind. The only
// findings are those of the interfaces themselves: graph drivers are gone
// from the engine, and it never starts a legacy metrics collector.
func TestSDKServersPass(t *testing.T) {
	t.Parallel()
	for _, pub := range publications {
		for _, s := range servers() {
			t.Run(pub.Name+"/"+s.name, func(t *testing.T) {
				t.Parallel()
				d := plugintest.NewDirs(t)
				plugintest.Serve(t, s.h, pub.Publish(t, d, "sdk"))
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				p, err := d.Store().GetContext(ctx, "sdk", s.iface)
				require.NoError(t, err)

				for _, write := range []bool{false, true} {
					var opts []conformance.Option
					if write {
						opts = append(opts, conformance.WithWrite())
					}
					rep, err := conformance.Run(ctx, p, opts...)
					require.NoError(t, err)
					assert.Equal(t, s.always, flagged(rep), "%v", rep.Findings)
					if s.st != nil {
						assert.Empty(t, s.st.left(), "the life cycle left it")
					}
					if write {
						assert.Zero(t, rep.NeedWrite)
						lb, ok := rep.Find(s.iface, "left-behind")
						assert.Equal(t, s.st != nil, ok, "a left-behind check for the interfaces with a life cycle")
						if ok {
							assert.Equal(t, conformance.Pass, lb.Status, lb.Detail)
						}
					}
				}
			})
		}
	}
}

// RunAddr checks an SDK server on a listener of the test's own, as a
// plugin author's test does: no plugin directory.
func TestSDKServerOnAListener(t *testing.T) {
	t.Parallel()
	v := new(volumes)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	plugintest.Serve(t, sdkvolume.NewHandler(v), l)

	rep, err := conformance.RunAddr(context.Background(), "tcp://"+l.Addr().String(), conformance.WithWrite())
	require.NoError(t, err)
	require.NoError(t, rep.Err())
	assert.Empty(t, rep.Flagged())
	assert.Empty(t, v.left())
}
