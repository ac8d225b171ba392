// Package transport builds the HTTP requests of the legacy Docker plugin
// protocol: every call is a POST of a JSON body to /<Service>.<Method> with
// the protocol's media type in the Accept header.
//
// It is the engine's pkg/plugins/transport, name for name (HTTPTransport,
// NewHTTPTransport, NewRequest, VersionMimetype), for programs that send
// plugin calls through an http.RoundTripper of their own.
//
// The plugins package's Client does not use it: it moves its bytes itself,
// in pool.go, exchange.go, body.go, errbody.go and liveness_*.go beside it.
// Those files stay in the plugins package on purpose. A call's connection,
// the goroutine that writes its body, the body of its answer and its retry
// loop share what only that call knows (whether the request went out whole,
// whether the end of the answer has arrived, how much of it may be read),
// and a package boundary would turn that into exported API that no user
// needs and every change would have to keep.
package transport

import (
	"context"
	"io"
	"net/http"
	"strings"
)

// HTTPTransport holds an http.RoundTripper and the URL scheme and host that
// the requests it builds are sent to.
type HTTPTransport struct {
	http.RoundTripper
	scheme string
	addr   string
}

// NewHTTPTransport returns an HTTPTransport that sends requests through r to
// scheme://addr. For local sockets addr is a fixed placeholder host name:
// the dialer, not the URL, decides where the request goes.
func NewHTTPTransport(r http.RoundTripper, scheme, addr string) *HTTPTransport {
	return &HTTPTransport{RoundTripper: r, scheme: scheme, addr: addr}
}

// NewRequest returns a plugin call request for the service method path,
// e.g. "VolumeDriver.Create"; see NewRequestWithContext.
func (t HTTPTransport) NewRequest(path string, data io.Reader) (*http.Request, error) {
	return t.NewRequestWithContext(context.Background(), path, data)
}

// NewRequestWithContext returns a POST request for the service method path
// with data as its body, bound to ctx. A leading "/" is added when missing,
// and a query string in path is kept (GraphDriver.ApplyDiff?id=x was sent
// that way). The body's length is known, as with http.NewRequest, when data
// is a *bytes.Buffer, *bytes.Reader or *strings.Reader; otherwise it is sent
// chunked.
func (t HTTPTransport) NewRequestWithContext(ctx context.Context, path string, data io.Reader) (*http.Request, error) {
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, path, data)
	if err != nil {
		return nil, err
	}
	req.Header.Add("Accept", VersionMimetype)
	req.URL.Scheme = t.scheme
	req.URL.Host = t.addr
	return req, nil
}
