package ipam_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"testing"

	"github.com/docker/docker/libnetwork/ipamapi"
	"github.com/docker/docker/libnetwork/ipams/remote"
	"github.com/docker/docker/pkg/plugingetter"
	"github.com/go-dockerplugins/plugins/internal/typedtest"
	"github.com/go-dockerplugins/plugins/interop/internal/enginetest"
	"github.com/go-dockerplugins/plugins/ipam"
	"github.com/go-dockerplugins/plugins/pluginstest"
	"github.com/sirupsen/logrus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// engineLog keeps what the engine logs: its remote IPAM only logs the
// error of GetCapabilities, at debug level.
var engineLog enginetest.LogHook

func TestMain(m *testing.M) {
	enginetest.CaptureLogs(&engineLog)
	os.Exit(m.Run())
}

// fixture serves the plugin and makes typed clients of it.
var fixture = typedtest.Fixture[*ipam.Client]{Name: "myipam", Interface: ipam.Interface, FromPlugin: ipam.FromPlugin}

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
type pair = enginetest.Remote[*ipam.Client, registry]

// newPair serves a plugin and has the engine's remote IPAM register it, as
// the engine does when it activates an IPAM plugin.
func newPair(t *testing.T) pair {
	t.Helper()
	p := enginetest.NewRemote(t, fixture, func(r *registry, g plugingetter.PluginGetter) error { return remote.Register(r, g) })
	p.Fake.Handle("IpamDriver.GetDefaultAddressSpaces", typedtest.Raw(`{"LocalDefaultAddressSpace":"local","GlobalDefaultAddressSpace":"global"}`))
	p.Activate()
	require.NotNil(t, p.Reg.driver, "registered")
	return p
}

// errAnswers are the failures every method can meet.
var errAnswers = []enginetest.Answer{
	{Name: "Error in a 200 answer", Handler: typedtest.Raw(`{"Error":"pool exhausted: 100% used","PoolID":"p9"}`)},
	{Name: "Error in lower case", Handler: typedtest.Raw(`{"error":"matched as encoding/json matches"}`)},
	{Name: "500 from the SDK", Handler: pluginstest.ReplyError(http.StatusInternalServerError, "no such pool")},
	{Name: "500 with Error, read as text", Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte(`{"Error":"not the key of error answers"}`))
	})},
	{Name: "404 from Go's mux", Handler: http.NotFoundHandler()},
	{Name: "empty 200 answer", Handler: typedtest.Raw(""), DecodeFails: true},
	{Name: "a 200 answer that is a JSON string", Handler: typedtest.Raw(`"not an object"`), DecodeFails: true},
}

