package pluginstest_test

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/go-dockerplugins/plugins"
	"github.com/go-dockerplugins/plugins/pluginstest"
)

// A test serves a fake volume plugin in one line, then uses it through the
// environment's store as the code under test would.
func ExampleNew() {
	var t pluginstest.Scope // in a test: the *testing.T
	defer t.Close()
	env := pluginstest.New(&t)
	vol := env.ServeSocket("myvolumes", "VolumeDriver").
		Handle("VolumeDriver.Mount", pluginstest.Reply(map[string]string{"Mountpoint": "/mnt/data"}))

	p, err := env.Store().Get("myvolumes", "VolumeDriver")
	if err != nil {
		panic(err)
	}
	var resp struct{ Mountpoint string }
	err = p.Client.Call("VolumeDriver.Mount", map[string]string{"Name": "data", "ID": "c1"}, &resp)
	fmt.Println(resp.Mountpoint, err)

	for _, r := range vol.Requests() {
		fmt.Printf("%s %q\n", r.Method, r.Body)
	}
	// Output:
	// /mnt/data <nil>
	// Plugin.Activate ""
	// VolumeDriver.Mount "{\"ID\":\"c1\",\"Name\":\"data\"}\n"
}

// Faults make a plugin fail the next calls, answer slowly or hang up.
func ExamplePlugin_Inject() {
	var t pluginstest.Scope // in a test: the *testing.T
	defer t.Close()
	env := pluginstest.New(&t)
	vol := env.ServeSpec("flaky", "VolumeDriver").
		Handle("VolumeDriver.Remove", pluginstest.Reply(struct{}{})).
		Inject(pluginstest.Fault{Method: "VolumeDriver.Remove", Times: 1, Status: 500, Err: "volume is busy"}).
		Inject(pluginstest.Fault{Method: "VolumeDriver.Remove", Times: 1, Drop: true})

	p, _ := env.Store().Get("flaky", "VolumeDriver")
	fmt.Println(p.Client.Call("VolumeDriver.Remove", map[string]string{"Name": "data"}, nil))
	// The dropped connection is retried: the call succeeds on its third request.
	fmt.Println(p.Client.Call("VolumeDriver.Remove", map[string]string{"Name": "data"}, nil))
	fmt.Println(len(vol.Calls("VolumeDriver.Remove")))
	// Output:
	// VolumeDriver.Remove: volume is busy
	// <nil>
	// 3
}

// A plugin can be stopped, as if it crashed, and started again on the same
// address.
func ExamplePlugin_Stop() {
	var t pluginstest.Scope // in a test: the *testing.T
	defer t.Close()
	env := pluginstest.New(&t, plugins.WithCallRetryBudget(0))
	auth := env.ServeJSON("authz-plugin", "authz")
	p, _ := env.Store().Get("authz-plugin", "authz")

	auth.Stop()
	_, err := p.Client.CallRaw(context.Background(), "AuthZPlugin.AuthZReq", nil)
	fmt.Println(err != nil)

	if err := auth.Start(); err != nil {
		panic(err)
	}
	_, err = p.Client.CallRaw(context.Background(), "AuthZPlugin.AuthZReq", nil)
	fmt.Println(plugins.IsNotFound(err)) // it answers again: 404, no handler
	// Output:
	// true
	// true
}

// A raw plugin answers by hand, with what net/http would never send: here
// an answer cut short, the connection closed before the length it gave.
func ExampleEnv_ServeRaw() {
	var t pluginstest.Scope // in a test: the *testing.T
	defer t.Close()
	env := pluginstest.New(&t, plugins.WithCallRetryBudget(0))
	const manifest = `{"Implements": ["VolumeDriver"]}`
	vol := env.ServeRaw("cut", func(conn net.Conn, n int, req *http.Request) bool {
		if req.URL.Path == "/Plugin.Activate" {
			return pluginstest.RawAnswer(fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", len(manifest), manifest), true)(conn, n, req)
		}
		return pluginstest.RawAnswer("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"Mountpoint\": \"/mn", false)(conn, n, req)
	})

	p, err := env.Store().Get("cut", "VolumeDriver")
	if err != nil {
		panic(err)
	}
	var resp struct{ Mountpoint string }
	err = p.Client.Call("VolumeDriver.Mount", map[string]string{"Name": "data"}, &resp)
	fmt.Println(errors.Is(err, io.ErrUnexpectedEOF), strings.Contains(err.Error(), "VolumeDriver.Mount: decoding the answer"))
	// Activation and the call, on one kept-alive connection.
	fmt.Println(vol.Conns(), vol.Requests())
	// Output:
	// true true
	// 1 2
}

// A plugin that is still starting: its socket appears 50ms after the
// lookup began, which finds it on a later attempt.
func ExampleEnv_ServeSocketLater() {
	var t pluginstest.Scope // in a test: the *testing.T
	defer t.Close()
	env := pluginstest.New(&t, plugins.WithLookupRetryBudget(5*time.Second))
	env.ServeSocketLater("slow-start", "VolumeDriver").StartAfter(50 * time.Millisecond)

	p, err := env.Store().Get("slow-start", "VolumeDriver")
	fmt.Println(p.Manifest.Implements, err)
	// Output:
	// [VolumeDriver] <nil>
}

// The environment's certificate authority issues certificates beyond
// those of ServeJSON: a client certificate for a plugin that requires one,
// and an expired server certificate that clients must refuse.
func ExampleCA() {
	var t pluginstest.Scope // in a test: the *testing.T
	defer t.Close()
	env := pluginstest.New(&t)
	ca := env.CA()
	serve := func(cfg *tls.Config) string {
		srv := httptest.NewUnstartedServer(pluginstest.Reply(plugins.Manifest{Implements: []string{"authz"}}))
		srv.Config.ErrorLog = log.New(io.Discard, "", 0)
		srv.TLS = cfg
		srv.StartTLS()
		t.Cleanup(srv.Close)
		return srv.URL
	}

	certFile, keyFile := ca.ClientFiles()
	env.WriteSpecFile("mutual.json", fmt.Sprintf(`{"Addr": %q, "TLSConfig": {"CAFile": %q, "CertFile": %q, "KeyFile": %q}}`,
		serve(ca.MutualConfig()), ca.File(), certFile, keyFile))
	_, err := env.Store().Get("mutual", "authz")
	fmt.Println(err)

	expired := ca.ServerConfig()
	expired.Certificates = []tls.Certificate{ca.Expired()}
	env.WriteSpecFile("expired.json", fmt.Sprintf(`{"Addr": %q, "TLSConfig": {"CAFile": %q}}`, serve(expired), ca.File()))
	_, err = env.Store().Get("expired", "authz")
	fmt.Println(strings.Contains(err.Error(), "certificate has expired"))
	// Output:
	// <nil>
	// true
}
