package pluginstest

import (
	"net"
	"net/http"
	"path/filepath"
	"time"

	"github.com/go-dockerplugins/plugins/internal/testkit"
)

// RawFunc answers, by hand, the n-th request (0 for the first) read on a
// connection of a RawPlugin: it writes whatever bytes it wants on conn,
// well-formed HTTP or not, and reports whether to keep the connection for
// the next request. req's body is unread (see ReadBody); what is left of it
// is skipped before the next request. req's context ends when the test
// does.
type RawFunc func(conn net.Conn, n int, req *http.Request) (keep bool)

// RawPlugin is a plugin that answers by hand, for answers that net/http
// would not write: malformed, cut short, sent before the request's body
// was read.
type RawPlugin struct {
	name, path string
	raw        *testkit.Raw
}

// ServeRaw serves a plugin called name on NAME.sock in the sockets
// directory, found like any other, which answers every request with fn,
// Plugin.Activate included. At cleanup it closes every connection, so that
// an answer that never ends does not hold the test.
func (e *Env) ServeRaw(name string, fn RawFunc) *RawPlugin {
	e.t.Helper()
	path := filepath.Join(e.sockets, name+".sock")
	removeStale(path)
	raw := testkit.ServeRawSocket(e.t, path, testkit.RawFunc(fn))
	return &RawPlugin{name: name, path: path, raw: raw}
}

// Name returns the plugin's name.
func (p *RawPlugin) Name() string { return p.name }

// Addr returns the plugin's address as discovered: unix:///PATH.
func (p *RawPlugin) Addr() string { return "unix://" + p.path }

// Source returns the socket the plugin is found through.
func (p *RawPlugin) Source() string { return p.path }

// Conns returns how many connections the plugin accepted so far.
func (p *RawPlugin) Conns() int { return p.raw.Conns() }

// Requests returns how many requests the plugin received so far (their
// heads read).
func (p *RawPlugin) Requests() int { return p.raw.Requests() }

// ReadBody returns fn preceded by reading the request's whole body, as a
// plugin does before it answers: the client has then sent its request
// whole. fn can read the body again from req.Body.
func ReadBody(fn RawFunc) RawFunc {
	return RawFunc(testkit.ReadBody(testkit.RawFunc(fn)))
}

// RawAnswer returns a RawFunc that reads the request's body, then writes
// raw (a status line, headers and a body) and keeps the connection if keep.
func RawAnswer(raw string, keep bool) RawFunc {
	return RawFunc(testkit.Answer(raw, keep))
}

// AnswerEarly returns a RawFunc that answers status with a JSON body at
// once, without reading the request's body, then neither reads nor closes
// the connection for hold, as a plugin refusing an upload may: the client
// must take the answer rather than wait to finish sending.
func AnswerEarly(status int, body string, hold time.Duration) RawFunc {
	return RawFunc(testkit.AnswerEarly(status, body, hold))
}
