package conformance_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-dockerplugins/plugins/conformance"
	"github.com/go-dockerplugins/plugins/pluginstest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// always are the findings a plugin gets for what it implements, whatever
// it does: graph drivers are gone, and legacy metrics collectors never
// worked.
var always = map[string]string{
	"GraphDriver":      "GraphDriver/removed WARN",
	"MetricsCollector": "MetricsCollector/legacy FAIL",
}

// run checks the plugin called name in env and returns the report.
func run(t *testing.T, env *pluginstest.Env, name string, opts ...conformance.Option) conformance.Report {
	t.Helper()
	p, err := env.Store().Activate(context.Background(), name)
	require.NoError(t, err)
	rep, err := conformance.Run(context.Background(), p, opts...)
	require.NoError(t, err)
	return rep
}

// flagged lists the warnings and failures of a report as "Iface/check
// STATUS", but for those in always, and checks that each carries its
// check's consequence.
func flagged(t *testing.T, rep conformance.Report) []string {
	t.Helper()
	consequences := map[string]conformance.Check{}
	for _, c := range conformance.Checks() {
		consequences[c.Interface+"/"+c.ID] = c
	}
	var out []string
	for _, f := range rep.Flagged() {
		key := f.Interface + "/" + f.Check
		c := consequences[key]
		want := c.FailConsequence
		if f.Status == conformance.Warn {
			want = c.WarnConsequence
		}
		assert.Equal(t, want, f.Consequence, key)
		assert.NotEmpty(t, f.Detail, key)
		if always[f.Interface] == key+" "+f.Status.String() {
			continue
		}
		out = append(out, key+" "+f.Status.String())
	}
	return out
}

// A fake that gets everything right is flagged for nothing, with and
// without the life cycles, and they leave nothing behind.
func TestGoodFakesPass(t *testing.T) {
	t.Parallel()
	for _, in := range conformance.Interfaces() {
		for _, write := range []bool{false, true} {
			t.Run(in+map[bool]string{true: " --write"}[write], func(t *testing.T) {
				t.Parallel()
				env := pluginstest.New(t)
				f := serveFake(t, env, "good", in)
				var opts []conformance.Option
				if write {
					opts = append(opts, conformance.WithWrite())
				}
				rep := run(t, env, "good", opts...)
				assert.Empty(t, flagged(t, rep))
				assert.Empty(t, f.left())
				assert.Equal(t, write, rep.Write)

				// One finding per check that applies, in the list's order.
				var want []string
				needWrite := 0
				for _, c := range conformance.Checks() {
					switch {
					case c.Interface != conformance.Plugin && c.Interface != in:
					case c.Write && !write:
						needWrite++
					default:
						want = append(want, c.Interface+"/"+c.ID)
					}
				}
				var got []string
				for _, f := range rep.Findings {
					got = append(got, f.Interface+"/"+f.Check)
				}
				assert.Equal(t, want, got)
				assert.Equal(t, needWrite, rep.NeedWrite)
			})
		}
	}
}

// fault is a fake broken in one way, and the findings it must get: the
// check that says so, and no other.
type fault struct {
	name  string
	iface string
	write bool
	opts  []conformance.Option
	// break_ breaks the fake.
	break_ func(f *fake)
	want   []string
}

func (tt fault) run(t *testing.T) {
	t.Parallel()
	env := pluginstest.New(t)
	f := serveFake(t, env, "broken", strings.Fields(tt.iface)...)
	tt.break_(f)
	opts := tt.opts
	if tt.write {
		opts = append(opts, conformance.WithWrite())
	}
	rep := run(t, env, "broken", opts...)
	assert.Equal(t, tt.want, flagged(t, rep), "%v", rep.Findings)
}

// handle sets the handler of a method.
func handle(method string, h http.Handler) func(*fake) {
	return func(f *fake) { f.on(method, h) }
}

// inject adds a fault.
func inject(ft pluginstest.Fault) func(*fake) {
	return func(f *fake) { f.Inject(ft) }
}

