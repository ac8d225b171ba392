// Package sdkfake holds plugins written with the plugin SDK
// (go-plugins-helpers) that more than one package of interoperability
// tests serves: an in-memory volume driver, and a recorder of what the SDK
// decoded for a driver.
package sdkfake

import (
	"errors"
	"fmt"
	"net/http"
	"path"
	"sort"
	"sync"
	"testing"

	sdkvolume "github.com/docker/go-plugins-helpers/volume"
	"github.com/go-dockerplugins/plugins/internal/typedtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Recorder keeps the last request of each method, as the SDK decoded it
// for a driver, and fails the methods told to. Embed it in the driver; its
// zero value is ready to use.
type Recorder struct {
	mu   sync.Mutex
	got  map[string]any
	fail map[string]string
}

// Record keeps req as method's last request, and returns the error method
// is to fail with, if any.
func (r *Recorder) Record(method string, req any) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.got == nil {
		r.got = make(map[string]any)
	}
	r.got[method] = req
	if msg, ok := r.fail[method]; ok {
		return errors.New(msg)
	}
	return nil
}

// Last returns method's last request.
func (r *Recorder) Last(method string) any {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.got[method]
}

// FailWith makes method fail with msg, or succeed again if msg is empty.
func (r *Recorder) FailWith(method, msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if msg == "" {
		delete(r.fail, method)
		return
	}
	if r.fail == nil {
		r.fail = make(map[string]string)
	}
	r.fail[method] = msg
}

// MemVolumes is an in-memory volume driver built with the SDK: volumes are
// names with options and the IDs of the containers that mount them. It
// records the Create requests the SDK decoded for it.
type MemVolumes struct {
	mu        sync.Mutex
	root      string
	createdAt string
	caps      *sdkvolume.CapabilitiesResponse
	vols      map[string]*memVolume
	creates   []sdkvolume.CreateRequest
}

type memVolume struct {
	opts   map[string]string
	mounts map[string]bool
}

var _ sdkvolume.Driver = (*MemVolumes)(nil)

// NewMemVolumes returns a driver without volumes, whose volumes are mounted
// under root, created at 2024-07-01T07:14:50Z, and which declares scope.
func NewMemVolumes(root, scope string) *MemVolumes {
	return &MemVolumes{
		root: root, createdAt: "2024-07-01T07:14:50Z", vols: make(map[string]*memVolume),
		caps: &sdkvolume.CapabilitiesResponse{Capabilities: sdkvolume.Capability{Scope: scope}},
	}
}

// SetCreatedAt sets the CreatedAt that Get answers from now on.
func (d *MemVolumes) SetCreatedAt(createdAt string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.createdAt = createdAt
}

// SetCapabilities sets the answer of Capabilities, nil included.
func (d *MemVolumes) SetCapabilities(caps *sdkvolume.CapabilitiesResponse) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.caps = caps
}

// Creates returns the Create requests received, as the SDK decoded them.
func (d *MemVolumes) Creates() []sdkvolume.CreateRequest {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]sdkvolume.CreateRequest(nil), d.creates...)
}

// Create creates a volume, unless one of the name exists.
func (d *MemVolumes) Create(r *sdkvolume.CreateRequest) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.creates = append(d.creates, *r)
	if _, ok := d.vols[r.Name]; ok {
		return fmt.Errorf("volume %s already exists", r.Name)
	}
	d.vols[r.Name] = &memVolume{opts: r.Options, mounts: make(map[string]bool)}
	return nil
}

// List lists the volumes, by name.
func (d *MemVolumes) List() (*sdkvolume.ListResponse, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	res := &sdkvolume.ListResponse{Volumes: []*sdkvolume.Volume{}}
	for name := range d.vols {
		res.Volumes = append(res.Volumes, &sdkvolume.Volume{Name: name, Mountpoint: d.mountpoint(name)})
	}
	sort.Slice(res.Volumes, func(i, j int) bool { return res.Volumes[i].Name < res.Volumes[j].Name })
	return res, nil
}

// Get returns a volume, with its mounts and options as its status.
func (d *MemVolumes) Get(r *sdkvolume.GetRequest) (*sdkvolume.GetResponse, error) {
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

// Remove removes a volume that no container mounts.
func (d *MemVolumes) Remove(r *sdkvolume.RemoveRequest) error {
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

// Path returns where a volume is mounted.
func (d *MemVolumes) Path(r *sdkvolume.PathRequest) (*sdkvolume.PathResponse, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, err := d.volume(r.Name); err != nil {
		return nil, err
	}
	return &sdkvolume.PathResponse{Mountpoint: d.mountpoint(r.Name)}, nil
}

// Mount mounts a volume for the container of the request's ID.
func (d *MemVolumes) Mount(r *sdkvolume.MountRequest) (*sdkvolume.MountResponse, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	v, err := d.volume(r.Name)
	if err != nil {
		return nil, err
	}
	v.mounts[r.ID] = true
	return &sdkvolume.MountResponse{Mountpoint: d.mountpoint(r.Name)}, nil
}

// Unmount unmounts a volume for the container of the request's ID.
func (d *MemVolumes) Unmount(r *sdkvolume.UnmountRequest) error {
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

// Capabilities returns the capabilities set.
func (d *MemVolumes) Capabilities() *sdkvolume.CapabilitiesResponse {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.caps
}

func (d *MemVolumes) volume(name string) (*memVolume, error) {
	v, ok := d.vols[name]
	if !ok {
		return nil, fmt.Errorf("no such volume: %s", name)
	}
	return v, nil
}

func (d *MemVolumes) mountpoint(name string) string { return path.Join(d.root, name, "_data") }

// Call is a method called through a typed client against a driver that
// records its requests with a Recorder.
type Call struct {
	// Method is the method, without the interface's prefix.
	Method string
	// Call makes the call, and returns what it returns besides its error.
	Call func() (any, error)
	// SDKGot is the request as the SDK decodes it; Want is what Call
	// returns (nil for a method that returns only an error).
	SDKGot, Want any
}

// CheckCalls runs each call as a subtest, in order: it returns Want and no
// error, and the SDK decoded SDKGot; then, with the driver failing the
// method, it fails as the SDK answers errors, with a 500 and {"Err": ...}
// (the only way they reach the engine), "<iface>.<Method>: <message>".
func (r *Recorder) CheckCalls(t *testing.T, iface string, calls []Call) {
	t.Helper()
	for _, tc := range calls {
		t.Run(tc.Method, func(t *testing.T) {
			got, err := tc.Call()
			require.NoError(t, err)
			assert.Equal(t, tc.SDKGot, r.Last(tc.Method), "the request, as the SDK read it")
			if tc.Want != nil {
				assert.Equal(t, tc.Want, got)
			}

			r.FailWith(tc.Method, tc.Method+" failed: 100% broken")
			defer r.FailWith(tc.Method, "")
			_, err = tc.Call()
			typedtest.StatusError(t, err, http.StatusInternalServerError, iface+"."+tc.Method+": "+tc.Method+" failed: 100% broken")
			assert.False(t, typedtest.IsAnswerError(err), "not an error in a 200 answer")
		})
	}
}
