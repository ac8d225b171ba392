package pluginstest

import (
	"bytes"
	"io"
	"net/http"
	"strings"
)

// Request is a request a Plugin received.
type Request struct {
	// Method is the service method, e.g. "VolumeDriver.Create": the path
	// without its leading slash.
	Method string
	// HTTPMethod is the request's method; the protocol always uses POST.
	HTTPMethod string
	// Path is the URL path, e.g. "/VolumeDriver.Create", and RawQuery the
	// query string, if any.
	Path, RawQuery string
	// Host is the Host header.
	Host string
	// Header holds the request's headers.
	Header http.Header
	// ContentLength is -1 for a chunked body.
	ContentLength int64
	// Body is the request's body.
	Body []byte
}

// record reads r's body and describes r; r's body is replaced so that
// handlers can read it again.
func record(r *http.Request) (Request, error) {
	body, err := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	return Request{
		Method:        strings.TrimPrefix(r.URL.Path, "/"),
		HTTPMethod:    r.Method,
		Path:          r.URL.Path,
		RawQuery:      r.URL.RawQuery,
		Host:          r.Host,
		Header:        r.Header.Clone(),
		ContentLength: r.ContentLength,
		Body:          body,
	}, err
}
