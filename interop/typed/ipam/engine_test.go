package ipam_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"sync"
	"testing"

	"github.com/docker/docker/libnetwork/ipamapi"
	"github.com/docker/docker/libnetwork/ipams/remote"
	"github.com/docker/docker/pkg/plugingetter"
	engine "github.com/docker/docker/pkg/plugins"
	"github.com/docker/go-connections/tlsconfig"
	"github.com/go-dockerplugins/plugins/ipam"
	"github.com/go-dockerplugins/plugins/pluginstest"
	"github.com/sirupsen/logrus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// engineLog keeps what the engine logs: its remote IPAM only logs the
// error of GetCapabilities, at debug level.
var engineLog logHook

func TestMain(m *testing.M) {
	logrus.SetOutput(io.Discard)
	logrus.SetLevel(logrus.DebugLevel)
	logrus.AddHook(&engineLog)
	os.Exit(m.Run())
}

type logHook struct {
	mu      sync.Mutex
	entries []*logrus.Entry
}

func (*logHook) Levels() []logrus.Level { return logrus.AllLevels }

func (h *logHook) Fire(e *logrus.Entry) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.entries = append(h.entries, e)
	return nil
}

// take returns the entries logged since the last take.
func (h *logHook) take() []*logrus.Entry {
	h.mu.Lock()
	defer h.mu.Unlock()
	e := h.entries
	h.entries = nil
	return e
}

// getter is the engine's plugin getter as the remote IPAM uses it: it keeps
// the handler registered for the interface, which the engine's pkg/plugins
// runs after activating a plugin.
type getter struct {
	capability string
	handler    func(string, *engine.Client)
}

func (*getter) Get(string, string, int) (plugingetter.CompatPlugin, error) {
	return nil, errors.New("not used")
}
func (*getter) GetAllByCap(string) ([]plugingetter.CompatPlugin, error)      { return nil, nil }
func (*getter) GetAllManagedPluginsByCap(string) []plugingetter.CompatPlugin { return nil }
func (g *getter) Handle(capability string, fn func(string, *engine.Client)) {
	g.capability, g.handler = capability, fn
}

// registry is the engine's network controller, as far as a remote IPAM
// sees it: where drivers register, with capabilities or without.
type registry struct {
	driver ipamapi.Ipam
	caps   *ipamapi.Capability // nil: registered without
}

func (r *registry) RegisterIpamDriver(_ string, d ipamapi.Ipam) error {
	r.driver, r.caps = d, nil
	return nil
}

func (r *registry) RegisterIpamDriverWithCapabilities(_ string, d ipamapi.Ipam, c *ipamapi.Capability) error {
	r.driver, r.caps = d, c
	return nil
}

// pair is one plugin, called by the engine's remote IPAM and by the typed
// client.
type pair struct {
	fp   *pluginstest.Plugin
	ours *ipam.Client
	reg  *registry
	g    *getter
	ec   *engine.Client
}

// newPair serves a plugin and has the engine's remote IPAM register it, as
// the engine does when it activates an IPAM plugin.
func newPair(t *testing.T) pair {
	t.Helper()
	env := pluginstest.New(t)
	fp := env.ServeSocket("myipam", ipam.Interface).
		Handle("IpamDriver.GetDefaultAddressSpaces", raw(`{"LocalDefaultAddressSpace":"local","GlobalDefaultAddressSpace":"global"}`))
	p, err := env.Store().Get("myipam", ipam.Interface)
	require.NoError(t, err)
	ours, err := ipam.FromPlugin(p)
	require.NoError(t, err)
	ec, err := engine.NewClient(fp.Addr(), &tlsconfig.Options{InsecureSkipVerify: true})
	require.NoError(t, err)
	pr := pair{fp: fp, ours: ours, reg: &registry{}, g: &getter{}, ec: ec}
	require.NoError(t, remote.Register(pr.reg, pr.g))
	require.Equal(t, ipam.Interface, pr.g.capability)
	pr.activate()
	require.NotNil(t, pr.reg.driver, "registered")
	return pr
}

// activate runs the engine's handler, which asks for the capabilities and
// registers the driver.
func (p pair) activate() {
	*p.reg = registry{}
	p.g.handler("myipam", p.ec)
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

// raw answers 200 with body, as is.
func raw(body string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", pluginstest.MediaType)
		_, _ = w.Write([]byte(body))
	})
}

// answer is how the plugin answers a method, in both runs.
type answer struct {
	name    string
	handler http.Handler
	// decodeFails: the answer does not decode. Both fail, with texts that
	// differ: the engine's is encoding/json's alone ("EOF"), this
	// library's names the plugin and the method too.
	decodeFails bool
}

