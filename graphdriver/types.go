package graphdriver

// Request is the request of every method but Init and ApplyDiff, as the
// engine's proxy sent it: one struct for all, every key left out when
// empty, so that each method sends only what it sets ({} for Capabilities,
// Status and Cleanup). The client's methods fill it as the engine did;
// plugins decode it.
//
// The plugin SDK's per-method request types have no omitempty; they
// decode the engine's requests all the same.
type Request struct {
	// ID is the layer's ID.
	ID string `json:",omitempty"`
	// Parent is the ID of the layer's parent; empty for a base layer.
	Parent string `json:",omitempty"`
	// MountLabel is the SELinux label to mount the layer with.
	MountLabel string `json:",omitempty"`
	// StorageOpt are the layer's storage options (--storage-opt).
	StorageOpt map[string]string `json:",omitempty"`
}

// Response is the answer of every method but Diff, as the engine's proxy
// read it: one struct for all, every key omitempty; each method reads the
// fields it needs. The engine reads Err for all but Capabilities, Exists
// and Status.
//
// The plugin SDK answers with a struct per method, without omitempty, and
// reports failures with a 500 status and {"Err": ...} rather than an Err in
// a 200 answer.
type Response struct {
	// Err, when not empty, is the plugin's error.
	Err string `json:",omitempty"`
	// Dir is where Get mounted the layer.
	Dir string `json:",omitempty"`
	// Exists is Exists' answer.
	Exists bool `json:",omitempty"`
	// Status is what `docker info` shows of the driver, as key and value
	// pairs.
	Status [][2]string `json:",omitempty"`
	// Changes are the changes Changes found.
	Changes []Change `json:",omitempty"`
	// Size is the size in bytes that ApplyDiff applied or DiffSize
	// measured.
	Size int64 `json:",omitempty"`
	// Metadata is what `docker inspect` shows of a layer under
	// GraphDriver.Data.
	Metadata map[string]string `json:",omitempty"`
	// Capabilities are what the driver declares. Being a struct, it is
	// always encoded, omitempty or not, as in the engine's struct.
	Capabilities Capabilities `json:",omitempty"`
}

// InitRequest is the request of GraphDriver.Init. No key is left out: nil
// slices are sent as null.
//
// The engine's struct embeds its identity mapping, whose UIDMaps and
// GIDMaps keys appear at the top level, as here. The plugin SDK's
// InitRequest calls Opts "Options" (with the JSON name Opts).
type InitRequest struct {
	// Home is the driver's directory: the engine's data root followed by
	// the driver's name (/var/lib/docker/<name>).
	Home string
	// Opts are the daemon's storage options (--storage-opt), "key=value"
	// each.
	Opts []string `json:"Opts"`
	// UIDMaps map user IDs into the daemon's user namespace, when remapped.
	UIDMaps []IDMap `json:"UIDMaps"`
	// GIDMaps map group IDs into the daemon's user namespace, when remapped.
	GIDMaps []IDMap `json:"GIDMaps"`
}

// IDMap maps a range of IDs into a user namespace.
type IDMap struct {
	// ContainerID is the first ID inside the namespace.
	ContainerID int `json:"container_id"`
	// HostID is the first ID on the host it maps to.
	HostID int `json:"host_id"`
	// Size is how many IDs are mapped.
	Size int `json:"size"`
}

// Capabilities is what a driver declares of itself.
type Capabilities struct {
	// ReproducesExactDiffs says the driver's diffs of read-only layers are
	// the same tar stream each time, so that the engine need not keep the
	// tar metadata of a layer to rebuild its exact diff.
	ReproducesExactDiffs bool
}

// Change is a change in a layer from its parent, as `docker diff` shows it.
type Change struct {
	// Path is the changed path, from the layer's root, with a leading slash.
	Path string
	// Kind is what changed.
	Kind ChangeKind
}

// ChangeKind is what a Change did to its path; on the wire, a number. The
// constants have the engine's names (the plugin SDK called them Modified,
// Added and Deleted).
type ChangeKind int

// The kinds of change, with the engine's values.
const (
	// ChangeModify is a modified path.
	ChangeModify ChangeKind = 0
	// ChangeAdd is an added path.
	ChangeAdd ChangeKind = 1
	// ChangeDelete is a deleted path.
	ChangeDelete ChangeKind = 2
)

// String returns the letter `docker diff` shows for k: C, A or D, and ""
// for any other value, as the engine's.
func (k ChangeKind) String() string {
	switch k {
	case ChangeModify:
		return "C"
	case ChangeAdd:
		return "A"
	case ChangeDelete:
		return "D"
	}
	return ""
}
