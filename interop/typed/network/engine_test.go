package network_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/docker/docker/libnetwork/discoverapi"
	"github.com/docker/docker/libnetwork/driverapi"
	"github.com/docker/docker/libnetwork/drivers/remote"
	"github.com/docker/docker/libnetwork/options"
	"github.com/docker/docker/libnetwork/types"
	"github.com/docker/docker/pkg/plugingetter"
	engine "github.com/docker/docker/pkg/plugins"
	"github.com/docker/go-connections/tlsconfig"
	"github.com/go-dockerplugins/plugins/network"
	"github.com/go-dockerplugins/plugins/pluginstest"
	"github.com/sirupsen/logrus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// engineLog keeps what the engine logs: its remote driver only logs the
// error of GetCapabilities.
var engineLog logHook

func TestMain(m *testing.M) {
	logrus.SetOutput(io.Discard)
	logrus.SetLevel(logrus.DebugLevel)
	logrus.AddHook(&engineLog)
	os.Exit(m.Run())
}

type logHook struct {
	mu       sync.Mutex
	messages []string
}

func (*logHook) Levels() []logrus.Level { return logrus.AllLevels }

func (h *logHook) Fire(e *logrus.Entry) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.messages = append(h.messages, e.Message)
	return nil
}

// take returns the messages logged since the last take.
func (h *logHook) take() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	m := h.messages
	h.messages = nil
	return m
}

// getter is the engine's plugin getter as the remote driver uses it: it
// keeps the handler the driver registers for the interface, which the
// engine's pkg/plugins runs after activating a plugin.
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

// registry is the engine's network controller, as far as a remote driver
// sees it: where drivers register.
type registry struct {
	name       string
	driver     driverapi.Driver
	capability driverapi.Capability
}

func (r *registry) RegisterDriver(name string, d driverapi.Driver, c driverapi.Capability) error {
	r.name, r.driver, r.capability = name, d, c
	return nil
}

// pair is one plugin, called by the engine's remote driver and by the typed
// client.
type pair struct {
	fp   *pluginstest.Plugin
	ours *network.Client
	reg  *registry
	g    *getter
	ec   *engine.Client
}

// newPair serves a plugin and has the engine's remote driver register it,
// as the engine does when it activates a network plugin.
func newPair(t *testing.T) pair {
	t.Helper()
	env := pluginstest.New(t)
	fp := env.ServeSocket("mynet", network.Interface).
		Handle("NetworkDriver.GetCapabilities", raw(`{"Scope":"local","GwAllocChecker":true}`))
	p, err := env.Store().Get("mynet", network.Interface)
	require.NoError(t, err)
	ours, err := network.FromPlugin(p)
	require.NoError(t, err)
	ec, err := engine.NewClient(fp.Addr(), &tlsconfig.Options{InsecureSkipVerify: true})
	require.NoError(t, err)
	pr := pair{fp: fp, ours: ours, reg: &registry{}, g: &getter{}, ec: ec}
	require.NoError(t, remote.Register(pr.reg, pr.g))
	require.Equal(t, network.Interface, pr.g.capability)
	pr.activate()
	require.NotNil(t, pr.reg.driver, "registered")
	return pr
}

