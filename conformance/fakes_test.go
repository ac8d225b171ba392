package conformance_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-dockerplugins/plugins/logdriver"
	"github.com/go-dockerplugins/plugins/pluginstest"
)

// fake is a plugin that gets every check right, for the interfaces it is
// served with: each test breaks it in one way. Its state shows what the
// life cycles left behind.
type fake struct {
	*pluginstest.Plugin
	handlers map[string]http.Handler

	mu        sync.Mutex
	volumes   map[string]map[string]bool // name -> mount IDs
	networks  map[string]bool
	endpoints map[string]bool
	pools     map[string]bool
	addresses map[string]bool
}

// left returns what the life cycles left, sorted.
func (f *fake) left() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for kind, m := range map[string]map[string]bool{"network": f.networks, "endpoint": f.endpoints, "pool": f.pools, "address": f.addresses} {
		for k := range m {
			out = append(out, kind+" "+k)
		}
	}
	for k := range f.volumes {
		out = append(out, "volume "+k)
	}
	sort.Strings(out)
	return out
}

// serveFake serves a fake called name implementing ifaces on a socket.
func serveFake(t *testing.T, env *pluginstest.Env, name string, ifaces ...string) *fake {
	t.Helper()
	f := &fake{
		Plugin: env.ServeSocket(name, ifaces...), handlers: map[string]http.Handler{},
		volumes: map[string]map[string]bool{}, networks: map[string]bool{}, endpoints: map[string]bool{},
		pools: map[string]bool{}, addresses: map[string]bool{},
	}
	for _, in := range ifaces {
		switch in {
		case "VolumeDriver":
			f.serveVolumes()
		case "NetworkDriver":
			f.serveNetwork()
		case "IpamDriver":
			f.serveIPAM()
		case "authz":
			f.on("AuthZPlugin.AuthZReq", pluginstest.Reply(map[string]any{"Allow": true})).
				on("AuthZPlugin.AuthZRes", pluginstest.Reply(map[string]any{"Allow": true}))
		case "secretprovider":
			f.on("SecretProvider.GetSecret", pluginstest.ReplyError(http.StatusInternalServerError, "no such secret"))
		case "LogDriver":
			f.on("LogDriver.Capabilities", pluginstest.Reply(map[string]any{"Cap": map[string]bool{"ReadLogs": true}})).
				on("LogDriver.ReadLogs", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
					w.Header().Set("Content-Type", pluginstest.MediaType)
					_ = logdriver.NewEntryWriter(w).WriteEntry(logdriver.Entry{Source: "stdout", TimeNano: 1, Line: []byte("hi")})
				}))
		case "GraphDriver":
			f.on("GraphDriver.Capabilities", pluginstest.Reply(map[string]any{"Capabilities": map[string]bool{"ReproducesExactDiffs": false}})).
				on("GraphDriver.Status", pluginstest.Reply(map[string]any{"Status": [][2]string{{"Layers", "0"}}}))
		}
	}
	return f
}

type volumeReq struct{ Name, ID string }

type volumeJSON struct {
	Name       string
	Mountpoint string
	CreatedAt  string `json:",omitempty"`
}