// slowScale makes the engine's volume timeouts 300ms and 600ms.
var slowScale = conformance.WithTimeoutScale(1.0 / 200)

const manifestJSON = `{"Implements": ["VolumeDriver"]}`

func TestPluginFaults(t *testing.T) {
	t.Parallel()
	faults := []fault{
		{name: "no interface", iface: "", break_: func(*fake) {}, want: []string{"Plugin/handshake FAIL"}},
		{name: "an interface of its own", iface: "VolumeDriver MyOwnThing", break_: func(*fake) {}, want: []string{"Plugin/implements WARN"}},
		{name: "LoggingDriver", iface: "LoggingDriver", break_: func(*fake) {}, want: []string{"Plugin/implements FAIL"}},
		{name: "a misspelt interface", iface: "VolumeDriver IPAMDriver", break_: func(*fake) {}, want: []string{"Plugin/implements FAIL"}},
		{name: "a CSI interface", iface: "csinode", break_: func(*fake) {}, want: []string{"Plugin/implements FAIL"}},
		{
			name: "bytes after an answer", iface: "VolumeDriver",
			break_: handle("VolumeDriver.ConformanceNoSuchMethod", hijacked("HTTP/1.1 404 Not Found\r\nContent-Length: 5\r\n\r\nnope!EXTRA")),
			want:   []string{"Plugin/framing FAIL"},
		},
		{
			name: "a body shorter than its Content-Length", iface: "VolumeDriver",
			break_: handle("VolumeDriver.ConformanceNoSuchMethod", hijacked("HTTP/1.1 404 Not Found\r\nContent-Length: 50\r\n\r\nnope")),
			want:   []string{"Plugin/framing FAIL"},
		},
		{
			name: "a malformed status line", iface: "VolumeDriver",
			break_: handle("VolumeDriver.ConformanceNoSuchMethod", hijacked("HTTP/1.1 four-oh-four\r\n\r\n")),
			want:   []string{"Plugin/framing FAIL"},
		},
		{
			name: "broken chunks", iface: "VolumeDriver",
			break_: handle("VolumeDriver.ConformanceNoSuchMethod", hijacked("HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nnope\r\n")),
			want:   []string{"Plugin/framing FAIL"},
		},
		{
			name: "no Content-Type", iface: "VolumeDriver",
			break_: handle("Plugin.Activate", answerJSON("", manifestJSON)),
			want:   []string{"Plugin/content-type WARN"},
		},
		{
			name: "text/plain", iface: "VolumeDriver",
			break_: handle("Plugin.Activate", answerJSON("text/plain", manifestJSON)),
			want:   []string{"Plugin/content-type WARN"},
		},
		{
			name: "Connection: close", iface: "VolumeDriver",
			break_: handle("Plugin.Activate", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Connection", "close")
				answerJSON(pluginstest.MediaType, manifestJSON)(w, r)
			})),
			want: []string{"Plugin/keep-alive WARN"},
		},
		{
			name: "an HTTP/1.0 answer", iface: "VolumeDriver",
			break_: handle("Plugin.Activate", hijacked("HTTP/1.0 200 OK\r\nContent-Type: application/json\r\nContent-Length: 32\r\n\r\n"+manifestJSON)),
			want:   []string{"Plugin/keep-alive WARN"},
		},
		{
			name: "a body that ends with the connection", iface: "VolumeDriver",
			break_: handle("Plugin.Activate", hijacked("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n"+manifestJSON)),
			want:   []string{"Plugin/keep-alive WARN"},
		},
		{
			name: "closes kept-alive connections", iface: "VolumeDriver",
			break_: handle("Plugin.Activate", hijacked("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 32\r\n\r\n"+manifestJSON)),
			want:   []string{"Plugin/keep-alive FAIL"},
		},
	}
	for _, tt := range faults {
		t.Run(tt.name, tt.run)
	}
}

