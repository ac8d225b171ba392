package volume_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path"
	"sync"
	"testing"
	"time"

	engine "github.com/docker/docker/pkg/plugins"
	enginevolume "github.com/docker/docker/volume"
	"github.com/docker/docker/volume/drivers"
	"github.com/go-dockerplugins/plugins/internal/typedtest"
	"github.com/go-dockerplugins/plugins/interop/internal/enginetest"
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

// fixture serves the plugin and makes typed clients of it.
var fixture = typedtest.Fixture[*volume.Client]{Name: "vol", Interface: volume.Interface, FromPlugin: volume.FromPlugin}

// engineStore returns the engine's volume store, over a plugin store
// reduced to one legacy plugin, called through c: its paths are used as
// given.
func engineStore(c *engine.Client) *drivers.Store {
	return drivers.NewStore(&enginetest.Getter{Plugin: enginetest.NewV1Plugin("vol", "", c)})
}

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
	fp, ours, ec := enginetest.Serve(t, fixture)
	d, err := engineStore(ec).GetDriver("vol")
	require.NoError(t, err)
	return pair{fp: fp, engine: d, ours: ours}
}

// errAnswers are the failures every method can meet.
var errAnswers = []enginetest.Answer{
	{Name: "Err in a 200 answer", Handler: typedtest.Raw(`{"Err":"volume is busy: 100% used","Mountpoint":"/mnt/partial"}`)},
	{Name: "500 from the SDK", Handler: pluginstest.ReplyError(http.StatusInternalServerError, "no such volume: data")},
	{Name: "404 from Go's mux", Handler: http.NotFoundHandler()},
	{Name: "a 200 answer that is a JSON string", Handler: pluginstest.Reply("not an object"), DecodeFails: true},
}

