// Package enginetest holds what the differential tests of the typed
// clients (interop/typed/...) share to run the engine's own code against
// the same fake plugin as the typed client: the engine's client of it, a
// legacy plugin as the engine's plugin store hands it out, the engine's
// plugin getter, its log, the outcome of a call on either side and the
// answers to try, and the comparisons of what both sent and of their
// types' JSON, field by field.
package enginetest

import (
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"sync"
	"testing"

	"github.com/docker/docker/pkg/plugingetter"
	engine "github.com/docker/docker/pkg/plugins"
	"github.com/docker/go-connections/tlsconfig"
	"github.com/go-dockerplugins/plugins/internal/typedtest"
	"github.com/go-dockerplugins/plugins/pluginstest"
	"github.com/sirupsen/logrus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Serve serves the fixture's fake plugin, and returns it with the typed
// client of it and the engine's client of it.
func Serve[C any](t *testing.T, f typedtest.Fixture[C]) (*pluginstest.Plugin, C, *engine.Client) {
	t.Helper()
	typed, fake := f.Serve(t)
	return fake, typed, Client(t, fake)
}

// Client returns the engine's client of fake, as its plugin store makes one
// for a legacy plugin.
func Client(t *testing.T, fake *pluginstest.Plugin) *engine.Client {
	t.Helper()
	c, err := engine.NewClient(fake.Addr(), &tlsconfig.Options{InsecureSkipVerify: true})
	require.NoError(t, err)
	return c
}

// V1Plugin is a legacy plugin as the engine's plugin store hands it out: a
// v1 client, and paths in the root file system, or under root if it is not
// empty, as for a managed plugin.
type V1Plugin struct {
	name   string
	root   string
	client *engine.Client
}

// NewV1Plugin returns the legacy plugin name, called through c, whose
// paths are mapped under root (none if it is empty).
func NewV1Plugin(name, root string, c *engine.Client) *V1Plugin {
	return &V1Plugin{name: name, root: root, client: c}
}

// Name is the plugin's name.
func (p *V1Plugin) Name() string { return p.name }

// ScopedPath maps a path of the plugin into the root file system.
func (p *V1Plugin) ScopedPath(s string) string {
	if p.root == "" {
		return s
	}
	return filepath.Join(p.root, s)
}

// IsV1 reports that the plugin is a legacy one.
func (*V1Plugin) IsV1() bool { return true }

// Client returns the engine's client of the plugin.
func (p *V1Plugin) Client() *engine.Client { return p.client }

// Getter is the engine's plugin getter (its plugin store) with one plugin,
// or none. It keeps the handler registered for an interface, which the
// engine's pkg/plugins runs after activating a plugin.
type Getter struct {
	// Plugin is the one plugin, or nil.
	Plugin *V1Plugin
	// Capability, when not empty, is the only interface Get finds the
	// plugin for, by its name; when empty, Get finds it whatever is asked.
	Capability string

	// The handler registered, and its interface.
	HandlerCapability string
	Handler           func(string, *engine.Client)
}

// Get returns the plugin, if it is the one asked for.
func (g *Getter) Get(name, capability string, _ int) (plugingetter.CompatPlugin, error) {
	if g.Plugin == nil || g.Capability != "" && (name != g.Plugin.Name() || capability != g.Capability) {
		return nil, errors.New("no such plugin")
	}
	return g.Plugin, nil
}

// GetAllByCap returns the plugin, if there is one.
func (g *Getter) GetAllByCap(string) ([]plugingetter.CompatPlugin, error) {
	if g.Plugin == nil {
		return nil, nil
	}
	return []plugingetter.CompatPlugin{g.Plugin}, nil
}

// GetAllManagedPluginsByCap returns no plugin: there are no managed ones.
func (*Getter) GetAllManagedPluginsByCap(string) []plugingetter.CompatPlugin { return nil }

// Handle keeps fn, the handler of the interface capability.
func (g *Getter) Handle(capability string, fn func(string, *engine.Client)) {
	g.HandlerCapability, g.Handler = capability, fn
}

// LogHook keeps what the engine logs with logrus: add it with
// logrus.AddHook.
type LogHook struct {
	mu      sync.Mutex
	entries []*logrus.Entry
}

// Levels are all of them.
func (*LogHook) Levels() []logrus.Level { return logrus.AllLevels }

// Fire keeps e.
func (h *LogHook) Fire(e *logrus.Entry) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.entries = append(h.entries, e)
	return nil
}

// Take returns the entries logged since the last Take.
func (h *LogHook) Take() []*logrus.Entry {
	h.mu.Lock()
	defer h.mu.Unlock()
	e := h.entries
	h.entries = nil
	return e
}

// TakeMessages returns the messages logged since the last Take.
func (h *LogHook) TakeMessages() []string {
	var out []string
	for _, e := range h.Take() {
		out = append(out, e.Message)
	}
	return out
}

// Outcome is what a daemon gets of a call: the part of the answer the
// engine keeps, and the error's text.
type Outcome struct {
	Value any
	Err   string
}

// ErrText is err's text, or "" for no error.
func ErrText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// Answer is how the plugin answers a method, in both runs.
type Answer struct {
	Name    string
	Handler http.Handler
	// DecodeFails: the answer does not decode. Both fail, with texts that
	// differ: the engine's is encoding/json's alone ("EOF"), this
	// library's names the plugin and the method too, and its own types.
	DecodeFails bool
}

// Successes returns an answer of each body, as it is, then the failures.
func Successes(failures []Answer, bodies ...string) []Answer {
	var out []Answer
	for _, b := range bodies {
		out = append(out, Answer{Name: "answer " + b, Handler: typedtest.Raw(b)})
	}
	return append(out, failures...)
}

