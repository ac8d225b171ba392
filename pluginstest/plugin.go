package pluginstest

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"path/filepath"
	"sync"
	"time"

	"github.com/go-dockerplugins/plugins"
	"github.com/go-dockerplugins/plugins/internal/testkit"
)

// Plugin is a fake plugin served in an Env. It answers /Plugin.Activate
// with its manifest, other methods with their handlers (404 without one, as
// the plugin SDK does), and records every request.
type Plugin struct {
	env     *Env
	name    string
	network string // "unix" or "tcp"
	address string // socket path, or 127.0.0.1:port once started
	scheme  string // address scheme: unix, tcp or https
	source  string // the socket or spec file it is found through
	tls     *tls.Config

	mu       sync.Mutex
	manifest plugins.Manifest
	handlers map[string]http.Handler
	faults   []*Fault
	requests []Request
	srv      *http.Server
	stop     chan struct{}   // closed when srv stops, to end delays
	later    testkit.Pending // a start to come (StartAfter)
}

// ServeSocket serves a plugin called name, implementing the interfaces
// given, on NAME.sock in the sockets directory.
func (e *Env) ServeSocket(name string, implements ...string) *Plugin {
	e.t.Helper()
	p := e.ServeSocketLater(name, implements...)
	p.mustStart()
	return p
}

// ServeSocketLater is ServeSocket for a plugin that is still starting:
// nothing listens on NAME.sock, which does not exist, until Start or
// StartAfter. Lookups and calls meanwhile fail as they do for a plugin
// that is not up yet, and are retried within their budgets.
func (e *Env) ServeSocketLater(name string, implements ...string) *Plugin {
	e.t.Helper()
	p := e.newPlugin(name, implements)
	p.network, p.scheme = "unix", "unix"
	p.address = filepath.Join(e.sockets, name+".sock")
	p.source = p.address
	return p
}

// ServeSpec serves a plugin called name, implementing the interfaces
// given, over TCP on a loopback port, described by NAME.spec.
func (e *Env) ServeSpec(name string, implements ...string) *Plugin {
	e.t.Helper()
	p := e.newPlugin(name, implements)
	p.network, p.scheme, p.address = "tcp", "tcp", "127.0.0.1:0"
	p.mustStart()
	p.source = e.WriteSpecFile(name+".spec", p.Addr()+"\n")
	return p
}

// ServeJSON serves a plugin called name, implementing the interfaces
// given, over TLS on a loopback port, described by NAME.json whose
// TLSConfig names the environment's CA (see CAFile), so that clients verify
// the plugin's certificate.
func (e *Env) ServeJSON(name string, implements ...string) *Plugin {
	e.t.Helper()
	p := e.newPlugin(name, implements)
	p.network, p.scheme, p.address = "tcp", "https", "127.0.0.1:0"
	p.tls = e.CA().ServerConfig()
	p.mustStart()
	spec, err := json.Marshal(map[string]any{
		"Name":      name,
		"Addr":      p.Addr(),
		"TLSConfig": map[string]string{"CAFile": e.CAFile()},
	})
	if err != nil {
		e.t.Fatalf("pluginstest: %v", err)
	}
	p.source = e.WriteSpecFile(name+".json", string(spec))
	return p
}

func (e *Env) newPlugin(name string, implements []string) *Plugin {
	p := &Plugin{
		env:      e,
		name:     name,
		manifest: plugins.Manifest{Implements: append([]string{}, implements...)},
		handlers: make(map[string]http.Handler),
	}
	e.t.Cleanup(p.Stop)
	return p
}

// Name returns the plugin's name.
func (p *Plugin) Name() string { return p.name }

// Addr returns the plugin's address as discovered: unix:///PATH,
// tcp://127.0.0.1:PORT or https://127.0.0.1:PORT.
func (p *Plugin) Addr() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.scheme == "unix" {
		return "unix://" + p.address
	}
	return p.scheme + "://" + p.address
}

// Source returns the socket or spec file the plugin is found through.
func (p *Plugin) Source() string { return p.source }

// Handle sets the handler of a service method, e.g. "VolumeDriver.Create",
// replacing any before; "Plugin.Activate" replaces the manifest's answer.
func (p *Plugin) Handle(method string, h http.Handler) *Plugin {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.handlers[method] = h
	return p
}

// HandleFunc is Handle for a function.
func (p *Plugin) HandleFunc(method string, h func(http.ResponseWriter, *http.Request)) *Plugin {
	return p.Handle(method, http.HandlerFunc(h))
}

// Requests returns the requests received so far, in order, including
// those answered by a fault.
func (p *Plugin) Requests() []Request {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Request(nil), p.requests...)
}

// Calls returns the requests received so far for one service method.
func (p *Plugin) Calls(method string) []Request {
	var out []Request
	for _, r := range p.Requests() {
		if r.Method == method {
			out = append(out, r)
		}
	}
	return out
}

// Stop closes the plugin's listener and connections, ending calls in
// progress, as a crashed plugin would; a UNIX socket file is removed. A
// start to come (StartAfter) is cancelled. Stopping a stopped plugin does
// nothing.
func (p *Plugin) Stop() {
	p.mu.Lock()
	srv, stop := p.srv, p.stop
	p.srv, p.stop = nil, nil
	p.later.Cancel()
	p.mu.Unlock()
	if srv != nil {
		close(stop)
		_ = srv.Close()
	}
}

// Start serves the plugin again on the same socket or port after Stop, or
// for the first time after ServeSocketLater. Starting a running plugin does
// nothing. The error is the listener's
// (another process may have taken the port meanwhile).
func (p *Plugin) Start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.startLocked()
}

// StartAfter starts the plugin after d, in the background, as a plugin
// that takes d to come up; Stop cancels it. A failure to start then is
// reported through the TB (with its Errorf, when it has one).
func (p *Plugin) StartAfter(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.later.Schedule(&p.mu, d, func() {
		if err := p.startLocked(); err != nil {
			testkit.Errorf(p.env.t, "pluginstest: %v", err)
		}
	})
}

func (p *Plugin) startLocked() error {
	if p.srv != nil {
		return nil
	}
	if p.network == "unix" {
		removeStale(p.address)
	}
	l, err := net.Listen(p.network, p.address)
	if err != nil {
		return fmt.Errorf("plugin %q: %w", p.name, err)
	}
	if p.network == "tcp" {
		p.address = l.Addr().String() // fixes the port for restarts
	}
	if p.tls != nil {
		l = tls.NewListener(l, p.tls)
	}
	p.stop = make(chan struct{})
	p.srv = &http.Server{Handler: p.handler(p.stop), ErrorLog: log.New(io.Discard, "", 0)}
	go func(srv *http.Server) { _ = srv.Serve(l) }(p.srv)
	return nil
}

func (p *Plugin) mustStart() {
	p.env.t.Helper()
	if err := p.Start(); err != nil {
		p.env.t.Fatalf("pluginstest: %v", err)
	}
}

// handler serves one run of the plugin; stop ends its delays.
func (p *Plugin) handler(stop <-chan struct{}) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, err := record(r)
		method := req.Method
		p.mu.Lock()
		p.requests = append(p.requests, req)
		f := p.takeFault(method)
		h := p.handlers[method]
		m := p.manifest
		p.mu.Unlock()
		if err != nil { // the client went away while sending
			return
		}
		if f != nil && !f.apply(w, r, stop) {
			return
		}
		switch {
		case h != nil:
			h.ServeHTTP(w, r)
		case method == "Plugin.Activate":
			Reply(m).ServeHTTP(w, r)
		default:
			http.NotFound(w, r)
		}
	})
}
