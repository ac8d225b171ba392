package network_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"testing"

	"github.com/docker/docker/libnetwork/discoverapi"
	"github.com/docker/docker/libnetwork/driverapi"
	"github.com/docker/docker/libnetwork/drivers/remote"
	"github.com/docker/docker/libnetwork/options"
	"github.com/docker/docker/libnetwork/types"
	"github.com/docker/docker/pkg/plugingetter"
	"github.com/go-dockerplugins/plugins/internal/typedtest"
	"github.com/go-dockerplugins/plugins/interop/internal/enginetest"
	"github.com/go-dockerplugins/plugins/network"
	"github.com/go-dockerplugins/plugins/pluginstest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// engineLog keeps what the engine logs: its remote driver only logs the
// error of GetCapabilities.
var engineLog enginetest.LogHook

func TestMain(m *testing.M) {
	enginetest.CaptureLogs(&engineLog)
	os.Exit(m.Run())
}

// fixture serves the plugin and makes typed clients of it.
var fixture = typedtest.Fixture[*network.Client]{Name: "mynet", Interface: network.Interface, FromPlugin: network.FromPlugin}

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
type pair = enginetest.Remote[*network.Client, registry]

// newPair serves a plugin and has the engine's remote driver register it,
// as the engine does when it activates a network plugin.
func newPair(t *testing.T) pair {
	t.Helper()
	p := enginetest.NewRemote(t, fixture, func(r *registry, g plugingetter.PluginGetter) error { return remote.Register(r, g) })
	p.Fake.Handle("NetworkDriver.GetCapabilities", typedtest.Raw(`{"Scope":"local","GwAllocChecker":true}`))
	p.Activate()
	require.NotNil(t, p.Reg.driver, "registered")
	return p
}

// errAnswers are the failures every method can meet.
var errAnswers = []enginetest.Answer{
	{Name: "Err in a 200 answer", Handler: typedtest.Raw(`{"Err":"no such network: 100% gone","Value":{"a":1}}`)},
	{Name: "Err in lower case", Handler: typedtest.Raw(`{"err":"matched as encoding/json matches"}`)},
	{Name: "500 from the SDK", Handler: pluginstest.ReplyError(http.StatusInternalServerError, "network n1 exists")},
	{Name: "500 with a text body", Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "panic: boom", http.StatusInternalServerError)
	})},
	{Name: "404 from Go's mux", Handler: http.NotFoundHandler()},
	{Name: "empty 200 answer", Handler: typedtest.Raw(""), DecodeFails: true},
	{Name: "a 200 answer that is a JSON string", Handler: typedtest.Raw(`"not an object"`), DecodeFails: true},
}

