// Package graphdriver_test checks the typed GraphDriver client against the
// wire of Docker 27.5.1, the last engine with graph-driver plugins.
//
// The engine module here is v28.5.2, which no longer has the graph-driver
// proxy, and v27 cannot be required beside it; the plugin SDK dropped its
// graphdriver package too. So the proxy's structs and calls
// (daemon/graphdriver/proxy.go at v27.5.1) are transcribed in this package:
// the bytes each method sends and the answers it reads are written out
// literally (wire_test.go), the transcribed calls are made with the
// engine's own client, whose pkg/plugins is the same on the wire in v27.5.1
// and v28.5.2, and compared with the typed client's on the same plugin
// (engine_test.go), and a whole driver's life runs against a fake plugin
// that answers as the SDK's graphdriver handler did (sdk_test.go).
package graphdriver_test

import (
	"encoding/json"
	"testing"

	"github.com/go-dockerplugins/plugins/graphdriver"
	"github.com/go-dockerplugins/plugins/interop/internal/enginetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The v27.5.1 proxy's wire structs, transcribed: graphDriverRequest,
// graphDriverResponse and graphDriverInitRequest, with archive.Change,
// graphdriver.Capabilities and idtools.IdentityMapping as they were.
type (
	v27Request struct {
		ID         string            `json:",omitempty"`
		Parent     string            `json:",omitempty"`
		MountLabel string            `json:",omitempty"`
		StorageOpt map[string]string `json:",omitempty"`
	}
	v27Response struct {
		Err          string            `json:",omitempty"`
		Dir          string            `json:",omitempty"`
		Exists       bool              `json:",omitempty"`
		Status       [][2]string       `json:",omitempty"`
		Changes      []v27Change       `json:",omitempty"`
		Size         int64             `json:",omitempty"`
		Metadata     map[string]string `json:",omitempty"`
		Capabilities v27Capabilities   `json:",omitempty"`
	}
	v27Change struct {
		Path string
		Kind int // archive.ChangeType, an int
	}
	v27Capabilities struct{ ReproducesExactDiffs bool }
	v27IDMap        struct {
		ContainerID int `json:"container_id"`
		HostID      int `json:"host_id"`
		Size        int `json:"size"`
	}
	v27IdentityMapping struct {
		UIDMaps []v27IDMap `json:"UIDMaps"`
		GIDMaps []v27IDMap `json:"GIDMaps"`
	}
	v27InitRequest struct {
		Home string
		Opts []string `json:"Opts"`
		v27IdentityMapping
	}
)

// The requests, as the v27.5.1 proxy built each one (which fields it set),
// byte for byte: written out, and marshalled from its structs.
func TestRequestJSON(t *testing.T) {
	idMaps := v27IdentityMapping{
		UIDMaps: []v27IDMap{{ContainerID: 0, HostID: 100000, Size: 65536}},
		GIDMaps: []v27IDMap{{ContainerID: 0, HostID: 200000, Size: 65536}, {ContainerID: 65536, HostID: 1, Size: 1}},
	}
	tests := []struct {
		name   string
		engine any
		typed  any
		want   string
	}{
		{
			"Init", v27InitRequest{Home: "/var/lib/docker/gd", Opts: []string{"gd.size=10G"}, v27IdentityMapping: idMaps},
			graphdriver.InitRequest{
				Home: "/var/lib/docker/gd", Opts: []string{"gd.size=10G"},
				UIDMaps: []graphdriver.IDMap{{ContainerID: 0, HostID: 100000, Size: 65536}},
				GIDMaps: []graphdriver.IDMap{{ContainerID: 0, HostID: 200000, Size: 65536}, {ContainerID: 65536, HostID: 1, Size: 1}},
			},
			`{"Home":"/var/lib/docker/gd","Opts":["gd.size=10G"],"UIDMaps":[{"container_id":0,"host_id":100000,"size":65536}],` +
				`"GIDMaps":[{"container_id":0,"host_id":200000,"size":65536},{"container_id":65536,"host_id":1,"size":1}]}`,
		},
		{
			"Init, no options, no remapping", v27InitRequest{Home: "/var/lib/docker/gd"}, graphdriver.InitRequest{Home: "/var/lib/docker/gd"},
			`{"Home":"/var/lib/docker/gd","Opts":null,"UIDMaps":null,"GIDMaps":null}`,
		},
		{"Capabilities, Status, Cleanup", v27Request{}, graphdriver.Request{}, `{}`},
		{
			"Create and CreateReadWrite", v27Request{ID: "l2", Parent: "l1", MountLabel: "lbl", StorageOpt: map[string]string{"size": "1G"}},
			graphdriver.Request{ID: "l2", Parent: "l1", MountLabel: "lbl", StorageOpt: map[string]string{"size": "1G"}},
			`{"ID":"l2","Parent":"l1","MountLabel":"lbl","StorageOpt":{"size":"1G"}}`,
		},
		{
			"Create, a base layer, empty options", v27Request{ID: "l1", StorageOpt: map[string]string{}},
			graphdriver.Request{ID: "l1", StorageOpt: map[string]string{}}, `{"ID":"l1"}`,
		},
		{"Remove, Put, Exists, GetMetadata", v27Request{ID: "l1"}, graphdriver.Request{ID: "l1"}, `{"ID":"l1"}`},
		{"Get", v27Request{ID: "l1", MountLabel: "lbl"}, graphdriver.Request{ID: "l1", MountLabel: "lbl"}, `{"ID":"l1","MountLabel":"lbl"}`},
		{"Diff, Changes, DiffSize", v27Request{ID: "l2", Parent: "l1"}, graphdriver.Request{ID: "l2", Parent: "l1"}, `{"ID":"l2","Parent":"l1"}`},
		{"Diff, Changes, DiffSize of a base layer", v27Request{ID: "l1"}, graphdriver.Request{ID: "l1"}, `{"ID":"l1"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, enginetest.SameJSON(t, tt.engine, tt.typed))
		})
	}
}

// The answers: decoded into the v27.5.1 proxy's struct and into the typed
// one, the same values; encoded, the same bytes.
func TestAnswerJSON(t *testing.T) {
	full := `{"Err":"e","Dir":"/d","Exists":true,"Status":[["Backing Filesystem","xfs"]],` +
		`"Changes":[{"Path":"/a","Kind":0},{"Path":"/b","Kind":1},{"Path":"/c","Kind":2}],` +
		`"Size":1099511627776,"Metadata":{"UpperDir":"/u"},"Capabilities":{"ReproducesExactDiffs":true}}`
	for _, doc := range []string{
		full, `{}`, `null`,
		// as the SDK answered: a struct per method, nothing left out
		`{"Err":""}`, `{"Dir":"","Err":""}`, `{"Exists":false}`, `{"Status":null}`, `{"Metadata":null,"Err":""}`,
		`{"Changes":null,"Err":""}`, `{"Size":0,"Err":""}`, `{"Capabilities":{"ReproducesExactDiffs":false}}`,
		// keys in any case, unknown keys, short and long pairs
		`{"err":"x","dir":"/d","exists":1}`, `{"ERR":"x","Extra":{"a":1},"size":7}`, `{"Status":[["a"],["b","c","d"],[]]}`,
		// values that do not fit
		`{"Size":1.5}`, `{"Size":"7"}`, `{"Exists":"true"}`, `{"Changes":[{"Kind":"A"}]}`, `{"Status":{"a":"b"}}`,
		`{"Capabilities":true}`, `{"Metadata":{"a":1}}`,
	} {
		t.Run(doc, func(t *testing.T) { enginetest.SameUnmarshal(t, doc, v27Response{}, graphdriver.Response{}) })
	}

	var got graphdriver.Response
	require.NoError(t, json.Unmarshal([]byte(full), &got))
	assert.Equal(t, graphdriver.Response{
		Err: "e", Dir: "/d", Exists: true, Status: [][2]string{{"Backing Filesystem", "xfs"}},
		Changes: []graphdriver.Change{
			{Path: "/a", Kind: graphdriver.ChangeModify}, {Path: "/b", Kind: graphdriver.ChangeAdd}, {Path: "/c", Kind: graphdriver.ChangeDelete},
		},
		Size: 1 << 40, Metadata: map[string]string{"UpperDir": "/u"}, Capabilities: graphdriver.Capabilities{ReproducesExactDiffs: true},
	}, got)

	// Encoded, every key is left out when empty but Capabilities, a struct.
	assert.Equal(t, `{"Capabilities":{"ReproducesExactDiffs":false}}`, enginetest.SameJSON(t, v27Response{}, graphdriver.Response{}))
	assert.Equal(t, full, enginetest.SameJSON(t,
		v27Response{
			Err: "e", Dir: "/d", Exists: true, Status: [][2]string{{"Backing Filesystem", "xfs"}},
			Changes: []v27Change{{"/a", 0}, {"/b", 1}, {"/c", 2}},
			Size:    1 << 40, Metadata: map[string]string{"UpperDir": "/u"}, Capabilities: v27Capabilities{true},
		}, got))
}

// The requests decode alike too, as a plugin written with the engine's
// structs reads them.
func TestRequestsDecode(t *testing.T) {
	for _, doc := range []string{
		`{"Home":"/h","Opts":["a=b"],"UIDMaps":[{"container_id":1,"host_id":2,"size":3}],"GIDMaps":null}`,
		`{"home":"/h","opts":null,"uidmaps":[{"Container_ID":1}]}`, `{}`, `{"Opts":"a=b"}`, `{"UIDMaps":[{"size":1.5}]}`,
	} {
		enginetest.SameUnmarshal(t, doc, v27InitRequest{}, graphdriver.InitRequest{})
	}
	for _, doc := range []string{
		`{"ID":"l2","Parent":"l1","MountLabel":"m","StorageOpt":{"size":"1G"}}`, `{}`, `{"id":"x","storageopt":null}`, `{"StorageOpt":{"a":1}}`,
	} {
		enginetest.SameUnmarshal(t, doc, v27Request{}, graphdriver.Request{})
	}
}
