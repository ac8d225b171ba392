package volume_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/pkg/plugingetter"
	engine "github.com/docker/docker/pkg/plugins"
	enginevolume "github.com/docker/docker/volume"
	"github.com/docker/docker/volume/drivers"
	"github.com/docker/go-connections/tlsconfig"
	"github.com/go-dockerplugins/plugins/pluginstest"
	"github.com/go-dockerplugins/plugins/volume"
	"github.com/sirupsen/logrus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMain(m *testing.M) {
	logrus.SetOutput(io.Discard) // the engine's warnings, for an invalid scope say
	os.Exit(m.Run())
}

// v1Plugin is a legacy plugin as the engine's plugin store hands it to its
// volume store: its paths are used as given.
type v1Plugin struct{ client *engine.Client }

func (v1Plugin) Name() string               { return "vol" }
func (v1Plugin) ScopedPath(s string) string { return s }
func (v1Plugin) IsV1() bool                 { return true }
func (p v1Plugin) Client() *engine.Client   { return p.client }

// getter is the engine's plugin getter, reduced to one plugin.
type getter struct{ p v1Plugin }

func (g getter) Get(string, string, int) (plugingetter.CompatPlugin, error) { return g.p, nil }
func (g getter) GetAllByCap(string) ([]plugingetter.CompatPlugin, error) {
	return []plugingetter.CompatPlugin{g.p}, nil
}
func (getter) GetAllManagedPluginsByCap(string) []plugingetter.CompatPlugin { return nil }
func (getter) Handle(string, func(string, *engine.Client))                  {}

// named is a volume known by its name only: all the engine's Remove reads.
type named struct {
	enginevolume.Volume
	name string
}

func (v named) Name() string { return v.name }

// pair is one plugin, called by the engine's volume driver (its generated
// proxy behind its adapter, made by its volume store) and by the typed
// client.
type pair struct {
	fp     *pluginstest.Plugin
	engine enginevolume.Driver
	ours   *volume.Client
}

func newPair(t *testing.T) pair {
	t.Helper()
	env := pluginstest.New(t)
	fp := env.ServeSocket("vol", volume.Interface)
	p, err := env.Store().Get("vol", volume.Interface)
	require.NoError(t, err)
	ours, err := volume.FromPlugin(p)
	require.NoError(t, err)
	ec, err := engine.NewClient(fp.Addr(), &tlsconfig.Options{InsecureSkipVerify: true})
	require.NoError(t, err)
	d, err := drivers.NewStore(getter{v1Plugin{ec}}).GetDriver("vol")
	require.NoError(t, err)
	return pair{fp: fp, engine: d, ours: ours}
}