func successes(bodies ...string) []enginetest.Answer {
	return enginetest.Successes(errAnswers, bodies...)
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
	var tests []enginetest.Differential[pair]
	add := func(d enginetest.Differential[pair]) { tests = append(tests, d) }

	for name, opts := range anyOptions {
		add(enginetest.Differential[pair]{
			Method: "NetworkDriver.GwAllocCheck", Input: name,
			Answers: successes(`{"SkipIPv4":true}`, `{"SkipIPv4":false,"SkipIPv6":true}`),
			Engine: func(t *testing.T, p pair) enginetest.Outcome {
				v4, v6, err := p.Reg.driver.(driverapi.GwAllocChecker).GetSkipGwAlloc(options.Generic(opts))
				if err != nil {
					return enginetest.Outcome{Err: err.Error()}
				}
				return enginetest.Outcome{Value: [2]bool{v4, v6}}
			},
			Ours: func(t *testing.T, p pair) enginetest.Outcome {
				resp, err := p.Ours.GwAllocCheck(ctx, network.GwAllocCheckRequest{Options: opts})
				if err != nil {
					return enginetest.Outcome{Err: err.Error()}
				}
				return enginetest.Outcome{Value: [2]bool{resp.SkipIPv4, resp.SkipIPv6}}
			},
		})
	}
	for pname, data := range pools {
		for oname, opts := range anyOptions {
			add(enginetest.Differential[pair]{
				Method: "NetworkDriver.CreateNetwork", Input: pname + ", " + oname + " options",
				Answers: successes(`{}`, `{"Err":""}`),
				Engine: func(t *testing.T, p pair) enginetest.Outcome {
					return enginetest.Outcome{Err: enginetest.ErrText(p.Reg.driver.CreateNetwork(ctx, "n1", opts, nil, engineData(t, data), engineData(t, pools["IPv6"])))}
				},
				Ours: func(t *testing.T, p pair) enginetest.Outcome {
					return enginetest.Outcome{Err: enginetest.ErrText(p.Ours.CreateNetwork(ctx, network.CreateNetworkRequest{
						NetworkID: "n1", Options: opts, IPv4Data: data, IPv6Data: pools["IPv6"],
					}))}
				},
			})
		}
		for _, opts := range []map[string]string{nil, {"com.docker.network.driver.mtu": "1450"}} {
			add(enginetest.Differential[pair]{
				Method: "NetworkDriver.AllocateNetwork", Input: fmt.Sprintf("%s, %v", pname, opts),
				Answers: successes(`{"Options":{"vxlanid":"4097"}}`, `{"Options":null}`, `{}`),
				Engine: func(t *testing.T, p pair) enginetest.Outcome {
					got, err := p.Reg.driver.NetworkAllocate("s1", opts, engineData(t, data), nil)
					if err != nil {
						return enginetest.Outcome{Err: err.Error()}
					}
					return enginetest.Outcome{Value: got}
				},
				Ours: func(t *testing.T, p pair) enginetest.Outcome {
					resp, err := p.Ours.AllocateNetwork(ctx, network.AllocateNetworkRequest{NetworkID: "s1", Options: opts, IPv4Data: data})
					if err != nil {
						return enginetest.Outcome{Err: err.Error()}
					}
					return enginetest.Outcome{Value: resp.Options}
				},
			})
		}
	}
	add(enginetest.Differential[pair]{
		Method: "NetworkDriver.DeleteNetwork", Answers: successes(`{}`),
		Engine: func(t *testing.T, p pair) enginetest.Outcome {
			return enginetest.Outcome{Err: enginetest.ErrText(p.Reg.driver.DeleteNetwork("n1"))}
		},
		Ours: func(t *testing.T, p pair) enginetest.Outcome {
			return enginetest.Outcome{Err: enginetest.ErrText(p.Ours.DeleteNetwork(ctx, network.DeleteNetworkRequest{NetworkID: "n1"}))}
		},
	})
	add(enginetest.Differential[pair]{
		Method: "NetworkDriver.FreeNetwork", Answers: successes(`{}`),
		Engine: func(t *testing.T, p pair) enginetest.Outcome {
			return enginetest.Outcome{Err: enginetest.ErrText(p.Reg.driver.NetworkFree("s1"))}
		},
		Ours: func(t *testing.T, p pair) enginetest.Outcome {
			return enginetest.Outcome{Err: enginetest.ErrText(p.Ours.FreeNetwork(ctx, network.FreeNetworkRequest{NetworkID: "s1"}))}
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
			add(enginetest.Differential[pair]{
				Method: "NetworkDriver.CreateEndpoint", Input: fmt.Sprintf("%+v, %d options", iface, len(opts)),
				Answers: successes(bodies...),
				Engine: func(t *testing.T, p pair) enginetest.Outcome {
					info := newIfaceInfo(t, iface)
					if err := p.Reg.driver.CreateEndpoint(ctx, "n1", "e1", info, opts); err != nil {
						return enginetest.Outcome{Err: err.Error()}
					}
					return enginetest.Outcome{Value: info.result()}
				},
				Ours: func(t *testing.T, p pair) enginetest.Outcome {
					resp, err := p.Ours.CreateEndpoint(ctx, network.CreateEndpointRequest{NetworkID: "n1", EndpointID: "e1", Interface: &iface, Options: opts})
					if err != nil {
						return enginetest.Outcome{Err: err.Error()}
					}
					// What the engine keeps: the request's interface, with
					// what the answer filled in.
					got := iface
					if in := resp.Interface; in != nil {
						fill(&got.Address, in.Address)
						fill(&got.AddressIPv6, in.AddressIPv6)
						fill(&got.MacAddress, in.MacAddress)
					}
					return enginetest.Outcome{Value: got}
				},
			})
		}
	}
	add(enginetest.Differential[pair]{
		Method: "NetworkDriver.DeleteEndpoint", Answers: successes(`{}`),
		Engine: func(t *testing.T, p pair) enginetest.Outcome {
			return enginetest.Outcome{Err: enginetest.ErrText(p.Reg.driver.DeleteEndpoint("n1", "e1"))}
		},
		Ours: func(t *testing.T, p pair) enginetest.Outcome {
			return enginetest.Outcome{Err: enginetest.ErrText(p.Ours.DeleteEndpoint(ctx, network.DeleteEndpointRequest{NetworkID: "n1", EndpointID: "e1"}))}
		},
	})
	add(enginetest.Differential[pair]{
		Method:  "NetworkDriver.EndpointOperInfo",
		Answers: successes(`{"Value":{"com.docker.network.portmap":[{"Proto":6,"Port":80}],"mtu":1500,"up":true,"name":"x"}}`, `{"Value":null}`),
		Engine: func(t *testing.T, p pair) enginetest.Outcome {
			v, err := p.Reg.driver.EndpointOperInfo("n1", "e1")
			if err != nil {
				return enginetest.Outcome{Err: err.Error()}
			}
			return enginetest.Outcome{Value: v}
		},
		Ours: func(t *testing.T, p pair) enginetest.Outcome {
			resp, err := p.Ours.EndpointOperInfo(ctx, network.EndpointInfoRequest{NetworkID: "n1", EndpointID: "e1"})
			if err != nil {
				return enginetest.Outcome{Err: err.Error()}
			}
			return enginetest.Outcome{Value: resp.Value}
		},
	})
	for oname, opts := range anyOptions {
		add(enginetest.Differential[pair]{
			Method: "NetworkDriver.Join", Input: oname + " options",
			Answers: successes(
				`{}`,
				`{"InterfaceName":null,"Gateway":"","StaticRoutes":null}`,
				`{"InterfaceName":{"SrcName":"veth1","DstName":"ignored","DstPrefix":"eth"},"Gateway":"10.10.0.1","GatewayIPv6":"2001:db8:1::1",`+
					`"StaticRoutes":[{"Destination":"10.20.0.0/16","RouteType":0,"NextHop":"10.10.0.254"},{"Destination":"10.30.0.5/16","RouteType":1}],`+
					`"DisableGatewayService":true}`,
				`{"InterfaceName":{"SrcName":"","DstPrefix":""},"StaticRoutes":[]}`,
			),
			Engine: func(t *testing.T, p pair) enginetest.Outcome {
				info := &joinInfo{}
				// The endpoint's options are not sent: only the sandbox's.
				if err := p.Reg.driver.Join(ctx, "n1", "e1", "/var/run/docker/netns/c1", info, map[string]any{"ep": "unsent"}, opts); err != nil {
					return enginetest.Outcome{Err: err.Error()}
				}
				return enginetest.Outcome{Value: info.joined}
			},
			Ours: func(t *testing.T, p pair) enginetest.Outcome {
				resp, err := p.Ours.Join(ctx, network.JoinRequest{NetworkID: "n1", EndpointID: "e1", SandboxKey: "/var/run/docker/netns/c1", Options: opts})
				if err != nil {
					return enginetest.Outcome{Err: err.Error()}
				}
				return enginetest.Outcome{Value: keptOfJoin(t, resp)}
			},
		})
	}
	add(enginetest.Differential[pair]{
		Method: "NetworkDriver.Leave", Answers: successes(`{}`),
		Engine: func(t *testing.T, p pair) enginetest.Outcome {
			return enginetest.Outcome{Err: enginetest.ErrText(p.Reg.driver.Leave("n1", "e1"))}
		},
		Ours: func(t *testing.T, p pair) enginetest.Outcome {
			return enginetest.Outcome{Err: enginetest.ErrText(p.Ours.Leave(ctx, network.LeaveRequest{NetworkID: "n1", EndpointID: "e1"}))}
		},
	})
	for oname, opts := range anyOptions {
		add(enginetest.Differential[pair]{
			Method: "NetworkDriver.ProgramExternalConnectivity", Input: oname + " options", Answers: successes(`{}`),
			Engine: func(t *testing.T, p pair) enginetest.Outcome {
				return enginetest.Outcome{Err: enginetest.ErrText(p.Reg.driver.ProgramExternalConnectivity(ctx, "n1", "e1", opts))}
			},
			Ours: func(t *testing.T, p pair) enginetest.Outcome {
				return enginetest.Outcome{Err: enginetest.ErrText(p.Ours.ProgramExternalConnectivity(ctx, network.ProgramExternalConnectivityRequest{NetworkID: "n1", EndpointID: "e1", Options: opts}))}
			},
		})
	}
	add(enginetest.Differential[pair]{
		Method: "NetworkDriver.RevokeExternalConnectivity", Answers: successes(`{}`),
		Engine: func(t *testing.T, p pair) enginetest.Outcome {
			return enginetest.Outcome{Err: enginetest.ErrText(p.Reg.driver.RevokeExternalConnectivity("n1", "e1"))}
		},
		Ours: func(t *testing.T, p pair) enginetest.Outcome {
			return enginetest.Outcome{Err: enginetest.ErrText(p.Ours.RevokeExternalConnectivity(ctx, network.RevokeExternalConnectivityRequest{NetworkID: "n1", EndpointID: "e1"}))}
		},
	})
	for _, node := range []discoverapi.NodeDiscoveryData{{Address: "192.168.1.5", Self: true}, {Address: "2001:db8::5"}} {
		ourNode := network.NodeDiscoveryData{Address: node.Address, BindAddress: node.BindAddress, Self: node.Self}
		add(enginetest.Differential[pair]{
			Method: "NetworkDriver.DiscoverNew", Input: node.Address, Answers: successes(`{}`),
			Engine: func(t *testing.T, p pair) enginetest.Outcome {
				return enginetest.Outcome{Err: enginetest.ErrText(p.Reg.driver.(discoverapi.Discover).DiscoverNew(discoverapi.NodeDiscovery, node))}
			},
			Ours: func(t *testing.T, p pair) enginetest.Outcome {
				return enginetest.Outcome{Err: enginetest.ErrText(p.Ours.DiscoverNew(ctx, network.DiscoveryNotification{DiscoveryType: network.NodeDiscovery, DiscoveryData: ourNode}))}
			},
		})
		add(enginetest.Differential[pair]{
			Method: "NetworkDriver.DiscoverDelete", Input: node.Address, Answers: successes(`{}`),
			Engine: func(t *testing.T, p pair) enginetest.Outcome {
				return enginetest.Outcome{Err: enginetest.ErrText(p.Reg.driver.(discoverapi.Discover).DiscoverDelete(discoverapi.NodeDiscovery, node))}
			},
			Ours: func(t *testing.T, p pair) enginetest.Outcome {
				return enginetest.Outcome{Err: enginetest.ErrText(p.Ours.DiscoverDelete(ctx, network.DiscoveryNotification{DiscoveryType: network.NodeDiscovery, DiscoveryData: ourNode}))}
			},
		})
	}

	seen := enginetest.RunDifferentials(t, tests, func(t *testing.T, method string, answer http.Handler) (pair, *pluginstest.Plugin) {
		p := newPair(t)
		p.Fake.Handle(method, answer).
			// The engine's rollbacks, after an answer it cannot use.
			Handle("NetworkDriver.DeleteEndpoint", typedtest.Raw(`{}`)).
			Handle("NetworkDriver.Leave", typedtest.Raw(`{}`))
		if method == "NetworkDriver.DeleteEndpoint" || method == "NetworkDriver.Leave" {
			p.Fake.Handle(method, answer)
		}
		return p, p.Fake
	})
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
		t.Run(a.Name, func(t *testing.T) {
			p.Fake.Handle("NetworkDriver.GetCapabilities", a.Handler)
			engineLog.TakeMessages()
			p.Activate()
			var eng enginetest.Outcome
			if p.Reg.driver != nil {
				// GwAllocChecker: whether the engine sends GwAllocCheck.
				p.Fake.Handle("NetworkDriver.GwAllocCheck", typedtest.Raw(`{}`))
				before := len(p.Fake.Calls("NetworkDriver.GwAllocCheck"))
				_, _, err := p.Reg.driver.(driverapi.GwAllocChecker).GetSkipGwAlloc(nil)
				require.NoError(t, err)
				checks := len(p.Fake.Calls("NetworkDriver.GwAllocCheck")) > before
				eng.Value = caps{p.Reg.capability.DataScope, p.Reg.capability.ConnectivityScope, checks}
			} else {
				// The engine's client may log too: the driver's message is last.
				logged := engineLog.TakeMessages()
				require.NotEmpty(t, logged)
				var ok bool
				eng.Err, ok = strings.CutPrefix(logged[len(logged)-1], "error getting capability for mynet due to ")
				require.True(t, ok, logged)
			}

			resp, err := p.Ours.GetCapabilities(ctx)
			ours := enginetest.Outcome{Err: enginetest.ErrText(err)}
			if err == nil {
				// What the engine registers: an empty connectivity scope is
				// the scope.
				conn := resp.ConnectivityScope
				if conn == "" {
					conn = resp.Scope
				}
				ours.Value = caps{resp.Scope, conn, resp.GwAllocChecker}
			}
			if a.DecodeFails {
				assert.NotEmpty(t, eng.Err)
				assert.NotEmpty(t, ours.Err)
			} else {
				assert.Equal(t, eng, ours)
			}
			enginetest.BodilessCalls(t, p.Fake, "NetworkDriver.GetCapabilities")
		})
	}
}