// goTypes matches the Go type a decoding error names.
var goTypes = regexp.MustCompile(`(of type|into Go struct field) [\w.]+`)

// SameDecodingError checks that ours, the typed client's error text for an
// answer that does not decode, has Go's decoding error, engine's, after its
// prefix: the same but for the Go types they name.
func SameDecodingError(t *testing.T, engine, ours string, msgAndArgs ...any) {
	t.Helper()
	assert.Contains(t, goTypes.ReplaceAllString(ours, "$1 T"), goTypes.ReplaceAllString(engine, "$1 T"), msgAndArgs...)
}

// SameRequest checks that the typed client sent what the engine sent: the
// same path, method, Host, headers and body.
func SameRequest(t *testing.T, engine, typed pluginstest.Request) {
	t.Helper()
	assert.Equal(t, engine.Path, typed.Path)
	assert.Equal(t, engine.HTTPMethod, typed.HTTPMethod)
	assert.Equal(t, engine.Host, typed.Host)
	assert.Equal(t, engine.Header, typed.Header)
	assert.Equal(t, engine.ContentLength, typed.ContentLength)
	assert.Equal(t, string(engine.Body), string(typed.Body))
}

// SameRequestAndQuery checks what SameRequest checks, and the same query
// string.
func SameRequestAndQuery(t *testing.T, engine, typed pluginstest.Request) {
	t.Helper()
	SameRequest(t, engine, typed)
	assert.Equal(t, engine.RawQuery, typed.RawQuery)
}

// Differential is one method with one input, run by the engine and by the
// typed client, on a pair of type P, against each answer.
type Differential[P any] struct {
	Method string
	// Input names the input, when a method has several.
	Input   string
	Answers []Answer
	// Engine and Ours call the method and return the outcome.
	Engine func(t *testing.T, p P) Outcome
	Ours   func(t *testing.T, p P) Outcome
}

// RunDifferentials runs each differential against each of its answers, as
// subtests, on a pair that serve makes with a plugin answering the method
// with the answer's handler: the engine and the typed client get the same
// outcome (both fail, for an answer that does not decode), and each sends
// one request, the same. It returns the methods run.
func RunDifferentials[P any](t *testing.T, tests []Differential[P], serve func(t *testing.T, method string, answer http.Handler) (P, *pluginstest.Plugin)) map[string]bool {
	t.Helper()
	seen := map[string]bool{}
	for _, d := range tests {
		seen[d.Method] = true
		t.Run(d.Method+"/"+d.Input, func(t *testing.T) {
			for _, a := range d.Answers {
				t.Run(a.Name, func(t *testing.T) {
					p, fake := serve(t, d.Method, a.Handler)
					eng := d.Engine(t, p)
					ours := d.Ours(t, p)
					if a.DecodeFails {
						assert.NotEmpty(t, eng.Err)
						assert.NotEmpty(t, ours.Err)
					} else {
						assert.Equal(t, eng, ours)
					}
					calls := fake.Calls(d.Method)
					require.Len(t, calls, 2, "one call each, and no other (no rollback)")
					assert.Equal(t, string(calls[0].Body), string(calls[1].Body), "the same bytes")
					assert.Equal(t, calls[0].ContentLength, calls[1].ContentLength)
					assert.Equal(t, calls[0].Header.Get("Accept"), calls[1].Header.Get("Accept"))
				})
			}
		})
	}
	return seen
}

// CaptureLogs has logrus, which the engine logs with, keep in hook what it
// logs, from the debug level up, instead of writing it: for a TestMain.
func CaptureLogs(hook *LogHook) {
	logrus.SetOutput(io.Discard)
	logrus.SetLevel(logrus.DebugLevel)
	logrus.AddHook(hook)
}

// Remote is the plugin of a remote driver (network or IPAM), of type C for
// the typed client, called by the engine's remote driver and by the typed
// client. The engine's remote driver registers itself in a registry of
// type R, the engine's network controller as far as it sees it.
type Remote[C, R any] struct {
	Fake *pluginstest.Plugin
	Ours C
	Reg  *R
	name string
	g    *Getter
	ec   *engine.Client
}

// NewRemote serves the fixture's plugin and has the engine's remote driver
// register its handler for the interface, with register: Activate runs it.
func NewRemote[C, R any](t *testing.T, f typedtest.Fixture[C], register func(*R, plugingetter.PluginGetter) error) Remote[C, R] {
	t.Helper()
	fake, ours, ec := Serve(t, f)
	p := Remote[C, R]{Fake: fake, Ours: ours, Reg: new(R), name: f.Name, g: &Getter{}, ec: ec}
	require.NoError(t, register(p.Reg, p.g))
	require.Equal(t, f.Interface, p.g.HandlerCapability)
	return p
}

// Activate runs the engine's handler, as the engine does when it activates
// the plugin: the remote driver asks for the capabilities and registers
// itself, in a registry emptied first, or logs why not.
func (p Remote[C, R]) Activate() {
	var empty R
	*p.Reg = empty
	p.g.Handler(p.name, p.ec)
}

// BodilessCalls checks that the last two requests fake received for
// method, the engine's then the typed client's, have no body.
func BodilessCalls(t *testing.T, fake *pluginstest.Plugin, method string) {
	t.Helper()
	calls := fake.Calls(method)
	require.GreaterOrEqual(t, len(calls), 2)
	engCall, ourCall := calls[len(calls)-2], calls[len(calls)-1]
	assert.Empty(t, engCall.Body, "no body")
	assert.Empty(t, ourCall.Body, "no body")
	assert.Equal(t, engCall.ContentLength, ourCall.ContentLength)
}