func TestVolumeFaults(t *testing.T) {
	t.Parallel()
	faults := []fault{
		{name: "another scope", break_: handle("VolumeDriver.Capabilities", pluginstest.Reply(map[string]any{"Capabilities": map[string]string{"Scope": "cluster"}})),
			want: []string{"VolumeDriver/capabilities WARN"}},
		{name: "capabilities fail", break_: inject(pluginstest.Fault{Method: "VolumeDriver.Capabilities", Status: 500, Err: "no"}),
			want: []string{"VolumeDriver/capabilities WARN"}},
		{name: "list fails", break_: inject(pluginstest.Fault{Method: "VolumeDriver.List", Status: 500, Err: "disk on fire"}),
			want: []string{"VolumeDriver/list FAIL"}},
		{name: "Err in list's 200", break_: handle("VolumeDriver.List", pluginstest.Reply(map[string]string{"Err": "disk on fire"})),
			want: []string{"VolumeDriver/list FAIL"}},
		{name: "a null volume", break_: handle("VolumeDriver.List", answerJSON(pluginstest.MediaType, `{"Volumes": [{"Name": "a"}, null]}`)),
			want: []string{"VolumeDriver/null-volumes FAIL"}},
		{name: "CreatedAt in List", break_: handle("VolumeDriver.List", answerJSON(pluginstest.MediaType, `{"Volumes": [{"Name": "a", "CreatedAt": "yesterday"}]}`)),
			want: []string{"VolumeDriver/created-at FAIL"}},
		{name: "CreatedAt in Get", write: true, break_: func(f *fake) {
			get := f.volumeGetWith(`""`)
			f.Handle("VolumeDriver.Get", get)
		}, want: []string{"VolumeDriver/created-at FAIL"}},
		{name: "a volume that does not exist", break_: handle("VolumeDriver.Get", pluginstest.Reply(map[string]any{"Volume": map[string]string{"Name": "ghost"}})),
			want: []string{"VolumeDriver/get-missing FAIL"}},
		{name: "unknown method", break_: handle("VolumeDriver.ConformanceNoSuchMethod", pluginstest.ReplyError(500, "what?")),
			want: []string{"VolumeDriver/unknown-method WARN"}},
		{name: "no body refused", break_: func(f *fake) {
			f.wrap("VolumeDriver.List", func(h http.Handler) http.Handler { return refuse(true, h) })
		}, want: []string{"VolumeDriver/empty-args WARN"}},
		{name: "slow", opts: []conformance.Option{slowScale}, break_: func(f *fake) {
			f.wrap("VolumeDriver.List", func(h http.Handler) http.Handler { return slow(200*time.Millisecond, h) })
		}, want: []string{"VolumeDriver/answers-in-time WARN"}},
		{name: "slower than the engine's timeout", opts: []conformance.Option{slowScale}, break_: func(f *fake) {
			f.wrap("VolumeDriver.List", func(h http.Handler) http.Handler { return slow(time.Second, h) })
		}, want: []string{"VolumeDriver/answers-in-time FAIL"}},

		{name: "create fails", write: true, break_: inject(pluginstest.Fault{Method: "VolumeDriver.Create", Status: 500, Err: "full"}),
			want: []string{"VolumeDriver/create FAIL"}},
		{name: "get fails", write: true, break_: inject(pluginstest.Fault{Method: "VolumeDriver.Get", Status: 500, Err: "no"}),
			want: []string{"VolumeDriver/get FAIL"}},
		{name: "not listed", write: true, break_: handle("VolumeDriver.List", pluginstest.Reply(map[string]any{"Volumes": []string{}})),
			want: []string{"VolumeDriver/listed FAIL"}},
		{name: "mount fails", write: true, break_: inject(pluginstest.Fault{Method: "VolumeDriver.Mount", Status: 500, Err: "no"}),
			want: []string{"VolumeDriver/mount FAIL"}},
		{name: "path fails", write: true, break_: inject(pluginstest.Fault{Method: "VolumeDriver.Path", Status: 500, Err: "no"}),
			want: []string{"VolumeDriver/path WARN"}},
		{name: "unmount fails once", write: true, break_: inject(pluginstest.Fault{Method: "VolumeDriver.Unmount", Times: 1, Status: 500, Err: "busy"}),
			want: []string{"VolumeDriver/unmount FAIL"}},
		{name: "remove fails once", write: true, break_: inject(pluginstest.Fault{Method: "VolumeDriver.Remove", Times: 1, Status: 500, Err: "busy"}),
			want: []string{"VolumeDriver/remove FAIL"}},
		{name: "remove keeps the volume", write: true, break_: handle("VolumeDriver.Remove", pluginstest.Reply(struct{}{})),
			want: []string{"VolumeDriver/left-behind FAIL"}},
	}
	for _, tt := range faults {
		tt.iface = "VolumeDriver"
		t.Run(tt.name, tt.run)
	}
}