// What the typed client leaves to its caller, the engine checks after the
// call: the doc comments say so, and this is how the engine behaves.
func TestEngineChecksAfterTheCall(t *testing.T) {
	ctx := context.Background()

	t.Run("GetCapabilities with an unknown scope", func(t *testing.T) {
		p := newPair(t)
		p.Fake.Handle("NetworkDriver.GetCapabilities", typedtest.Raw(`{"Scope":"local","ConnectivityScope":"cluster"}`))
		engineLog.TakeMessages()
		p.Activate()
		assert.Nil(t, p.Reg.driver, "not registered")
		assert.Equal(t, []string{"error getting capability for mynet due to invalid capability: expecting 'local' or 'global', got local"}, engineLog.TakeMessages(),
			"the message names Scope, not the ConnectivityScope at fault")
		resp, err := p.Ours.GetCapabilities(ctx)
		require.NoError(t, err)
		assert.Equal(t, "cluster", resp.ConnectivityScope)
	})

	t.Run("GwAllocCheck not advertised", func(t *testing.T) {
		p := newPair(t)
		p.Fake.Handle("NetworkDriver.GetCapabilities", typedtest.Raw(`{"Scope":"local"}`))
		p.Activate()
		v4, v6, err := p.Reg.driver.(driverapi.GwAllocChecker).GetSkipGwAlloc(nil)
		require.NoError(t, err)
		assert.False(t, v4 || v6)
		assert.Empty(t, p.Fake.Calls("NetworkDriver.GwAllocCheck"), "not sent")
	})

	t.Run("Join with a gateway in CIDR form", func(t *testing.T) {
		p := newPair(t)
		p.Fake.Handle("NetworkDriver.Join", typedtest.Raw(`{"Gateway":"10.10.0.1/16"}`)).Handle("NetworkDriver.Leave", typedtest.Raw(`{}`))
		err := p.Reg.driver.Join(ctx, "n1", "e1", "/sb", &joinInfo{}, nil, nil)
		assert.EqualError(t, err, `unable to parse Gateway "10.10.0.1/16"; rolled back`)
		assert.Len(t, p.Fake.Calls("NetworkDriver.Leave"), 1, "rolled back with Leave")
		resp, err := p.Ours.Join(ctx, network.JoinRequest{NetworkID: "n1", EndpointID: "e1"})
		require.NoError(t, err)
		assert.Equal(t, "10.10.0.1/16", resp.Gateway)
	})

	t.Run("CreateEndpoint answering what was assigned", func(t *testing.T) {
		p := newPair(t)
		p.Fake.Handle("NetworkDriver.CreateEndpoint", typedtest.Raw(`{"Interface":{"Address":"10.10.0.9/16"}}`)).
			Handle("NetworkDriver.DeleteEndpoint", typedtest.Raw(`{"Err":"gone"}`))
		err := p.Reg.driver.CreateEndpoint(ctx, "n1", "e1", newIfaceInfo(t, network.EndpointInterface{Address: "10.10.0.2/16"}), nil)
		assert.EqualError(t, err, "remote: gone; failed to roll back: driver modified interface address: address already set")
		assert.Len(t, p.Fake.Calls("NetworkDriver.DeleteEndpoint"), 1)
	})

	t.Run("ProgramExternalConnectivity answering 404 with a body", func(t *testing.T) {
		p := newPair(t)
		p.Fake.Handle("NetworkDriver.ProgramExternalConnectivity", pluginstest.ReplyError(http.StatusNotFound, "no such endpoint"))
		assert.NoError(t, p.Reg.driver.ProgramExternalConnectivity(ctx, "n1", "e1", nil), "any 404 is success")
		assert.NoError(t, p.Ours.ProgramExternalConnectivity(ctx, network.ProgramExternalConnectivityRequest{}))
	})

	t.Run("discovery other than of nodes", func(t *testing.T) {
		p := newPair(t)
		err := p.Reg.driver.(discoverapi.Discover).DiscoverNew(discoverapi.EncryptionKeysConfig, discoverapi.DriverEncryptionConfig{})
		require.NoError(t, err)
		assert.Empty(t, p.Fake.Calls("NetworkDriver.DiscoverNew"), "not forwarded to plugins")
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