// outcome is what a daemon gets of a call: the part of the answer the
// engine keeps, and the error's text.
type outcome struct {
	Value any
	Err   string
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// answer is how the plugin answers a method, in both runs.
type answer struct {
	name    string
	handler http.Handler
	// decodeFails: the answer does not decode. Both fail, with texts
	// that differ (ours names the plugin and its own types).
	decodeFails bool
}

// errAnswers are the failures every method can meet.
var errAnswers = []answer{
	{name: "Err in a 200 answer", handler: raw(`{"Err":"volume is busy: 100% used","Mountpoint":"/mnt/partial"}`)},
	{name: "500 from the SDK", handler: pluginstest.ReplyError(http.StatusInternalServerError, "no such volume: data")},
	{name: "404 from Go's mux", handler: http.NotFoundHandler()},
	{name: "a 200 answer that is a JSON string", handler: pluginstest.Reply("not an object"), decodeFails: true},
}

// goTypes matches the Go type a decoding error names.
var goTypes = regexp.MustCompile(`(of type|into Go struct field) [\w.]+`)

// raw answers 200 with body as it is.
func raw(body string) http.Handler { return pluginstest.Reply(json.RawMessage(body)) }

// differential is one method of the interface, run by the engine's driver
// and by the typed client with the same input, against each answer.
type differential struct {
	name    string // of the input, when a method has several
	method  string
	answers []answer
	// engine and ours call the method and return the outcome.
	engine func(t *testing.T, p pair) outcome
	ours   func(t *testing.T, p pair) outcome
}

// Every method of the typed client sends the bytes the engine's volume
// proxy sends for the same input, and keeps of the answer what the engine
// keeps, with the same error text.
func TestEngineAgrees(t *testing.T) {
	ctx := context.Background()
	created := "2024-07-01T07:14:50.123456789+02:00"
	var tests []differential
	for name, opts := range map[string]map[string]string{
		"no options": nil, "empty options": {}, "options": {"size": "10G", "o": "uid=1000,gid=1000"},
		"options to escape": {"<&>": "é\u2028\x00"},
	} {
		tests = append(tests, differential{
			name:    name,
			method:  "VolumeDriver.Create",
			answers: append([]answer{{name: "success", handler: raw(`{}`)}}, errAnswers...),
			engine: func(t *testing.T, p pair) outcome {
				_, err := p.engine.Create("data", opts)
				return outcome{Err: errText(err)}
			},
			ours: func(t *testing.T, p pair) outcome {
				return outcome{Err: errText(p.ours.Create(ctx, volume.CreateRequest{Name: "data", Opts: opts}))}
			},
		})
	}
	tests = append(tests,
		differential{
			method:  "VolumeDriver.Remove",
			answers: append([]answer{{name: "success", handler: raw(`{"Err":""}`)}}, errAnswers...),
			engine: func(t *testing.T, p pair) outcome {
				return outcome{Err: errText(p.engine.Remove(named{name: "data"}))}
			},
			ours: func(t *testing.T, p pair) outcome {
				return outcome{Err: errText(p.ours.Remove(ctx, volume.RemoveRequest{Name: "data"}))}
			},
		},
		differential{
			// The engine ignores errors of Path, and keeps the mountpoint
			// the answer has, if any: the typed client returns both.
			method:  "VolumeDriver.Path",
			answers: append([]answer{{name: "success", handler: raw(`{"Mountpoint":"/mnt/data"}`)}}, errAnswers...),
			engine: func(t *testing.T, p pair) outcome {
				return outcome{Value: engineVolume(t, p).Path()}
			},
			ours: func(t *testing.T, p pair) outcome {
				resp, _ := p.ours.Path(ctx, volume.PathRequest{Name: "data"})
				return outcome{Value: resp.Mountpoint}
			},
		},
		differential{
			method:  "VolumeDriver.Mount",
			answers: append([]answer{{name: "success", handler: raw(`{"Mountpoint":"/mnt/data"}`)}}, errAnswers...),
			engine: func(t *testing.T, p pair) outcome {
				mp, err := engineVolume(t, p).Mount("c0ffee")
				return outcome{Value: mp, Err: errText(err)}
			},
			ours: func(t *testing.T, p pair) outcome {
				resp, err := p.ours.Mount(ctx, volume.MountRequest{Name: "data", ID: "c0ffee"})
				return outcome{Value: resp.Mountpoint, Err: errText(err)}
			},
		},
		differential{
			method:  "VolumeDriver.Unmount",
			answers: append([]answer{{name: "success", handler: raw(`{}`)}}, errAnswers...),
			engine: func(t *testing.T, p pair) outcome {
				return outcome{Err: errText(engineVolume(t, p).Unmount("c0ffee"))}
			},
			ours: func(t *testing.T, p pair) outcome {
				return outcome{Err: errText(p.ours.Unmount(ctx, volume.UnmountRequest{Name: "data", ID: "c0ffee"}))}
			},
		},
		differential{
			// Of a listed volume, the engine keeps its name and mountpoint.
			method: "VolumeDriver.List",
			answers: append([]answer{
				{name: "volumes", handler: raw(`{"Volumes":[{"Name":"a","Mountpoint":"/mnt/a","CreatedAt":"` + created + `"},{"Name":"b"}]}`)},
				{name: "null", handler: raw(`{"Volumes":null}`)},
				{name: "CreatedAt empty", handler: raw(`{"Volumes":[{"Name":"a","CreatedAt":""}]}`), decodeFails: true},
			}, errAnswers...),
			engine: func(t *testing.T, p pair) outcome {
				vols, err := p.engine.List()
				if err != nil {
					return outcome{Err: errText(err)}
				}
				var kept []string
				for _, v := range vols {
					kept = append(kept, v.Name()+" at "+v.(interface{ CachedPath() string }).CachedPath())
				}
				return outcome{Value: kept}
			},
			ours: func(t *testing.T, p pair) outcome {
				resp, err := p.ours.List(ctx)
				if err != nil {
					return outcome{Err: errText(err)}
				}
				var kept []string
				for _, v := range resp.Volumes {
					kept = append(kept, v.Name+" at "+v.Mountpoint)
				}
				return outcome{Value: kept}
			},
		},
		differential{
			// Of a volume from Get, the engine keeps all four fields; a
			// null volume is "no such volume" to it.
			method: "VolumeDriver.Get",
			answers: append([]answer{
				{name: "volume", handler: raw(`{"Volume":{"Name":"data","Mountpoint":"/mnt/data","CreatedAt":"` + created +
					`","Status":{"mounts":2,"note":"x","nested":{"a":[1,"b",null]}}}}`)},
				{name: "no fields", handler: raw(`{"Volume":{"Name":"data"}}`)},
				{name: "CreatedAt null", handler: raw(`{"Volume":{"Name":"data","CreatedAt":null}}`)},
				{name: "keys in another case", handler: raw(`{"volume":{"name":"data","MOUNTPOINT":"/m","createdat":"` + created + `"}}`)},
				{name: "null volume", handler: raw(`{"Volume":null}`)},
				{name: "CreatedAt empty", handler: raw(`{"Volume":{"Name":"data","CreatedAt":""}}`), decodeFails: true},
				{name: "CreatedAt not RFC 3339", handler: raw(`{"Volume":{"Name":"data","CreatedAt":"2024-07-01 07:14:50"}}`), decodeFails: true},
			}, errAnswers...),
			engine: func(t *testing.T, p pair) outcome {
				v, err := p.engine.Get("data")
				if err != nil {
					return outcome{Err: errText(err)}
				}
				createdAt, err := v.CreatedAt()
				require.NoError(t, err)
				return outcome{Value: []any{v.Name(), v.(interface{ CachedPath() string }).CachedPath(), createdAt.String(), v.Status()}}
			},
			ours: func(t *testing.T, p pair) outcome {
				resp, err := p.ours.Get(ctx, volume.GetRequest{Name: "data"})
				if err != nil {
					return outcome{Err: errText(err)}
				}
				if resp.Volume == nil {
					return outcome{Err: "no such volume"} // the engine's adapter's error
				}
				v := resp.Volume
				status := v.Status
				if status == nil {
					status = map[string]any{} // the engine's Status() copies into a new map
				}
				return outcome{Value: []any{v.Name, v.Mountpoint, v.CreatedAt.String(), status}}
			},
		},
	)
	for _, tt := range tests {
		for _, a := range tt.answers {
			t.Run(path.Join(tt.method, tt.name, a.name), func(t *testing.T) {
				p := newPair(t)
				p.fp.Handle(tt.method, a.handler)
				engineBody, eng := calling(t, p.fp, tt.method, func() outcome { return tt.engine(t, p) })
				ourBody, ours := calling(t, p.fp, tt.method, func() outcome { return tt.ours(t, p) })
				assert.Equal(t, engineBody, ourBody, "the request, byte for byte")
				if a.decodeFails && eng.Err != "" {
					assert.Contains(t, goTypes.ReplaceAllString(ours.Err, "$1 T"), goTypes.ReplaceAllString(eng.Err, "$1 T"),
						"Go's decoding error, after our prefix, naming our types")
					assert.Equal(t, eng.Value, ours.Value)
					return
				}
				assert.Equal(t, eng, ours)
			})
		}
	}
}

// engineVolume returns the engine's volume "data", as its Create makes it:
// with no mountpoint known yet.
func engineVolume(t *testing.T, p pair) enginevolume.Volume {
	t.Helper()
	p.fp.Handle("VolumeDriver.Create", raw(`{}`))
	v, err := p.engine.Create("data", nil)
	require.NoError(t, err)
	return v
}

// calling runs call and returns the body of the one request it sent for
// method, and its outcome.
func calling(t *testing.T, fp *pluginstest.Plugin, method string, call func() outcome) (string, outcome) {
	t.Helper()
	before := len(fp.Calls(method))
	out := call()
	calls := fp.Calls(method)
	require.Len(t, calls, before+1, "one request for %s", method)
	assert.Equal(t, "/"+method, calls[before].Path)
	return string(calls[before].Body), out
}

// Capabilities: the engine's driver asks when its store first looks it up,
// and makes the scope local on any failure, which the typed client does on
// a 404 only; the scope the engine keeps is NormalizeScope's.
func TestEngineCapabilitiesAgree(t *testing.T) {
	tests := []struct {
		name    string
		handler http.Handler
		// oursFails: the typed client returns the error the engine falls
		// back on.
		oursFails string
	}{
		{name: "global", handler: raw(`{"Capabilities":{"Scope":"global"}}`)},
		{name: "Global, in capitals", handler: raw(`{"Capabilities":{"Scope":"GLOBAL"}}`)},
		{name: "local", handler: raw(`{"Capabilities":{"Scope":"local"}}`)},
		{name: "empty", handler: raw(`{"Capabilities":{"Scope":""}}`)},
		{name: "invalid", handler: raw(`{"Capabilities":{"Scope":"cluster"}}`)},
		{name: "null", handler: raw(`null`)},
		{name: "404 from Go's mux", handler: http.NotFoundHandler()},
		{
			name: "Err in a 200 answer", handler: raw(`{"Capabilities":{"Scope":"global"},"Err":"not now"}`),
			oursFails: "not now",
		},
		{
			name: "500", handler: pluginstest.ReplyError(http.StatusInternalServerError, "broken"),
			oursFails: "VolumeDriver.Capabilities: broken",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := pluginstest.New(t)
			fp := env.ServeSocket("vol", volume.Interface).Handle("VolumeDriver.Capabilities", tt.handler)
			ec, err := engine.NewClient(fp.Addr(), &tlsconfig.Options{InsecureSkipVerify: true})
			require.NoError(t, err)
			d, err := drivers.NewStore(getter{v1Plugin{ec}}).GetDriver("vol")
			require.NoError(t, err)
			scope := d.Scope()
			calls := fp.Calls("VolumeDriver.Capabilities")
			require.NotEmpty(t, calls)
			engineBody := string(calls[0].Body)

			p, err := env.Store().Get("vol", volume.Interface)
			require.NoError(t, err)
			c, err := volume.FromPlugin(p)
			require.NoError(t, err)
			before := len(fp.Calls("VolumeDriver.Capabilities"))
			resp, err := c.Capabilities(context.Background())
			calls = fp.Calls("VolumeDriver.Capabilities")
			require.Len(t, calls, before+1)
			assert.Equal(t, engineBody, string(calls[before].Body), "the request, byte for byte")
			if tt.oursFails != "" {
				assert.EqualError(t, err, tt.oursFails)
				assert.Equal(t, volume.LocalScope, scope, "the engine falls back on any error")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, scope, volume.NormalizeScope(resp.Capabilities.Scope))
		})
	}
}