// errAnswers are the failures every method can meet.
var errAnswers = []answer{
	{name: "Error in a 200 answer", handler: raw(`{"Error":"pool exhausted: 100% used","PoolID":"p9"}`)},
	{name: "Error in lower case", handler: raw(`{"error":"matched as encoding/json matches"}`)},
	{name: "500 from the SDK", handler: pluginstest.ReplyError(http.StatusInternalServerError, "no such pool")},
	{name: "500 with Error, read as text", handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte(`{"Error":"not the key of error answers"}`))
	})},
	{name: "404 from Go's mux", handler: http.NotFoundHandler()},
	{name: "empty 200 answer", handler: raw(""), decodeFails: true},
	{name: "a 200 answer that is a JSON string", handler: raw(`"not an object"`), decodeFails: true},
}

func successes(bodies ...string) []answer {
	var out []answer
	for _, b := range bodies {
		out = append(out, answer{name: "answer " + b, handler: raw(b)})
	}
	return append(out, errAnswers...)
}

// differential is one method with one input, run by the engine's remote
// IPAM and by the typed client, against each answer.
type differential struct {
	method  string
	input   string
	answers []answer
	engine  func(t *testing.T, p pair) outcome
	ours    func(t *testing.T, p pair) outcome
}

// pool is what the engine keeps of a RequestPool answer.
type pool struct {
	PoolID string
	Pool   netip.Prefix
	Data   map[string]string
}

// address is what the engine keeps of a RequestAddress answer.
type address struct {
	Address string
	Data    map[string]string
}