func (f *fake) serveVolumes() {
	mountpoint := func(name string) string { return "/mnt/" + name }
	f.on("VolumeDriver.Capabilities", pluginstest.Reply(map[string]any{"Capabilities": map[string]string{"Scope": "local"}})).
		on("VolumeDriver.Create", pluginstest.Func(func(r volumeReq) (any, error) {
			f.mu.Lock()
			defer f.mu.Unlock()
			if _, ok := f.volumes[r.Name]; ok {
				return nil, fmt.Errorf("volume %s exists", r.Name)
			}
			f.volumes[r.Name] = map[string]bool{}
			return struct{}{}, nil
		})).
		on("VolumeDriver.Get", pluginstest.Func(func(r volumeReq) (any, error) {
			f.mu.Lock()
			defer f.mu.Unlock()
			if _, ok := f.volumes[r.Name]; !ok {
				return nil, fmt.Errorf("no such volume: %s", r.Name)
			}
			return map[string]any{"Volume": volumeJSON{Name: r.Name, Mountpoint: mountpoint(r.Name), CreatedAt: "2025-01-02T03:04:05Z"}}, nil
		})).
		on("VolumeDriver.List", pluginstest.Func(func(struct{}) (any, error) {
			f.mu.Lock()
			defer f.mu.Unlock()
			vols := []volumeJSON{}
			for name := range f.volumes {
				vols = append(vols, volumeJSON{Name: name, Mountpoint: mountpoint(name)})
			}
			return map[string]any{"Volumes": vols}, nil
		})).
		on("VolumeDriver.Mount", pluginstest.Func(func(r volumeReq) (any, error) {
			f.mu.Lock()
			defer f.mu.Unlock()
			mounts, ok := f.volumes[r.Name]
			if !ok {
				return nil, fmt.Errorf("no such volume: %s", r.Name)
			}
			mounts[r.ID] = true
			return map[string]string{"Mountpoint": mountpoint(r.Name)}, nil
		})).
		on("VolumeDriver.Path", pluginstest.Func(func(r volumeReq) (any, error) {
			return map[string]string{"Mountpoint": mountpoint(r.Name)}, nil
		})).
		on("VolumeDriver.Unmount", pluginstest.Func(func(r volumeReq) (any, error) {
			f.mu.Lock()
			defer f.mu.Unlock()
			if !f.volumes[r.Name][r.ID] {
				return nil, fmt.Errorf("volume %s is not mounted by %s", r.Name, r.ID)
			}
			delete(f.volumes[r.Name], r.ID)
			return struct{}{}, nil
		})).
		on("VolumeDriver.Remove", pluginstest.Func(func(r volumeReq) (any, error) {
			f.mu.Lock()
			defer f.mu.Unlock()
			mounts, ok := f.volumes[r.Name]
			switch {
			case !ok:
				return nil, fmt.Errorf("no such volume: %s", r.Name)
			case len(mounts) > 0:
				return nil, fmt.Errorf("volume %s is in use", r.Name)
			}
			delete(f.volumes, r.Name)
			return struct{}{}, nil
		}))
}

type networkReq struct{ NetworkID, EndpointID string }

func (f *fake) serveNetwork() {
	f.on("NetworkDriver.GetCapabilities", pluginstest.Reply(map[string]string{"Scope": "local", "ConnectivityScope": "local"})).
		on("NetworkDriver.CreateNetwork", pluginstest.Func(func(r networkReq) (any, error) {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.networks[r.NetworkID] = true
			return struct{}{}, nil
		})).
		on("NetworkDriver.DeleteNetwork", pluginstest.Func(func(r networkReq) (any, error) {
			f.mu.Lock()
			defer f.mu.Unlock()
			if !f.networks[r.NetworkID] {
				return nil, errors.New("no such network")
			}
			delete(f.networks, r.NetworkID)
			return struct{}{}, nil
		})).
		on("NetworkDriver.CreateEndpoint", pluginstest.Func(func(r networkReq) (any, error) {
			f.mu.Lock()
			defer f.mu.Unlock()
			if !f.networks[r.NetworkID] {
				return nil, errors.New("no such network")
			}
			f.endpoints[r.EndpointID] = true
			return map[string]any{"Interface": map[string]string{"MacAddress": "02:42:c0:00:02:02"}}, nil
		})).
		on("NetworkDriver.DeleteEndpoint", pluginstest.Func(func(r networkReq) (any, error) {
			f.mu.Lock()
			defer f.mu.Unlock()
			if !f.endpoints[r.EndpointID] {
				return nil, errors.New("no such endpoint")
			}
			delete(f.endpoints, r.EndpointID)
			return struct{}{}, nil
		}))
}

type ipamReq struct{ PoolID, Address string }