func TestNetworkFaults(t *testing.T) {
	t.Parallel()
	caps := func(v map[string]any) func(*fake) {
		return handle("NetworkDriver.GetCapabilities", pluginstest.Reply(v))
	}
	faults := []fault{
		{name: "Global", break_: caps(map[string]any{"Scope": "Global"}), want: []string{"NetworkDriver/capabilities FAIL"}},
		{name: "another connectivity scope", break_: caps(map[string]any{"Scope": "local", "ConnectivityScope": "swarm"}),
			want: []string{"NetworkDriver/capabilities FAIL"}},
		{name: "no body refused", break_: func(f *fake) {
			f.wrap("NetworkDriver.GetCapabilities", func(h http.Handler) http.Handler { return refuse(true, h) })
		}, want: []string{"NetworkDriver/capabilities FAIL"}},
		{name: "{} refused", break_: func(f *fake) {
			f.wrap("NetworkDriver.GetCapabilities", func(h http.Handler) http.Handler { return refuse(false, h) })
		}, want: []string{"NetworkDriver/empty-args WARN"}},
		{name: "GwAllocCheck advertised, not served", break_: caps(map[string]any{"Scope": "local", "GwAllocChecker": true}),
			want: []string{"NetworkDriver/gw-alloc-check FAIL"}},
		{name: "unknown method", break_: handle("NetworkDriver.ConformanceNoSuchMethod", pluginstest.ReplyError(400, "what?")),
			want: []string{"NetworkDriver/unknown-method WARN"}},
		{name: "hangs", opts: []conformance.Option{conformance.WithCallTimeout(300 * time.Millisecond)},
			break_: inject(pluginstest.Fault{Method: "NetworkDriver.GetCapabilities", Delay: time.Hour}),
			want:   []string{"NetworkDriver/answers-in-time FAIL"}},

		{name: "create-network fails", write: true, break_: inject(pluginstest.Fault{Method: "NetworkDriver.CreateNetwork", Status: 500, Err: "no"}),
			want: []string{"NetworkDriver/create-network FAIL"}},
		{name: "create-endpoint fails", write: true, break_: inject(pluginstest.Fault{Method: "NetworkDriver.CreateEndpoint", Status: 500, Err: "no"}),
			want: []string{"NetworkDriver/create-endpoint FAIL"}},
		{name: "the address set again", write: true, break_: func(f *fake) {
			f.wrap("NetworkDriver.CreateEndpoint", func(h http.Handler) http.Handler {
				return answerAfter(h, `{"Interface": {"Address": "192.0.2.2/24"}}`)
			})
		}, want: []string{"NetworkDriver/create-endpoint FAIL"}},
		{name: "a MAC address that does not parse", write: true, break_: func(f *fake) {
			f.wrap("NetworkDriver.CreateEndpoint", func(h http.Handler) http.Handler {
				return answerAfter(h, `{"Interface": {"MacAddress": "02:42"}}`)
			})
		}, want: []string{"NetworkDriver/create-endpoint FAIL"}},
		{name: "delete-endpoint fails once", write: true, break_: inject(pluginstest.Fault{Method: "NetworkDriver.DeleteEndpoint", Times: 1, Status: 500, Err: "busy"}),
			want: []string{"NetworkDriver/delete-endpoint FAIL"}},
		{name: "delete-network fails once", write: true, break_: inject(pluginstest.Fault{Method: "NetworkDriver.DeleteNetwork", Times: 1, Status: 500, Err: "busy"}),
			want: []string{"NetworkDriver/delete-network FAIL"}},
	}
	for _, tt := range faults {
		tt.iface = "NetworkDriver"
		t.Run(tt.name, tt.run)
	}
}