// activate runs the engine's handler, which asks for the capabilities and
// registers the driver, or logs why not.
func (p pair) activate() {
	*p.reg = registry{}
	p.g.handler("mynet", p.ec)
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
	{name: "Err in a 200 answer", handler: raw(`{"Err":"no such network: 100% gone","Value":{"a":1}}`)},
	{name: "Err in lower case", handler: raw(`{"err":"matched as encoding/json matches"}`)},
	{name: "500 from the SDK", handler: pluginstest.ReplyError(http.StatusInternalServerError, "network n1 exists")},
	{name: "500 with a text body", handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "panic: boom", http.StatusInternalServerError)
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
// driver and by the typed client, against each answer.
type differential struct {
	method  string
	input   string
	answers []answer
	engine  func(t *testing.T, p pair) outcome
	ours    func(t *testing.T, p pair) outcome
}

// enginePrefix converts a prefix the way the engine holds it.
func enginePrefix(t *testing.T, p netip.Prefix) *net.IPNet {
	n, err := types.ParseCIDR(p.String())
	require.NoError(t, err)
	return n
}

// engineData converts IPAM data the way the engine holds it.
func engineData(t *testing.T, data []network.IPAMData) []driverapi.IPAMData {
	if data == nil {
		return nil
	}
	out := make([]driverapi.IPAMData, len(data))
	for i, d := range data {
		out[i].AddressSpace = d.AddressSpace
		if d.Pool.IsValid() {
			out[i].Pool = enginePrefix(t, d.Pool)
		}
		if d.Gateway.IsValid() {
			out[i].Gateway = enginePrefix(t, d.Gateway)
		}
		if d.AuxAddresses != nil {
			out[i].AuxAddresses = make(map[string]*net.IPNet)
			for k, v := range d.AuxAddresses {
				out[i].AuxAddresses[k] = enginePrefix(t, v)
			}
		}
	}
	return out
}

var (
	pools = map[string][]network.IPAMData{
		"none":  nil,
		"empty": {},
		"IPv4 with aux": {{
			AddressSpace: "LocalDefault",
			Pool:         netip.MustParsePrefix("10.10.0.0/16"),
			Gateway:      netip.MustParsePrefix("10.10.0.1/16"),
			AuxAddresses: map[string]netip.Prefix{"router": netip.MustParsePrefix("10.10.0.254/16"), "<dns>": netip.MustParsePrefix("10.10.0.253/16")},
		}},
		"pool only, empty aux": {{Pool: netip.MustParsePrefix("172.18.0.0/16"), AuxAddresses: map[string]netip.Prefix{}}},
		"IPv6": {{
			AddressSpace: "GlobalDefault",
			Pool:         netip.MustParsePrefix("2001:db8:1::/64"),
			Gateway:      netip.MustParsePrefix("2001:db8:1::1/64"),
		}, {AddressSpace: "GlobalDefault", Pool: netip.MustParsePrefix("fd00::/8")}},
	}
	anyOptions = map[string]map[string]any{
		"nil":   nil,
		"empty": {},
		"create": {
			"com.docker.network.generic":     map[string]any{"vlan": "42", "mtu": "1450"},
			"com.docker.network.enable_ipv4": true,
			"com.docker.network.enable_ipv6": false,
			"com.docker.network.internal":    false,
		},
		"sandbox": {
			"com.docker.network.portmap":                      []any{map[string]any{"Proto": 6, "IP": "", "Port": 80, "HostIP": "0.0.0.0", "HostPort": 8080, "HostPortEnd": 8080}},
			"com.docker.network.endpoint.exposedports":        []any{map[string]any{"Proto": 17, "Port": 53}},
			"com.docker.network.driver.private.no_proxy_6to4": true,
			"<&>": "é\u2028",
		},
	}
)

// Every method of the typed client sends the bytes the engine's remote
// driver sends for the same input, and keeps of the answer what the engine
// keeps, with the same error text.
func TestEngineAgrees(t *testing.T) {
	ctx := context.Background()
	var tests []differential
	add := func(d differential) { tests = append(tests, d) }

	for name, opts := range anyOptions {
		add(differential{
			method: "NetworkDriver.GwAllocCheck", input: name,
			answers: successes(`{"SkipIPv4":true}`, `{"SkipIPv4":false,"SkipIPv6":true}`),
			engine: func(t *testing.T, p pair) outcome {
				v4, v6, err := p.reg.driver.(driverapi.GwAllocChecker).GetSkipGwAlloc(options.Generic(opts))
				if err != nil {
					return outcome{Err: err.Error()}
				}
				return outcome{Value: [2]bool{v4, v6}}
			},
			ours: func(t *testing.T, p pair) outcome {
				resp, err := p.ours.GwAllocCheck(ctx, network.GwAllocCheckRequest{Options: opts})
				if err != nil {
					return outcome{Err: err.Error()}
				}
				return outcome{Value: [2]bool{resp.SkipIPv4, resp.SkipIPv6}}
			},
		})
	}
	for pname, data := range pools {
		for oname, opts := range anyOptions {
			add(differential{
				method: "NetworkDriver.CreateNetwork", input: pname + ", " + oname + " options",
				answers: successes(`{}`, `{"Err":""}`),
				engine: func(t *testing.T, p pair) outcome {
					return outcome{Err: errText(p.reg.driver.CreateNetwork(ctx, "n1", opts, nil, engineData(t, data), engineData(t, pools["IPv6"])))}
				},
				ours: func(t *testing.T, p pair) outcome {
					return outcome{Err: errText(p.ours.CreateNetwork(ctx, network.CreateNetworkRequest{
						NetworkID: "n1", Options: opts, IPv4Data: data, IPv6Data: pools["IPv6"],
					}))}
				},
			})
		}
		for _, opts := range []map[string]string{nil, {"com.docker.network.driver.mtu": "1450"}} {
			add(differential{
				method: "NetworkDriver.AllocateNetwork", input: fmt.Sprintf("%s, %v", pname, opts),
				answers: successes(`{"Options":{"vxlanid":"4097"}}`, `{"Options":null}`, `{}`),
				engine: func(t *testing.T, p pair) outcome {
					got, err := p.reg.driver.NetworkAllocate("s1", opts, engineData(t, data), nil)
					if err != nil {
						return outcome{Err: err.Error()}
					}
					return outcome{Value: got}
				},
				ours: func(t *testing.T, p pair) outcome {
					resp, err := p.ours.AllocateNetwork(ctx, network.AllocateNetworkRequest{NetworkID: "s1", Options: opts, IPv4Data: data})
					if err != nil {
						return outcome{Err: err.Error()}
					}
					return outcome{Value: resp.Options}
				},
			})
		}
	}
	add(differential{
		method: "NetworkDriver.DeleteNetwork", answers: successes(`{}`),
		engine: func(t *testing.T, p pair) outcome { return outcome{Err: errText(p.reg.driver.DeleteNetwork("n1"))} },
		ours: func(t *testing.T, p pair) outcome {
			return outcome{Err: errText(p.ours.DeleteNetwork(ctx, network.DeleteNetworkRequest{NetworkID: "n1"}))}
		},
	})
	add(differential{
		method: "NetworkDriver.FreeNetwork", answers: successes(`{}`),
		engine: func(t *testing.T, p pair) outcome { return outcome{Err: errText(p.reg.driver.NetworkFree("s1"))} },
		ours: func(t *testing.T, p pair) outcome {
			return outcome{Err: errText(p.ours.FreeNetwork(ctx, network.FreeNetworkRequest{NetworkID: "s1"}))}
		},
	})
	for _, iface := range []network.EndpointInterface{
		{},
		{Address: "10.10.0.2/16"},
		{Address: "10.10.0.2/16", AddressIPv6: "2001:db8:1::2/64", MacAddress: "02:42:0a:0a:00:02"},
	} {
		// The driver may fill in only what the engine left empty (see
		// TestEngineChecksAfterTheCall for the rest).
		bodies := []string{`{}`, `{"Interface":null}`, `{"Interface":{}}`}
		if iface.MacAddress == "" {
			bodies = append(bodies, `{"Interface":{"MacAddress":"02:42:ac:11:00:09"}}`)
		}
		if iface.Address == "" {
			bodies = append(bodies, `{"Interface":{"Address":"10.10.0.9/16","AddressIPv6":"2001:db8:1::9/64"}}`)
		}
		for _, opts := range []map[string]any{nil, anyOptions["sandbox"]} {
			add(differential{
				method: "NetworkDriver.CreateEndpoint", input: fmt.Sprintf("%+v, %d options", iface, len(opts)),
				answers: successes(bodies...),
				engine: func(t *testing.T, p pair) outcome {
					info := newIfaceInfo(t, iface)
					if err := p.reg.driver.CreateEndpoint(ctx, "n1", "e1", info, opts); err != nil {
						return outcome{Err: err.Error()}
					}
					return outcome{Value: info.result()}
				},
				ours: func(t *testing.T, p pair) outcome {
					resp, err := p.ours.CreateEndpoint(ctx, network.CreateEndpointRequest{NetworkID: "n1", EndpointID: "e1", Interface: &iface, Options: opts})
					if err != nil {
						return outcome{Err: err.Error()}
					}
					// What the engine keeps: the request's interface, with
					// what the answer filled in.
					got := iface
					if in := resp.Interface; in != nil {
						fill(&got.Address, in.Address)
						fill(&got.AddressIPv6, in.AddressIPv6)
						fill(&got.MacAddress, in.MacAddress)
					}
					return outcome{Value: got}
				},
			})
		}
	}
	add(differential{
		method: "NetworkDriver.DeleteEndpoint", answers: successes(`{}`),
		engine: func(t *testing.T, p pair) outcome {
			return outcome{Err: errText(p.reg.driver.DeleteEndpoint("n1", "e1"))}
		},
		ours: func(t *testing.T, p pair) outcome {
			return outcome{Err: errText(p.ours.DeleteEndpoint(ctx, network.DeleteEndpointRequest{NetworkID: "n1", EndpointID: "e1"}))}
		},
	})
	add(differential{
		method:  "NetworkDriver.EndpointOperInfo",
		answers: successes(`{"Value":{"com.docker.network.portmap":[{"Proto":6,"Port":80}],"mtu":1500,"up":true,"name":"x"}}`, `{"Value":null}`),
		engine: func(t *testing.T, p pair) outcome {
			v, err := p.reg.driver.EndpointOperInfo("n1", "e1")
			if err != nil {
				return outcome{Err: err.Error()}
			}
			return outcome{Value: v}
		},
		ours: func(t *testing.T, p pair) outcome {
			resp, err := p.ours.EndpointOperInfo(ctx, network.EndpointInfoRequest{NetworkID: "n1", EndpointID: "e1"})
			if err != nil {
				return outcome{Err: err.Error()}
			}
			return outcome{Value: resp.Value}
		},
	})
	for oname, opts := range anyOptions {
		add(differential{
			method: "NetworkDriver.Join", input: oname + " options",
			answers: successes(
				`{}`,
				`{"InterfaceName":null,"Gateway":"","StaticRoutes":null}`,
				`{"InterfaceName":{"SrcName":"veth1","DstName":"ignored","DstPrefix":"eth"},"Gateway":"10.10.0.1","GatewayIPv6":"2001:db8:1::1",`+
					`"StaticRoutes":[{"Destination":"10.20.0.0/16","RouteType":0,"NextHop":"10.10.0.254"},{"Destination":"10.30.0.5/16","RouteType":1}],`+
					`"DisableGatewayService":true}`,
				`{"InterfaceName":{"SrcName":"","DstPrefix":""},"StaticRoutes":[]}`,
			),
			engine: func(t *testing.T, p pair) outcome {
				info := &joinInfo{}
				// The endpoint's options are not sent: only the sandbox's.
				if err := p.reg.driver.Join(ctx, "n1", "e1", "/var/run/docker/netns/c1", info, map[string]any{"ep": "unsent"}, opts); err != nil {
					return outcome{Err: err.Error()}
				}
				return outcome{Value: info.joined}
			},
			ours: func(t *testing.T, p pair) outcome {
				resp, err := p.ours.Join(ctx, network.JoinRequest{NetworkID: "n1", EndpointID: "e1", SandboxKey: "/var/run/docker/netns/c1", Options: opts})
				if err != nil {
					return outcome{Err: err.Error()}
				}
				return outcome{Value: keptOfJoin(t, resp)}
			},
		})
	}
	add(differential{
		method: "NetworkDriver.Leave", answers: successes(`{}`),
		engine: func(t *testing.T, p pair) outcome { return outcome{Err: errText(p.reg.driver.Leave("n1", "e1"))} },
		ours: func(t *testing.T, p pair) outcome {
			return outcome{Err: errText(p.ours.Leave(ctx, network.LeaveRequest{NetworkID: "n1", EndpointID: "e1"}))}
		},
	})
	for oname, opts := range anyOptions {
		add(differential{
			method: "NetworkDriver.ProgramExternalConnectivity", input: oname + " options", answers: successes(`{}`),
			engine: func(t *testing.T, p pair) outcome {
				return outcome{Err: errText(p.reg.driver.ProgramExternalConnectivity(ctx, "n1", "e1", opts))}
			},
			ours: func(t *testing.T, p pair) outcome {
				return outcome{Err: errText(p.ours.ProgramExternalConnectivity(ctx, network.ProgramExternalConnectivityRequest{NetworkID: "n1", EndpointID: "e1", Options: opts}))}
			},
		})
	}
	add(differential{
		method: "NetworkDriver.RevokeExternalConnectivity", answers: successes(`{}`),
		engine: func(t *testing.T, p pair) outcome {
			return outcome{Err: errText(p.reg.driver.RevokeExternalConnectivity("n1", "e1"))}
		},
		ours: func(t *testing.T, p pair) outcome {
			return outcome{Err: errText(p.ours.RevokeExternalConnectivity(ctx, network.RevokeExternalConnectivityRequest{NetworkID: "n1", EndpointID: "e1"}))}
		},
	})
	for _, node := range []discoverapi.NodeDiscoveryData{{Address: "192.168.1.5", Self: true}, {Address: "2001:db8::5"}} {
		ourNode := network.NodeDiscoveryData{Address: node.Address, BindAddress: node.BindAddress, Self: node.Self}
		add(differential{
			method: "NetworkDriver.DiscoverNew", input: node.Address, answers: successes(`{}`),
			engine: func(t *testing.T, p pair) outcome {
				return outcome{Err: errText(p.reg.driver.(discoverapi.Discover).DiscoverNew(discoverapi.NodeDiscovery, node))}
			},
			ours: func(t *testing.T, p pair) outcome {
				return outcome{Err: errText(p.ours.DiscoverNew(ctx, network.DiscoveryNotification{DiscoveryType: network.NodeDiscovery, DiscoveryData: ourNode}))}
			},
		})
		add(differential{
			method: "NetworkDriver.DiscoverDelete", input: node.Address, answers: successes(`{}`),
			engine: func(t *testing.T, p pair) outcome {
				return outcome{Err: errText(p.reg.driver.(discoverapi.Discover).DiscoverDelete(discoverapi.NodeDiscovery, node))}
			},
			ours: func(t *testing.T, p pair) outcome {
				return outcome{Err: errText(p.ours.DiscoverDelete(ctx, network.DiscoveryNotification{DiscoveryType: network.NodeDiscovery, DiscoveryData: ourNode}))}
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
					p.fp.Handle(d.method, a.handler).
						// The engine's rollbacks, after an answer it cannot use.
						Handle("NetworkDriver.DeleteEndpoint", raw(`{}`)).
						Handle("NetworkDriver.Leave", raw(`{}`))
					if d.method == "NetworkDriver.DeleteEndpoint" || d.method == "NetworkDriver.Leave" {
						p.fp.Handle(d.method, a.handler)
					}
					eng := d.engine(t, p)
					ours := d.ours(t, p)
					if a.decodeFails {
						assert.NotEmpty(t, eng.Err)
						assert.NotEmpty(t, ours.Err)
					} else {
						assert.Equal(t, eng, ours)
					}
					calls := p.fp.Calls(d.method)
					require.Len(t, calls, 2, "one call each, no rollback")
					assert.Equal(t, string(calls[0].Body), string(calls[1].Body), "the same bytes")
					assert.Equal(t, calls[0].ContentLength, calls[1].ContentLength)
					assert.Equal(t, calls[0].Header.Get("Accept"), calls[1].Header.Get("Accept"))
				})
			}
		})
	}
	// GetCapabilities is in TestEngineAgreesOnCapabilities.
	assert.Len(t, seen, 14, "every other method")
}