func (f *fake) serveIPAM() {
	next := 0
	f.on("IpamDriver.GetCapabilities", pluginstest.Reply(map[string]bool{"RequiresMACAddress": false})).
		on("IpamDriver.GetDefaultAddressSpaces", pluginstest.Reply(map[string]string{"LocalDefaultAddressSpace": "local", "GlobalDefaultAddressSpace": "global"})).
		on("IpamDriver.RequestPool", pluginstest.Func(func(struct{ AddressSpace string }) (any, error) {
			f.mu.Lock()
			defer f.mu.Unlock()
			next++
			id := "pool" + strconv.Itoa(next)
			f.pools[id] = true
			return map[string]any{"PoolID": id, "Pool": "10.99.0.0/24", "Data": map[string]string{"com.docker.network.gateway": "10.99.0.1/24"}}, nil
		})).
		on("IpamDriver.ReleasePool", pluginstest.Func(func(r ipamReq) (any, error) {
			f.mu.Lock()
			defer f.mu.Unlock()
			if !f.pools[r.PoolID] {
				return nil, errors.New("no such pool")
			}
			delete(f.pools, r.PoolID)
			for a := range f.addresses {
				if strings.HasPrefix(a, r.PoolID+" ") {
					delete(f.addresses, a)
				}
			}
			return struct{}{}, nil
		})).
		on("IpamDriver.RequestAddress", pluginstest.Func(func(r ipamReq) (any, error) {
			f.mu.Lock()
			defer f.mu.Unlock()
			if !f.pools[r.PoolID] {
				return nil, errors.New("no such pool")
			}
			f.addresses[r.PoolID+" 10.99.0.2"] = true
			return map[string]string{"Address": "10.99.0.2/24"}, nil
		})).
		on("IpamDriver.ReleaseAddress", pluginstest.Func(func(r ipamReq) (any, error) {
			f.mu.Lock()
			defer f.mu.Unlock()
			if !f.addresses[r.PoolID+" "+r.Address] {
				return nil, errors.New("no such address")
			}
			delete(f.addresses, r.PoolID+" "+r.Address)
			return struct{}{}, nil
		}))
}

// on sets the handler of method.
func (f *fake) on(method string, h http.Handler) *fake {
	f.handlers[method] = h
	f.Handle(method, h)
	return f
}

// wrap replaces the handler of method with what wrap makes of it.
func (f *fake) wrap(method string, wrap func(http.Handler) http.Handler) {
	f.on(method, wrap(f.handlers[method]))
}

// volumeGetWith answers Get as the fake does, with createdAt (JSON) as
// every volume's CreatedAt.
func (f *fake) volumeGetWith(createdAt string) http.Handler {
	return pluginstest.Func(func(r volumeReq) (any, error) {
		f.mu.Lock()
		defer f.mu.Unlock()
		if _, ok := f.volumes[r.Name]; !ok {
			return nil, fmt.Errorf("no such volume: %s", r.Name)
		}
		return map[string]any{"Volume": map[string]any{"Name": r.Name, "CreatedAt": json.RawMessage(createdAt)}}, nil
	})
}

// answerAfter lets h act on the request, then answers 200 with body
// instead of what h answered.
func answerAfter(h http.Handler, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(httptest.NewRecorder(), r)
		answerJSON(pluginstest.MediaType, body)(w, r)
	}
}

// errIn200 answers h's errors with status 200, {"Err": ...}: the wrong
// key for IPAM.
func errIn200(h http.Handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if rec.Code != http.StatusOK {
			answerJSON(pluginstest.MediaType, rec.Body.String())(w, r)
			return
		}
		w.Header().Set("Content-Type", rec.Header().Get("Content-Type"))
		_, _ = w.Write(rec.Body.Bytes())
	}
}

// bareAddress answers RequestAddress with the address without its
// prefix length.
func bareAddress(h http.Handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		body := rec.Body.String()
		if rec.Code == http.StatusOK {
			body = strings.Replace(body, "/24", "", 1)
		}
		w.Header().Set("Content-Type", pluginstest.MediaType)
		w.WriteHeader(rec.Code)
		_, _ = io.WriteString(w, body)
	}
}

// hijacked answers by hand, with raw written on the connection as it is,
// which then closes: for what net/http would not write.
func hijacked(raw string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		conn, _, err := w.(http.Hijacker).Hijack()
		if err != nil {
			panic(err)
		}
		defer conn.Close()
		_, _ = io.WriteString(conn, raw)
	}
}

// answerJSON answers 200 with body, with Content-Type ct unless empty.
func answerJSON(ct, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		if ct != "" {
			w.Header().Set("Content-Type", ct)
		}
		_, _ = io.WriteString(w, body)
	}
}

// refuse answers 400 to the requests whose body is empty (or, when empty
// is false, not empty), and the others with h.
func refuse(empty bool, h http.Handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if (r.ContentLength == 0) == empty {
			http.Error(w, "unexpected end of JSON input", http.StatusBadRequest)
			return
		}
		h.ServeHTTP(w, r)
	}
}

// slow delays h by d.
func slow(d time.Duration, h http.Handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(d):
			h.ServeHTTP(w, r)
		case <-r.Context().Done():
		}
	}
}