// Every method of the typed client sends the bytes the engine's remote IPAM
// sends for the same input, and keeps of the answer what the engine keeps,
// with the same error text.
func TestEngineAgrees(t *testing.T) {
	ctx := context.Background()
	var tests []differential
	add := func(d differential) { tests = append(tests, d) }

	add(differential{
		method: "IpamDriver.GetDefaultAddressSpaces",
		answers: successes(
			`{"LocalDefaultAddressSpace":"local","GlobalDefaultAddressSpace":"global"}`,
			`{"LocalDefaultAddressSpace":"","Err":"not an error here"}`,
		),
		engine: func(t *testing.T, p pair) outcome {
			local, global, err := p.reg.driver.GetDefaultAddressSpaces()
			if err != nil {
				return outcome{Err: err.Error()}
			}
			return outcome{Value: [2]string{local, global}}
		},
		ours: func(t *testing.T, p pair) outcome {
			resp, err := p.ours.GetDefaultAddressSpaces(ctx)
			if err != nil {
				return outcome{Err: err.Error()}
			}
			return outcome{Value: [2]string{resp.LocalDefaultAddressSpace, resp.GlobalDefaultAddressSpace}}
		},
	})
	for _, req := range []ipam.RequestPoolRequest{
		{AddressSpace: "local"},
		{AddressSpace: "global", V6: true},
		{AddressSpace: "local", Pool: "10.20.0.0/16", SubPool: "10.20.1.0/24", Options: map[string]string{"<&>": "é\u2028"}},
		{Options: map[string]string{}},
	} {
		add(differential{
			method: "IpamDriver.RequestPool", input: fmt.Sprintf("%+v", req),
			answers: successes(
				`{"PoolID":"p1","Pool":"10.20.0.0/16","Data":{"com.docker.network.gateway":"10.20.0.254/16"}}`,
				`{"PoolID":"p6","Pool":"fd00:1::/64","Data":null}`,
				`{"PoolID":"p0","Pool":"0.0.0.0/0","Err":"ignored"}`,
			),
			engine: func(t *testing.T, p pair) outcome {
				got, err := p.reg.driver.RequestPool(ipamapi.PoolRequest{
					AddressSpace: req.AddressSpace, Pool: req.Pool, SubPool: req.SubPool, Options: req.Options, V6: req.V6,
				})
				if err != nil {
					return outcome{Err: err.Error()}
				}
				return outcome{Value: pool{got.PoolID, got.Pool, got.Meta}}
			},
			ours: func(t *testing.T, p pair) outcome {
				// The engine asks for the default address spaces first.
				_, err := p.ours.GetDefaultAddressSpaces(ctx)
				require.NoError(t, err)
				resp, err := p.ours.RequestPool(ctx, req)
				if err != nil {
					return outcome{Err: err.Error()}
				}
				prefix, err := netip.ParsePrefix(resp.Pool)
				require.NoError(t, err)
				return outcome{Value: pool{resp.PoolID, prefix, resp.Data}}
			},
		})
	}
	add(differential{
		method: "IpamDriver.ReleasePool", answers: successes(`{}`, `{"Error":""}`),
		engine: func(t *testing.T, p pair) outcome { return outcome{Err: errText(p.reg.driver.ReleasePool("p1"))} },
		ours: func(t *testing.T, p pair) outcome {
			return outcome{Err: errText(p.ours.ReleasePool(ctx, ipam.ReleasePoolRequest{PoolID: "p1"}))}
		},
	})
	for _, in := range []struct {
		ip   net.IP
		opts map[string]string
	}{
		{nil, nil},
		{net.ParseIP("10.20.0.1"), map[string]string{ipamapi.RequestAddressType: "com.docker.network.gateway"}},
		{net.ParseIP("fd00:1::5"), map[string]string{"com.docker.network.endpoint.macaddress": "02:42:ac:11:00:02"}},
		{nil, map[string]string{}},
	} {
		add(differential{
			method: "IpamDriver.RequestAddress", input: fmt.Sprintf("%v %v", in.ip, in.opts),
			answers: successes(
				`{"Address":"10.20.0.1/16","Data":{"k":"v"}}`,
				`{"Address":"fd00:1::5/64"}`,
			),
			engine: func(t *testing.T, p pair) outcome {
				got, data, err := p.reg.driver.RequestAddress("p1", in.ip, in.opts)
				if err != nil {
					return outcome{Err: err.Error()}
				}
				return outcome{Value: address{got.String(), data}}
			},
			ours: func(t *testing.T, p pair) outcome {
				req := ipam.RequestAddressRequest{PoolID: "p1", Options: in.opts}
				if in.ip != nil {
					req.Address = in.ip.String()
				}
				resp, err := p.ours.RequestAddress(ctx, req)
				if err != nil {
					return outcome{Err: err.Error()}
				}
				return outcome{Value: address{resp.Address, resp.Data}}
			},
		})
	}
	for _, ip := range []net.IP{nil, net.ParseIP("10.20.0.7"), net.ParseIP("::ffff:10.20.0.8"), net.ParseIP("fd00:1::7")} {
		add(differential{
			method: "IpamDriver.ReleaseAddress", input: fmt.Sprint(ip), answers: successes(`{}`),
			engine: func(t *testing.T, p pair) outcome {
				return outcome{Err: errText(p.reg.driver.ReleaseAddress("p1", ip))}
			},
			ours: func(t *testing.T, p pair) outcome {
				req := ipam.ReleaseAddressRequest{PoolID: "p1"}
				if ip != nil {
					req.Address = ip.String()
				}
				return outcome{Err: errText(p.ours.ReleaseAddress(ctx, req))}
			},
		})
	}

	seen := map[string]bool{}
	for _, d := range tests {
		seen[d.method] = true
		t.Run(d.method+"/"+d.input, func(t *testing.T) {
			for _, a := range d.answers {
				t.Run(a.name, func(t *testing.T) {
					p := newPair(t)
					p.fp.Handle(d.method, a.handler)
					eng := d.engine(t, p)
					ours := d.ours(t, p)
					if a.decodeFails {
						assert.NotEmpty(t, eng.Err)
						assert.NotEmpty(t, ours.Err)
					} else {
						assert.Equal(t, eng, ours)
					}
					calls := p.fp.Calls(d.method)
					require.Len(t, calls, 2, "one call each")
					assert.Equal(t, string(calls[0].Body), string(calls[1].Body), "the same bytes")
					assert.Equal(t, calls[0].ContentLength, calls[1].ContentLength)
					assert.Equal(t, calls[0].Header.Get("Accept"), calls[1].Header.Get("Accept"))
				})
			}
		})
	}
	// GetCapabilities is in TestEngineAgreesOnCapabilities.
	assert.Len(t, seen, 5, "every other method")
}

