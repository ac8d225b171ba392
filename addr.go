package plugins

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"
)

// dummyHost is the Host header of calls over local sockets, whose path is
// not a valid host name; the engine sends the same.
const dummyHost = "plugin.moby.localhost"

// dialTimeout bounds one connection attempt, as in the engine.
const dialTimeout = 10 * time.Second

// errUnknownProtocol keeps the engine's wording for an address whose scheme
// is missing or not one of unix, tcp, http, https and npipe.
//
//lint:ignore ST1005 the engine's text, which callers may match
var errUnknownProtocol = errors.New("Unknown protocol")

// endpoint is where a plugin address leads and how to speak HTTP there.
type endpoint struct {
	network string // "unix", "tcp" or "npipe"
	address string // socket path, host:port or pipe path
	scheme  string // URL scheme of requests: "http" or "https"
	host    string // Host header of requests
}

// parseAddr turns a plugin address into an endpoint, refusing what can never
// be dialled: unknown schemes, relative socket paths, TCP without a port.
func parseAddr(addr string) (endpoint, error) {
	if !utf8.ValidString(addr) || strings.IndexFunc(addr, isControl) >= 0 {
		return endpoint{}, fmt.Errorf("plugin address %q: contains control characters or invalid UTF-8", addr)
	}
	scheme, rest, ok := strings.Cut(addr, "://")
	if !ok {
		return endpoint{}, fmt.Errorf("%w in plugin address %q: want unix://, tcp://, http://, https:// or npipe://", errUnknownProtocol, addr)
	}
	// URL schemes are case-insensitive (RFC 3986), and the engine's URL
	// parser lowers them: "TCP://host:port" reaches its plugin there.
	switch strings.ToLower(scheme) {
	case "unix":
		// The rest is taken literally: discovery builds "unix://" + path, and
		// a socket path may hold characters that URL parsing would eat ('#', '?', '%').
		if !strings.HasPrefix(rest, "/") {
			return endpoint{}, fmt.Errorf("plugin address %q: UNIX socket path must be absolute", addr)
		}
		if len(rest) > maxUnixPath {
			return endpoint{}, fmt.Errorf("plugin address %q: UNIX socket path is too long (%d bytes, the limit is %d)", addr, len(rest), maxUnixPath)
		}
		return endpoint{network: "unix", address: rest, scheme: "http", host: dummyHost}, nil
	case "npipe":
		if rest == "" {
			return endpoint{}, fmt.Errorf("plugin address %q: empty named pipe path", addr)
		}
		return endpoint{network: "npipe", address: rest, scheme: "http", host: dummyHost}, nil
	case "tcp", "http", "https":
		u, err := url.Parse(addr)
		if err != nil {
			return endpoint{}, fmt.Errorf("plugin address %q: %w", addr, err)
		}
		if _, _, err := net.SplitHostPort(u.Host); err != nil {
			return endpoint{}, fmt.Errorf("plugin address %q: want host:port: %w", addr, err)
		}
		ep := endpoint{network: "tcp", address: u.Host, scheme: "http", host: u.Host}
		if strings.EqualFold(scheme, "https") {
			ep.scheme = "https"
		}
		return ep, nil
	default:
		return endpoint{}, fmt.Errorf("%w %q in plugin address %q: want unix://, tcp://, http://, https:// or npipe://", errUnknownProtocol, scheme, addr)
	}
}

// dial opens a connection to the endpoint.
func (e endpoint) dial(ctx context.Context) (net.Conn, error) {
	if e.network == "npipe" {
		return dialPipe(ctx, e.address)
	}
	d := net.Dialer{Timeout: dialTimeout}
	return d.DialContext(ctx, e.network, e.address)
}