// The engine reads the capabilities once, when it registers the driver: it
// registers it with what the typed client returns, and refuses it when the
// typed client fails, with the same error.
func TestEngineAgreesOnCapabilities(t *testing.T) {
	ctx := context.Background()
	type caps struct {
		Scope, ConnectivityScope string
		GwAllocChecker           bool
	}
	p := newPair(t)
	for _, a := range successes(
		`{"Scope":"local"}`,
		`{"Scope":"global","ConnectivityScope":"local","GwAllocChecker":true}`,
		`{"Scope":"local","ConnectivityScope":"global","GwAllocChecker":false,"Err":""}`,
	) {
		t.Run(a.name, func(t *testing.T) {
			p.fp.Handle("NetworkDriver.GetCapabilities", a.handler)
			engineLog.take()
			p.activate()
			var eng outcome
			if p.reg.driver != nil {
				// GwAllocChecker: whether the engine sends GwAllocCheck.
				p.fp.Handle("NetworkDriver.GwAllocCheck", raw(`{}`))
				before := len(p.fp.Calls("NetworkDriver.GwAllocCheck"))
				_, _, err := p.reg.driver.(driverapi.GwAllocChecker).GetSkipGwAlloc(nil)
				require.NoError(t, err)
				checks := len(p.fp.Calls("NetworkDriver.GwAllocCheck")) > before
				eng.Value = caps{p.reg.capability.DataScope, p.reg.capability.ConnectivityScope, checks}
			} else {
				// The engine's client may log too: the driver's message is last.
				logged := engineLog.take()
				require.NotEmpty(t, logged)
				var ok bool
				eng.Err, ok = strings.CutPrefix(logged[len(logged)-1], "error getting capability for mynet due to ")
				require.True(t, ok, logged)
			}

			resp, err := p.ours.GetCapabilities(ctx)
			ours := outcome{Err: errText(err)}
			if err == nil {
				// What the engine registers: an empty connectivity scope is
				// the scope.
				conn := resp.ConnectivityScope
				if conn == "" {
					conn = resp.Scope
				}
				ours.Value = caps{resp.Scope, conn, resp.GwAllocChecker}
			}
			if a.decodeFails {
				assert.NotEmpty(t, eng.Err)
				assert.NotEmpty(t, ours.Err)
			} else {
				assert.Equal(t, eng, ours)
			}
			calls := p.fp.Calls("NetworkDriver.GetCapabilities")
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

	t.Run("GetCapabilities with an unknown scope", func(t *testing.T) {
		p := newPair(t)
		p.fp.Handle("NetworkDriver.GetCapabilities", raw(`{"Scope":"local","ConnectivityScope":"cluster"}`))
		engineLog.take()
		p.activate()
		assert.Nil(t, p.reg.driver, "not registered")
		assert.Equal(t, []string{"error getting capability for mynet due to invalid capability: expecting 'local' or 'global', got local"}, engineLog.take(),
			"the message names Scope, not the ConnectivityScope at fault")
		resp, err := p.ours.GetCapabilities(ctx)
		require.NoError(t, err)
		assert.Equal(t, "cluster", resp.ConnectivityScope)
	})

	t.Run("GwAllocCheck not advertised", func(t *testing.T) {
		p := newPair(t)
		p.fp.Handle("NetworkDriver.GetCapabilities", raw(`{"Scope":"local"}`))
		p.activate()
		v4, v6, err := p.reg.driver.(driverapi.GwAllocChecker).GetSkipGwAlloc(nil)
		require.NoError(t, err)
		assert.False(t, v4 || v6)
		assert.Empty(t, p.fp.Calls("NetworkDriver.GwAllocCheck"), "not sent")
	})

	t.Run("Join with a gateway in CIDR form", func(t *testing.T) {
		p := newPair(t)
		p.fp.Handle("NetworkDriver.Join", raw(`{"Gateway":"10.10.0.1/16"}`)).Handle("NetworkDriver.Leave", raw(`{}`))
		err := p.reg.driver.Join(ctx, "n1", "e1", "/sb", &joinInfo{}, nil, nil)
		assert.EqualError(t, err, `unable to parse Gateway "10.10.0.1/16"; rolled back`)
		assert.Len(t, p.fp.Calls("NetworkDriver.Leave"), 1, "rolled back with Leave")
		resp, err := p.ours.Join(ctx, network.JoinRequest{NetworkID: "n1", EndpointID: "e1"})
		require.NoError(t, err)
		assert.Equal(t, "10.10.0.1/16", resp.Gateway)
	})

	t.Run("CreateEndpoint answering what was assigned", func(t *testing.T) {
		p := newPair(t)
		p.fp.Handle("NetworkDriver.CreateEndpoint", raw(`{"Interface":{"Address":"10.10.0.9/16"}}`)).
			Handle("NetworkDriver.DeleteEndpoint", raw(`{"Err":"gone"}`))
		err := p.reg.driver.CreateEndpoint(ctx, "n1", "e1", newIfaceInfo(t, network.EndpointInterface{Address: "10.10.0.2/16"}), nil)
		assert.EqualError(t, err, "remote: gone; failed to roll back: driver modified interface address: address already set")
		assert.Len(t, p.fp.Calls("NetworkDriver.DeleteEndpoint"), 1)
	})

	t.Run("ProgramExternalConnectivity answering 404 with a body", func(t *testing.T) {
		p := newPair(t)
		p.fp.Handle("NetworkDriver.ProgramExternalConnectivity", pluginstest.ReplyError(http.StatusNotFound, "no such endpoint"))
		assert.NoError(t, p.reg.driver.ProgramExternalConnectivity(ctx, "n1", "e1", nil), "any 404 is success")
		assert.NoError(t, p.ours.ProgramExternalConnectivity(ctx, network.ProgramExternalConnectivityRequest{}))
	})

	t.Run("discovery other than of nodes", func(t *testing.T) {
		p := newPair(t)
		err := p.reg.driver.(discoverapi.Discover).DiscoverNew(discoverapi.EncryptionKeysConfig, discoverapi.DriverEncryptionConfig{})
		require.NoError(t, err)
		assert.Empty(t, p.fp.Calls("NetworkDriver.DiscoverNew"), "not forwarded to plugins")
	})
}

// ifaceInfo is an endpoint's interface as the engine's CreateEndpoint sees
// it: set once, by the engine or by the driver.
type ifaceInfo struct {
	addr, addrv6 *net.IPNet
	mac          net.HardwareAddr
}

func newIfaceInfo(t *testing.T, in network.EndpointInterface) *ifaceInfo {
	i := &ifaceInfo{}
	var err error
	if in.Address != "" {
		i.addr, err = types.ParseCIDR(in.Address)
		require.NoError(t, err)
	}
	if in.AddressIPv6 != "" {
		i.addrv6, err = types.ParseCIDR(in.AddressIPv6)
		require.NoError(t, err)
	}
	if in.MacAddress != "" {
		i.mac, err = net.ParseMAC(in.MacAddress)
		require.NoError(t, err)
	}
	return i
}

func (i *ifaceInfo) SetMacAddress(mac net.HardwareAddr) error {
	if i.mac != nil {
		return errors.New("MAC address already set")
	}
	i.mac = mac
	return nil
}

func (i *ifaceInfo) SetIPAddress(ip *net.IPNet) error {
	dst := &i.addrv6
	if ip.IP.To4() != nil {
		dst = &i.addr
	}
	if *dst != nil {
		return errors.New("address already set")
	}
	*dst = ip
	return nil
}

func (i *ifaceInfo) MacAddress() net.HardwareAddr { return i.mac }
func (i *ifaceInfo) Address() *net.IPNet          { return i.addr }
func (i *ifaceInfo) AddressIPv6() *net.IPNet      { return i.addrv6 }
func (*ifaceInfo) NetnsPath() string              { return "" }
func (*ifaceInfo) SetCreatedInContainer(bool)     {}

// result is the interface in the wire's form.
func (i *ifaceInfo) result() network.EndpointInterface {
	var out network.EndpointInterface
	if i.addr != nil {
		out.Address = i.addr.String()
	}
	if i.addrv6 != nil {
		out.AddressIPv6 = i.addrv6.String()
	}
	if i.mac != nil {
		out.MacAddress = i.mac.String()
	}
	return out
}

// fill sets *dst to src, unless src is empty.
func fill(dst *string, src string) {
	if src != "" {
		*dst = src
	}
}

// joined is what the engine keeps of a Join answer.
type joined struct {
	SrcName, DstPrefix   string
	Gateway, GatewayIPv6 string
	Routes               []string
	NoGatewayService     bool
}

// joinInfo is a sandbox's join as the engine's Join fills it.
type joinInfo struct{ joined joined }

type names struct{ j *joined }

func (n names) SetNames(src, dstPrefix, dstName string) error {
	if dstName != "" {
		return errors.New("the engine never sets DstName")
	}
	n.j.SrcName, n.j.DstPrefix = src, dstPrefix
	return nil
}

func (j *joinInfo) InterfaceName() driverapi.InterfaceNameInfo { return names{&j.joined} }
func (j *joinInfo) SetGateway(ip net.IP) error                 { j.joined.Gateway = ip.String(); return nil }
func (j *joinInfo) SetGatewayIPv6(ip net.IP) error             { j.joined.GatewayIPv6 = ip.String(); return nil }
func (j *joinInfo) AddStaticRoute(dst *net.IPNet, routeType int, nextHop net.IP) error {
	j.joined.Routes = append(j.joined.Routes, fmt.Sprintf("%v %d %v", dst, routeType, nextHop))
	return nil
}
func (j *joinInfo) DisableGatewayService()                   { j.joined.NoGatewayService = true }
func (*joinInfo) AddTableEntry(string, string, []byte) error { return nil }

// keptOfJoin is what the engine would keep of the typed client's answer.
func keptOfJoin(t *testing.T, resp network.JoinResponse) joined {
	var j joined
	if resp.InterfaceName != nil {
		j.SrcName, j.DstPrefix = resp.InterfaceName.SrcName, resp.InterfaceName.DstPrefix
	}
	if resp.Gateway != "" {
		j.Gateway = net.ParseIP(resp.Gateway).String()
	}
	if resp.GatewayIPv6 != "" {
		j.GatewayIPv6 = net.ParseIP(resp.GatewayIPv6).String()
	}
	for _, r := range resp.StaticRoutes {
		var dst *net.IPNet
		if r.Destination != "" {
			var err error
			dst, err = types.ParseCIDR(r.Destination)
			require.NoError(t, err)
		}
		var hop net.IP
		if r.NextHop != "" {
			hop = net.ParseIP(r.NextHop)
		}
		j.Routes = append(j.Routes, fmt.Sprintf("%v %d %v", dst, int(r.RouteType), hop))
	}
	j.NoGatewayService = resp.DisableGatewayService
	return j
}