func TestIPAMFaults(t *testing.T) {
	t.Parallel()
	faults := []fault{
		{name: "capabilities fail", break_: inject(pluginstest.Fault{Method: "IpamDriver.GetCapabilities", Status: 500, Err: "no"}),
			want: []string{"IpamDriver/capabilities WARN"}},
		{name: "default spaces fail", break_: inject(pluginstest.Fault{Method: "IpamDriver.GetDefaultAddressSpaces", Status: 500, Err: "no"}),
			want: []string{"IpamDriver/default-spaces FAIL"}},
		{name: "Err in a 200 answer", break_: handle("IpamDriver.GetDefaultAddressSpaces", pluginstest.Reply(map[string]string{"Err": "no spaces"})),
			want: []string{"IpamDriver/error-key FAIL"}},
		{name: "errors in Err", write: true, break_: func(f *fake) {
			f.wrap("IpamDriver.RequestAddress", func(h http.Handler) http.Handler { return errIn200(h) })
		}, want: []string{"IpamDriver/error-key FAIL"}},
		{name: "unknown method", break_: handle("IpamDriver.ConformanceNoSuchMethod", pluginstest.Reply(struct{}{})),
			want: []string{"IpamDriver/unknown-method WARN"}},
		{name: "{} refused", break_: func(f *fake) {
			f.wrap("IpamDriver.GetDefaultAddressSpaces", func(h http.Handler) http.Handler { return refuse(false, h) })
		}, want: []string{"IpamDriver/empty-args WARN"}},

		{name: "a pool that does not parse", write: true, break_: func(f *fake) {
			f.wrap("IpamDriver.RequestPool", func(h http.Handler) http.Handler { return answerAfter(h, `{"PoolID": "pool1", "Pool": "10.99.0.0"}`) })
		}, want: []string{"IpamDriver/request-pool FAIL"}},
		{name: "request-pool fails", write: true, break_: inject(pluginstest.Fault{Method: "IpamDriver.RequestPool", Status: 500, Err: "full"}),
			want: []string{"IpamDriver/request-pool FAIL"}},
		{name: "a bare address", write: true, break_: func(f *fake) {
			f.wrap("IpamDriver.RequestAddress", func(h http.Handler) http.Handler { return bareAddress(h) })
		}, want: []string{"IpamDriver/request-address FAIL"}},
		{name: "release-address fails once", write: true, break_: inject(pluginstest.Fault{Method: "IpamDriver.ReleaseAddress", Times: 1, Status: 500, Err: "busy"}),
			want: []string{"IpamDriver/release-address FAIL"}},
		{name: "release-pool fails once", write: true, break_: inject(pluginstest.Fault{Method: "IpamDriver.ReleasePool", Times: 1, Status: 500, Err: "busy"}),
			want: []string{"IpamDriver/release-pool FAIL"}},
	}
	for _, tt := range faults {
		tt.iface = "IpamDriver"
		t.Run(tt.name, tt.run)
	}
}