// Every method of the typed client sends the bytes the engine's volume
// proxy sends for the same input, and keeps of the answer what the engine
// keeps, with the same error text.
func TestEngineAgrees(t *testing.T) {
	ctx := context.Background()
	created := "2024-07-01T07:14:50.123456789+02:00"
	var tests []enginetest.Differential[pair]
	for name, opts := range map[string]map[string]string{
		"no options": nil, "empty options": {}, "options": {"size": "10G", "o": "uid=1000,gid=1000"},
		"options to escape": {"<&>": "é\u2028\x00"},
	} {
		tests = append(tests, enginetest.Differential[pair]{
			Input:   name,
			Method:  "VolumeDriver.Create",
			Answers: append([]enginetest.Answer{{Name: "success", Handler: typedtest.Raw(`{}`)}}, errAnswers...),
			Engine: func(t *testing.T, p pair) enginetest.Outcome {
				_, err := p.engine.Create("data", opts)
				return enginetest.Outcome{Err: enginetest.ErrText(err)}
			},
			Ours: func(t *testing.T, p pair) enginetest.Outcome {
				return enginetest.Outcome{Err: enginetest.ErrText(p.ours.Create(ctx, volume.CreateRequest{Name: "data", Opts: opts}))}
			},
		})
	}
	tests = append(tests,
		enginetest.Differential[pair]{
			Method:  "VolumeDriver.Remove",
			Answers: append([]enginetest.Answer{{Name: "success", Handler: typedtest.Raw(`{"Err":""}`)}}, errAnswers...),
			Engine: func(t *testing.T, p pair) enginetest.Outcome {
				return enginetest.Outcome{Err: enginetest.ErrText(p.engine.Remove(named{name: "data"}))}
			},
			Ours: func(t *testing.T, p pair) enginetest.Outcome {
				return enginetest.Outcome{Err: enginetest.ErrText(p.ours.Remove(ctx, volume.RemoveRequest{Name: "data"}))}
			},
		},
		enginetest.Differential[pair]{
			// The engine ignores errors of Path, and keeps the mountpoint
			// the answer has, if any: the typed client returns both.
			Method:  "VolumeDriver.Path",
			Answers: append([]enginetest.Answer{{Name: "success", Handler: typedtest.Raw(`{"Mountpoint":"/mnt/data"}`)}}, errAnswers...),
			Engine: func(t *testing.T, p pair) enginetest.Outcome {
				return enginetest.Outcome{Value: engineVolume(t, p).Path()}
			},
			Ours: func(t *testing.T, p pair) enginetest.Outcome {
				resp, _ := p.ours.Path(ctx, volume.PathRequest{Name: "data"})
				return enginetest.Outcome{Value: resp.Mountpoint}
			},
		},
		enginetest.Differential[pair]{
			Method:  "VolumeDriver.Mount",
			Answers: append([]enginetest.Answer{{Name: "success", Handler: typedtest.Raw(`{"Mountpoint":"/mnt/data"}`)}}, errAnswers...),
			Engine: func(t *testing.T, p pair) enginetest.Outcome {
				mp, err := engineVolume(t, p).Mount("c0ffee")
				return enginetest.Outcome{Value: mp, Err: enginetest.ErrText(err)}
			},
			Ours: func(t *testing.T, p pair) enginetest.Outcome {
				resp, err := p.ours.Mount(ctx, volume.MountRequest{Name: "data", ID: "c0ffee"})
				return enginetest.Outcome{Value: resp.Mountpoint, Err: enginetest.ErrText(err)}
			},
		},
		enginetest.Differential[pair]{
			Method:  "VolumeDriver.Unmount",
			Answers: append([]enginetest.Answer{{Name: "success", Handler: typedtest.Raw(`{}`)}}, errAnswers...),
			Engine: func(t *testing.T, p pair) enginetest.Outcome {
				return enginetest.Outcome{Err: enginetest.ErrText(engineVolume(t, p).Unmount("c0ffee"))}
			},
			Ours: func(t *testing.T, p pair) enginetest.Outcome {
				return enginetest.Outcome{Err: enginetest.ErrText(p.ours.Unmount(ctx, volume.UnmountRequest{Name: "data", ID: "c0ffee"}))}
			},
		},
		enginetest.Differential[pair]{
			// Of a listed volume, the engine keeps its name and mountpoint.
			Method: "VolumeDriver.List",
			Answers: append([]enginetest.Answer{
				{Name: "volumes", Handler: typedtest.Raw(`{"Volumes":[{"Name":"a","Mountpoint":"/mnt/a","CreatedAt":"` + created + `"},{"Name":"b"}]}`)},
				{Name: "null", Handler: typedtest.Raw(`{"Volumes":null}`)},
				{Name: "CreatedAt empty", Handler: typedtest.Raw(`{"Volumes":[{"Name":"a","CreatedAt":""}]}`), DecodeFails: true},
			}, errAnswers...),
			Engine: func(t *testing.T, p pair) enginetest.Outcome {
				vols, err := p.engine.List()
				if err != nil {
					return enginetest.Outcome{Err: enginetest.ErrText(err)}
				}
				var kept []string
				for _, v := range vols {
					kept = append(kept, v.Name()+" at "+v.(interface{ CachedPath() string }).CachedPath())
				}
				return enginetest.Outcome{Value: kept}
			},
			Ours: func(t *testing.T, p pair) enginetest.Outcome {
				resp, err := p.ours.List(ctx)
				if err != nil {
					return enginetest.Outcome{Err: enginetest.ErrText(err)}
				}
				var kept []string
				for _, v := range resp.Volumes {
					kept = append(kept, v.Name+" at "+v.Mountpoint)
				}
				return enginetest.Outcome{Value: kept}
			},
		},
		enginetest.Differential[pair]{
			// Of a volume from Get, the engine keeps all four fields; a
			// null volume is "no such volume" to it.
			Method: "VolumeDriver.Get",
			Answers: append([]enginetest.Answer{
				{Name: "volume", Handler: typedtest.Raw(`{"Volume":{"Name":"data","Mountpoint":"/mnt/data","CreatedAt":"` + created +
					`","Status":{"mounts":2,"note":"x","nested":{"a":[1,"b",null]}}}}`)},
				{Name: "no fields", Handler: typedtest.Raw(`{"Volume":{"Name":"data"}}`)},
				{Name: "CreatedAt null", Handler: typedtest.Raw(`{"Volume":{"Name":"data","CreatedAt":null}}`)},
				{Name: "keys in another case", Handler: typedtest.Raw(`{"volume":{"name":"data","MOUNTPOINT":"/m","createdat":"` + created + `"}}`)},
				{Name: "null volume", Handler: typedtest.Raw(`{"Volume":null}`)},
				{Name: "CreatedAt empty", Handler: typedtest.Raw(`{"Volume":{"Name":"data","CreatedAt":""}}`), DecodeFails: true},
				{Name: "CreatedAt not RFC 3339", Handler: typedtest.Raw(`{"Volume":{"Name":"data","CreatedAt":"2024-07-01 07:14:50"}}`), DecodeFails: true},
			}, errAnswers...),
			Engine: func(t *testing.T, p pair) enginetest.Outcome {
				v, err := p.engine.Get("data")
				if err != nil {
					return enginetest.Outcome{Err: enginetest.ErrText(err)}
				}
				createdAt, err := v.CreatedAt()
				require.NoError(t, err)
				return enginetest.Outcome{Value: []any{v.Name(), v.(interface{ CachedPath() string }).CachedPath(), createdAt.String(), v.Status()}}
			},
			Ours: func(t *testing.T, p pair) enginetest.Outcome {
				resp, err := p.ours.Get(ctx, volume.GetRequest{Name: "data"})
				if err != nil {
					return enginetest.Outcome{Err: enginetest.ErrText(err)}
				}
				if resp.Volume == nil {
					return enginetest.Outcome{Err: "no such volume"} // the engine's adapter's error
				}
				v := resp.Volume
				status := v.Status
				if status == nil {
					status = map[string]any{} // the engine's Status() copies into a new map
				}
				return enginetest.Outcome{Value: []any{v.Name, v.Mountpoint, v.CreatedAt.String(), status}}
			},
		},
	)
	for _, tt := range tests {
		for _, a := range tt.Answers {
			t.Run(path.Join(tt.Method, tt.Input, a.Name), func(t *testing.T) {
				p := newPair(t)
				p.fp.Handle(tt.Method, a.Handler)
				engineBody, eng := calling(t, p.fp, tt.Method, func() enginetest.Outcome { return tt.Engine(t, p) })
				ourBody, ours := calling(t, p.fp, tt.Method, func() enginetest.Outcome { return tt.Ours(t, p) })
				assert.Equal(t, engineBody, ourBody, "the request, byte for byte")
				if a.DecodeFails && eng.Err != "" {
					enginetest.SameDecodingError(t, eng.Err, ours.Err, "Go's decoding error, after our prefix, naming our types")
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
	p.fp.Handle("VolumeDriver.Create", typedtest.Raw(`{}`))
	v, err := p.engine.Create("data", nil)
	require.NoError(t, err)
	return v
}

// calling runs call and returns the body of the one request it sent for
// method, and its outcome.
func calling(t *testing.T, fp *pluginstest.Plugin, method string, call func() enginetest.Outcome) (string, enginetest.Outcome) {
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
		{name: "global", handler: typedtest.Raw(`{"Capabilities":{"Scope":"global"}}`)},
		{name: "Global, in capitals", handler: typedtest.Raw(`{"Capabilities":{"Scope":"GLOBAL"}}`)},
		{name: "local", handler: typedtest.Raw(`{"Capabilities":{"Scope":"local"}}`)},
		{name: "empty", handler: typedtest.Raw(`{"Capabilities":{"Scope":""}}`)},
		{name: "invalid", handler: typedtest.Raw(`{"Capabilities":{"Scope":"cluster"}}`)},
		{name: "null", handler: typedtest.Raw(`null`)},
		{name: "404 from Go's mux", handler: http.NotFoundHandler()},
		{
			name: "Err in a 200 answer", handler: typedtest.Raw(`{"Capabilities":{"Scope":"global"},"Err":"not now"}`),
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
			d, err := engineStore(enginetest.Client(t, fp)).GetDriver("vol")
			require.NoError(t, err)
			scope := d.Scope()
			calls := fp.Calls("VolumeDriver.Capabilities")
			require.NotEmpty(t, calls)
			engineBody := string(calls[0].Body)

			c := fixture.Client(t, env)
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
		[]string{enginetest.ErrText(ourErrs[0]), enginetest.ErrText(ourErrs[1]), enginetest.ErrText(ourErrs[2]), enginetest.ErrText(ourErrs[3])})

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
			p.fp.Handle("VolumeDriver.Get", typedtest.Raw(`{"Volume":{"Name":"data","CreatedAt":"`+created+`"}}`))
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