func successes(bodies ...string) []enginetest.Answer {
	return enginetest.Successes(errAnswers, bodies...)
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
	var tests []enginetest.Differential[pair]
	add := func(d enginetest.Differential[pair]) { tests = append(tests, d) }

	add(enginetest.Differential[pair]{
		Method: "IpamDriver.GetDefaultAddressSpaces",
		Answers: successes(
			`{"LocalDefaultAddressSpace":"local","GlobalDefaultAddressSpace":"global"}`,
			`{"LocalDefaultAddressSpace":"","Err":"not an error here"}`,
		),
		Engine: func(t *testing.T, p pair) enginetest.Outcome {
			local, global, err := p.Reg.driver.GetDefaultAddressSpaces()
			if err != nil {
				return enginetest.Outcome{Err: err.Error()}
			}
			return enginetest.Outcome{Value: [2]string{local, global}}
		},
		Ours: func(t *testing.T, p pair) enginetest.Outcome {
			resp, err := p.Ours.GetDefaultAddressSpaces(ctx)
			if err != nil {
				return enginetest.Outcome{Err: err.Error()}
			}
			return enginetest.Outcome{Value: [2]string{resp.LocalDefaultAddressSpace, resp.GlobalDefaultAddressSpace}}
		},
	})
	for _, req := range []ipam.RequestPoolRequest{
		{AddressSpace: "local"},
		{AddressSpace: "global", V6: true},
		{AddressSpace: "local", Pool: "10.20.0.0/16", SubPool: "10.20.1.0/24", Options: map[string]string{"<&>": "é\u2028"}},
		{Options: map[string]string{}},
	} {
		add(enginetest.Differential[pair]{
			Method: "IpamDriver.RequestPool", Input: fmt.Sprintf("%+v", req),
			Answers: successes(
				`{"PoolID":"p1","Pool":"10.20.0.0/16","Data":{"com.docker.network.gateway":"10.20.0.254/16"}}`,
				`{"PoolID":"p6","Pool":"fd00:1::/64","Data":null}`,
				`{"PoolID":"p0","Pool":"0.0.0.0/0","Err":"ignored"}`,
			),
			Engine: func(t *testing.T, p pair) enginetest.Outcome {
				got, err := p.Reg.driver.RequestPool(ipamapi.PoolRequest{
					AddressSpace: req.AddressSpace, Pool: req.Pool, SubPool: req.SubPool, Options: req.Options, V6: req.V6,
				})
				if err != nil {
					return enginetest.Outcome{Err: err.Error()}
				}
				return enginetest.Outcome{Value: pool{got.PoolID, got.Pool, got.Meta}}
			},
			Ours: func(t *testing.T, p pair) enginetest.Outcome {
				// The engine asks for the default address spaces first.
				_, err := p.Ours.GetDefaultAddressSpaces(ctx)
				require.NoError(t, err)
				resp, err := p.Ours.RequestPool(ctx, req)
				if err != nil {
					return enginetest.Outcome{Err: err.Error()}
				}
				prefix, err := netip.ParsePrefix(resp.Pool)
				require.NoError(t, err)
				return enginetest.Outcome{Value: pool{resp.PoolID, prefix, resp.Data}}
			},
		})
	}
	add(enginetest.Differential[pair]{
		Method: "IpamDriver.ReleasePool", Answers: successes(`{}`, `{"Error":""}`),
		Engine: func(t *testing.T, p pair) enginetest.Outcome {
			return enginetest.Outcome{Err: enginetest.ErrText(p.Reg.driver.ReleasePool("p1"))}
		},
		Ours: func(t *testing.T, p pair) enginetest.Outcome {
			return enginetest.Outcome{Err: enginetest.ErrText(p.Ours.ReleasePool(ctx, ipam.ReleasePoolRequest{PoolID: "p1"}))}
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
		add(enginetest.Differential[pair]{
			Method: "IpamDriver.RequestAddress", Input: fmt.Sprintf("%v %v", in.ip, in.opts),
			Answers: successes(
				`{"Address":"10.20.0.1/16","Data":{"k":"v"}}`,
				`{"Address":"fd00:1::5/64"}`,
			),
			Engine: func(t *testing.T, p pair) enginetest.Outcome {
				got, data, err := p.Reg.driver.RequestAddress("p1", in.ip, in.opts)
				if err != nil {
					return enginetest.Outcome{Err: err.Error()}
				}
				return enginetest.Outcome{Value: address{got.String(), data}}
			},
			Ours: func(t *testing.T, p pair) enginetest.Outcome {
				req := ipam.RequestAddressRequest{PoolID: "p1", Options: in.opts}
				if in.ip != nil {
					req.Address = in.ip.String()
				}
				resp, err := p.Ours.RequestAddress(ctx, req)
				if err != nil {
					return enginetest.Outcome{Err: err.Error()}
				}
				return enginetest.Outcome{Value: address{resp.Address, resp.Data}}
			},
		})
	}
	for _, ip := range []net.IP{nil, net.ParseIP("10.20.0.7"), net.ParseIP("::ffff:10.20.0.8"), net.ParseIP("fd00:1::7")} {
		add(enginetest.Differential[pair]{
			Method: "IpamDriver.ReleaseAddress", Input: fmt.Sprint(ip), Answers: successes(`{}`),
			Engine: func(t *testing.T, p pair) enginetest.Outcome {
				return enginetest.Outcome{Err: enginetest.ErrText(p.Reg.driver.ReleaseAddress("p1", ip))}
			},
			Ours: func(t *testing.T, p pair) enginetest.Outcome {
				req := ipam.ReleaseAddressRequest{PoolID: "p1"}
				if ip != nil {
					req.Address = ip.String()
				}
				return enginetest.Outcome{Err: enginetest.ErrText(p.Ours.ReleaseAddress(ctx, req))}
			},
		})
	}

	seen := enginetest.RunDifferentials(t, tests, func(t *testing.T, method string, answer http.Handler) (pair, *pluginstest.Plugin) {
		p := newPair(t)
		p.Fake.Handle(method, answer)
		return p, p.Fake
	})
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
		t.Run(a.Name, func(t *testing.T) {
			p.Fake.Handle("IpamDriver.GetCapabilities", a.Handler)
			engineLog.Take()
			p.Activate()
			require.NotNil(t, p.Reg.driver, "registered whatever the answer")
			var eng enginetest.Outcome
			if p.Reg.caps != nil {
				eng.Value = *p.Reg.caps
			} else {
				// Logged at debug level, the error is the last entry.
				logged := engineLog.Take()
				require.NotEmpty(t, logged)
				last := logged[len(logged)-1]
				assert.Equal(t, logrus.DebugLevel, last.Level)
				eng = enginetest.Outcome{Value: ipamapi.Capability{}, Err: last.Message}
			}

			resp, err := p.Ours.GetCapabilities(ctx)
			ours := enginetest.Outcome{Value: ipamapi.Capability{RequiresMACAddress: resp.RequiresMACAddress, RequiresRequestReplay: resp.RequiresRequestReplay}}
			if err != nil {
				ours = enginetest.Outcome{Value: ipamapi.Capability{}, Err: err.Error()}
			}
			switch {
			case a.DecodeFails:
				assert.NotEmpty(t, eng.Err)
				assert.NotEmpty(t, ours.Err)
			case a.Name == "404 from Go's mux":
				// The engine registers without capabilities after an error;
				// the typed client returns the same, without the error.
				assert.Equal(t, enginetest.Outcome{Value: ipamapi.Capability{}, Err: "IpamDriver.GetCapabilities: 404 page not found\n"}, eng)
				assert.Equal(t, enginetest.Outcome{Value: ipamapi.Capability{}}, ours)
			default:
				assert.Equal(t, eng, ours)
			}
			enginetest.BodilessCalls(t, p.Fake, "IpamDriver.GetCapabilities")
		})
	}
}

// What the typed client leaves to its caller, the engine checks after the
// call: the doc comments say so, and this is how the engine behaves.
func TestEngineChecksAfterTheCall(t *testing.T) {
	ctx := context.Background()

	t.Run("RequestAddress without an address", func(t *testing.T) {
		p := newPair(t)
		p.Fake.Handle("IpamDriver.RequestAddress", typedtest.Raw(`{"Address":""}`))
		_, _, err := p.Reg.driver.RequestAddress("p1", nil, nil)
		assert.EqualError(t, err, "no address returned")
		resp, err := p.Ours.RequestAddress(ctx, ipam.RequestAddressRequest{PoolID: "p1"})
		require.NoError(t, err)
		assert.Empty(t, resp.Address)
	})

	t.Run("RequestAddress with a bare address", func(t *testing.T) {
		p := newPair(t)
		p.Fake.Handle("IpamDriver.RequestAddress", typedtest.Raw(`{"Address":"10.0.0.1"}`))
		_, _, err := p.Reg.driver.RequestAddress("p1", nil, nil)
		assert.EqualError(t, err, "invalid CIDR address: 10.0.0.1")
	})

	t.Run("RequestPool with a pool that is not CIDR", func(t *testing.T) {
		p := newPair(t)
		p.Fake.Handle("IpamDriver.RequestPool", typedtest.Raw(`{"PoolID":"p1","Pool":"10.0.0.0"}`))
		_, err := p.Reg.driver.RequestPool(ipamapi.PoolRequest{AddressSpace: "local"})
		assert.ErrorContains(t, err, `netip.ParsePrefix("10.0.0.0")`)
	})

	t.Run("RequestPool overlapping the host's networks", func(t *testing.T) {
		p := newPair(t)
		var n int
		p.Fake.Handle("IpamDriver.RequestPool", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			n++
			fmt.Fprintf(w, `{"PoolID":"p%d","Pool":"10.%d.0.0/16"}`, n, n)
		})).Handle("IpamDriver.ReleasePool", typedtest.Raw(`{}`))
		got, err := p.Reg.driver.RequestPool(ipamapi.PoolRequest{AddressSpace: "local", Exclude: []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16")}})
		require.NoError(t, err)
		assert.Equal(t, "p2", got.PoolID, "asked again")
		assert.Len(t, p.Fake.Calls("IpamDriver.GetDefaultAddressSpaces"), 1, "once, before the first RequestPool")
		release := p.Fake.Calls("IpamDriver.ReleasePool")
		require.Len(t, release, 1, "the pool kept meanwhile is released")
		assert.Equal(t, `{"PoolID":"p1"}`+"\n", string(release[0].Body))
	})

	t.Run("ReleaseAddress of an IPv4-mapped address", func(t *testing.T) {
		// net.IP's String, the engine's form: a daemon holding a
		// netip.Addr must Unmap it to send the same.
		p := newPair(t)
		p.Fake.Handle("IpamDriver.ReleaseAddress", typedtest.Raw(`{}`))
		require.NoError(t, p.Reg.driver.ReleaseAddress("p1", net.ParseIP("::ffff:10.0.0.8")))
		assert.Equal(t, `{"PoolID":"p1","Address":"10.0.0.8"}`+"\n", string(p.Fake.Calls("IpamDriver.ReleaseAddress")[0].Body))
	})
}