func TestOtherFaults(t *testing.T) {
	t.Parallel()
	faults := []fault{
		{name: "authz-req fails", iface: "authz", break_: inject(pluginstest.Fault{Method: "AuthZPlugin.AuthZReq", Status: 500, Err: "no"}),
			want: []string{"authz/authz-req FAIL"}},
		{name: "authz-res fails", iface: "authz", break_: inject(pluginstest.Fault{Method: "AuthZPlugin.AuthZRes", Status: 500, Err: "no"}),
			want: []string{"authz/authz-res FAIL"}},
		{name: "Err with a denial", iface: "authz", break_: handle("AuthZPlugin.AuthZReq", pluginstest.Reply(map[string]any{"Allow": false, "Msg": "no", "Err": "boom"})),
			want: []string{"authz/error-key WARN"}},
		{name: "Err with Allow", iface: "authz", break_: handle("AuthZPlugin.AuthZRes", pluginstest.Reply(map[string]any{"Allow": true, "Err": "boom"})),
			want: []string{"authz/error-key FAIL"}},
		{name: "authz unknown method", iface: "authz", break_: handle("AuthZPlugin.ConformanceNoSuchMethod", pluginstest.ReplyError(500, "?")),
			want: []string{"authz/unknown-method WARN"}},
		{name: "authz hangs", iface: "authz", opts: []conformance.Option{conformance.WithCallTimeout(300 * time.Millisecond)},
			break_: inject(pluginstest.Fault{Method: "AuthZPlugin.AuthZReq", Delay: time.Hour}),
			want:   []string{"authz/answers-in-time FAIL"}},

		{name: "no secret, no error", iface: "secretprovider", break_: handle("SecretProvider.GetSecret", pluginstest.Reply(struct{}{})),
			want: []string{"secretprovider/get-missing WARN"}},
		{name: "a secret too large", iface: "secretprovider", break_: handle("SecretProvider.GetSecret", pluginstest.Reply(map[string][]byte{"Value": make([]byte, 500<<10)})),
			want: []string{"secretprovider/get-missing FAIL"}},
		{name: "a % in Err", iface: "secretprovider", break_: handle("SecretProvider.GetSecret", pluginstest.Reply(map[string]string{"Err": "100% gone"})),
			want: []string{"secretprovider/error-text WARN"}},
		{name: "secrets unknown method", iface: "secretprovider", break_: handle("SecretProvider.ConformanceNoSuchMethod", pluginstest.ReplyError(500, "?")),
			want: []string{"secretprovider/unknown-method WARN"}},

		{name: "ReadLogs as documented", iface: "LogDriver", break_: handle("LogDriver.Capabilities", pluginstest.Reply(map[string]bool{"ReadLogs": true})),
			want: []string{"LogDriver/capabilities FAIL"}},
		{name: "log capabilities fail", iface: "LogDriver", break_: inject(pluginstest.Fault{Method: "LogDriver.Capabilities", Status: 500, Err: "no"}),
			want: []string{"LogDriver/capabilities WARN"}},
		{name: "entries that do not decode", iface: "LogDriver", break_: handle("LogDriver.ReadLogs", answerJSON("", "not entries at all")),
			want: []string{"LogDriver/read-logs FAIL"}},
		{name: "log {} refused", iface: "LogDriver", break_: func(f *fake) {
			f.wrap("LogDriver.Capabilities", func(h http.Handler) http.Handler { return refuse(false, h) })
		}, want: []string{"LogDriver/empty-args WARN"}},
		{name: "log unknown method", iface: "LogDriver", break_: handle("LogDriver.ConformanceNoSuchMethod", pluginstest.ReplyError(500, "?")),
			want: []string{"LogDriver/unknown-method WARN"}},

		{name: "metrics unknown method", iface: "MetricsCollector", break_: handle("MetricsCollector.ConformanceNoSuchMethod", pluginstest.Reply(struct{}{})),
			want: []string{"MetricsCollector/unknown-method WARN"}},

		{name: "graph capabilities fail", iface: "GraphDriver", break_: inject(pluginstest.Fault{Method: "GraphDriver.Capabilities", Status: 500, Err: "no"}),
			want: []string{"GraphDriver/capabilities FAIL"}},
		{name: "graph no body refused", iface: "GraphDriver", break_: func(f *fake) {
			f.wrap("GraphDriver.Status", func(h http.Handler) http.Handler { return refuse(true, h) })
		}, want: []string{"GraphDriver/empty-args WARN"}},
		{name: "graph unknown method", iface: "GraphDriver", break_: handle("GraphDriver.ConformanceNoSuchMethod", pluginstest.ReplyError(400, "?")),
			want: []string{"GraphDriver/unknown-method WARN"}},
	}
	for _, tt := range faults {
		t.Run(tt.name, tt.run)
	}
}