// The engine's volume store drives a plugin through a volume's life: the
// typed client, replaying what the engine sent, gets the same answers.
func TestEngineLifecycleAgrees(t *testing.T) {
	p := newPair(t)
	var (
		mu      sync.Mutex // the plugin's state, shared with the handlers
		vols    = map[string]string{}
		mounted = map[string]string{}
	)
	p.fp.Handle("VolumeDriver.Create", pluginstest.Func(func(r volume.CreateRequest) (any, error) {
		mu.Lock()
		defer mu.Unlock()
		if _, ok := vols[r.Name]; ok {
			return volume.ErrorResponse{Err: "volume " + r.Name + " exists"}, nil
		}
		vols[r.Name] = fmt.Sprint(r.Opts)
		return volume.ErrorResponse{}, nil
	})).Handle("VolumeDriver.Mount", pluginstest.Func(func(r volume.MountRequest) (any, error) {
		mu.Lock()
		defer mu.Unlock()
		mounted[r.ID] = r.Name
		return volume.MountResponse{Mountpoint: "/mnt/" + r.Name}, nil
	})).Handle("VolumeDriver.Unmount", pluginstest.Func(func(r volume.UnmountRequest) (any, error) {
		mu.Lock()
		defer mu.Unlock()
		if mounted[r.ID] != r.Name {
			return nil, fmt.Errorf("%s is not mounted by %s", r.Name, r.ID)
		}
		delete(mounted, r.ID)
		return volume.ErrorResponse{}, nil
	}))

	v, err := p.engine.Create("data", map[string]string{"size": "1G"})
	require.NoError(t, err)
	_, err = p.engine.Create("data", nil)
	require.EqualError(t, err, "volume data exists")
	mp, err := v.Mount("c0ffee")
	require.NoError(t, err)
	require.Equal(t, "/mnt/data", mp)
	require.EqualError(t, v.Unmount("other"), "VolumeDriver.Unmount: data is not mounted by other")
	require.NoError(t, v.Unmount("c0ffee"))

	engineReqs := p.fp.Requests()
	ctx := context.Background()
	mu.Lock()
	clear(vols) // the same plugin, from the start
	mu.Unlock()
	ourErrs := []error{
		p.ours.Create(ctx, volume.CreateRequest{Name: "data", Opts: map[string]string{"size": "1G"}}),
		p.ours.Create(ctx, volume.CreateRequest{Name: "data"}),
	}
	m, err := p.ours.Mount(ctx, volume.MountRequest{Name: "data", ID: "c0ffee"})
	require.NoError(t, err)
	assert.Equal(t, "/mnt/data", m.Mountpoint)
	ourErrs = append(ourErrs,
		p.ours.Unmount(ctx, volume.UnmountRequest{Name: "data", ID: "other"}),
		p.ours.Unmount(ctx, volume.UnmountRequest{Name: "data", ID: "c0ffee"}))
	assert.Equal(t, []string{"", "volume data exists", "VolumeDriver.Unmount: data is not mounted by other", ""},
		[]string{errText(ourErrs[0]), errText(ourErrs[1]), errText(ourErrs[2]), errText(ourErrs[3])})

	ourReqs := p.fp.Requests()[len(engineReqs):]
	engineReqs = engineReqs[len(engineReqs)-len(ourReqs):] // after activation and capabilities
	require.Len(t, ourReqs, 5)
	for i := range ourReqs {
		assert.Equal(t, engineReqs[i].Path, ourReqs[i].Path, "request %d", i)
		assert.Equal(t, string(engineReqs[i].Body), string(ourReqs[i].Body), "request %d", i)
	}
}

// The engine's strict CreatedAt and ours keep the same instant, fraction
// and offset included.
func TestEngineCreatedAtAgrees(t *testing.T) {
	for _, created := range []string{
		"2024-07-01T07:14:50Z", "2024-07-01T07:14:50.5+02:00", "2024-07-01T07:14:50.123456789-07:30", "0001-01-01T00:00:00Z",
	} {
		t.Run(created, func(t *testing.T) {
			p := newPair(t)
			p.fp.Handle("VolumeDriver.Get", raw(`{"Volume":{"Name":"data","CreatedAt":"`+created+`"}}`))
			v, err := p.engine.Get("data")
			require.NoError(t, err)
			want, err := v.CreatedAt()
			require.NoError(t, err)
			got, err := p.ours.Get(context.Background(), volume.GetRequest{Name: "data"})
			require.NoError(t, err)
			assert.True(t, want.Equal(got.Volume.CreatedAt))
			assert.Equal(t, want.Format(time.RFC3339Nano), got.Volume.CreatedAt.Format(time.RFC3339Nano))
		})
	}
}