// The engine reads the capabilities once, when it registers the driver:
// with the capabilities the typed client returns when it succeeds, and
// without any (both false) when it fails, or when the plugin answers 404,
// where the typed client returns no capabilities and no error.
func TestEngineAgreesOnCapabilities(t *testing.T) {
	ctx := context.Background()
	p := newPair(t)
	for _, a := range successes(
		`{"RequiresMACAddress":true,"RequiresRequestReplay":true}`,
		`{"RequiresMACAddress":true}`,
		`{}`,
		`{"RequiresRequestReplay":true,"Err":"not an error here"}`,
	) {
		t.Run(a.name, func(t *testing.T) {
			p.fp.Handle("IpamDriver.GetCapabilities", a.handler)
			engineLog.take()
			p.activate()
			require.NotNil(t, p.reg.driver, "registered whatever the answer")
			var eng outcome
			if p.reg.caps != nil {
				eng.Value = *p.reg.caps
			} else {
				// Logged at debug level, the error is the last entry.
				logged := engineLog.take()
				require.NotEmpty(t, logged)
				last := logged[len(logged)-1]
				assert.Equal(t, logrus.DebugLevel, last.Level)
				eng = outcome{Value: ipamapi.Capability{}, Err: last.Message}
			}

			resp, err := p.ours.GetCapabilities(ctx)
			ours := outcome{Value: ipamapi.Capability{RequiresMACAddress: resp.RequiresMACAddress, RequiresRequestReplay: resp.RequiresRequestReplay}}
			if err != nil {
				ours = outcome{Value: ipamapi.Capability{}, Err: err.Error()}
			}
			switch {
			case a.decodeFails:
				assert.NotEmpty(t, eng.Err)
				assert.NotEmpty(t, ours.Err)
			case a.name == "404 from Go's mux":
				// The engine registers without capabilities after an error;
				// the typed client returns the same, without the error.
				assert.Equal(t, outcome{Value: ipamapi.Capability{}, Err: "IpamDriver.GetCapabilities: 404 page not found\n"}, eng)
				assert.Equal(t, outcome{Value: ipamapi.Capability{}}, ours)
			default:
				assert.Equal(t, eng, ours)
			}
			calls := p.fp.Calls("IpamDriver.GetCapabilities")
			require.GreaterOrEqual(t, len(calls), 2)
			engCall, ourCall := calls[len(calls)-2], calls[len(calls)-1]
			assert.Empty(t, engCall.Body, "no body")
			assert.Empty(t, ourCall.Body, "no body")
			assert.Equal(t, engCall.ContentLength, ourCall.ContentLength)
		})
	}
}

// What the typed client leaves to its caller, the engine checks after the
// call: the doc comments say so, and this is how the engine behaves.
func TestEngineChecksAfterTheCall(t *testing.T) {
	ctx := context.Background()

	t.Run("RequestAddress without an address", func(t *testing.T) {
		p := newPair(t)
		p.fp.Handle("IpamDriver.RequestAddress", raw(`{"Address":""}`))
		_, _, err := p.reg.driver.RequestAddress("p1", nil, nil)
		assert.EqualError(t, err, "no address returned")
		resp, err := p.ours.RequestAddress(ctx, ipam.RequestAddressRequest{PoolID: "p1"})
		require.NoError(t, err)
		assert.Empty(t, resp.Address)
	})

	t.Run("RequestAddress with a bare address", func(t *testing.T) {
		p := newPair(t)
		p.fp.Handle("IpamDriver.RequestAddress", raw(`{"Address":"10.0.0.1"}`))
		_, _, err := p.reg.driver.RequestAddress("p1", nil, nil)
		assert.EqualError(t, err, "invalid CIDR address: 10.0.0.1")
	})

	t.Run("RequestPool with a pool that is not CIDR", func(t *testing.T) {
		p := newPair(t)
		p.fp.Handle("IpamDriver.RequestPool", raw(`{"PoolID":"p1","Pool":"10.0.0.0"}`))
		_, err := p.reg.driver.RequestPool(ipamapi.PoolRequest{AddressSpace: "local"})
		assert.ErrorContains(t, err, `netip.ParsePrefix("10.0.0.0")`)
	})

	t.Run("RequestPool overlapping the host's networks", func(t *testing.T) {
		p := newPair(t)
		var n int
		p.fp.Handle("IpamDriver.RequestPool", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			n++
			fmt.Fprintf(w, `{"PoolID":"p%d","Pool":"10.%d.0.0/16"}`, n, n)
		})).Handle("IpamDriver.ReleasePool", raw(`{}`))
		got, err := p.reg.driver.RequestPool(ipamapi.PoolRequest{AddressSpace: "local", Exclude: []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16")}})
		require.NoError(t, err)
		assert.Equal(t, "p2", got.PoolID, "asked again")
		assert.Len(t, p.fp.Calls("IpamDriver.GetDefaultAddressSpaces"), 1, "once, before the first RequestPool")
		release := p.fp.Calls("IpamDriver.ReleasePool")
		require.Len(t, release, 1, "the pool kept meanwhile is released")
		assert.Equal(t, `{"PoolID":"p1"}`+"\n", string(release[0].Body))
	})

	t.Run("ReleaseAddress of an IPv4-mapped address", func(t *testing.T) {
		// net.IP's String, the engine's form: a daemon holding a
		// netip.Addr must Unmap it to send the same.
		p := newPair(t)
		p.fp.Handle("IpamDriver.ReleaseAddress", raw(`{}`))
		require.NoError(t, p.reg.driver.ReleaseAddress("p1", net.ParseIP("::ffff:10.0.0.8")))
		assert.Equal(t, `{"PoolID":"p1","Address":"10.0.0.8"}`+"\n", string(p.fp.Calls("IpamDriver.ReleaseAddress")[0].Body))
	})
}
