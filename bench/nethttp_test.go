package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"testing"

	"github.com/go-dockerplugins/plugins"
)

// netHTTP is the standard library's Transport tuned for plugin calls, the
// best the library's own pool must beat to be worth having: idle
// connections kept for 32 callers, no proxy lookup, no gzip, a dial
// straight to the plugin's socket. Its requests are byte for byte the
// library's.
type netHTTP struct{ c *http.Client }

func newNetHTTP(b *testing.B) netHTTP {
	sock := httpSocket()
	var d net.Dialer
	tr := &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return d.DialContext(ctx, "unix", sock)
		},
		MaxIdleConns:        32,
		MaxIdleConnsPerHost: 32,
		DisableCompression:  true,
	}
	b.Cleanup(tr.CloseIdleConnections)
	return netHTTP{&http.Client{Transport: tr}}
}

// post sends body to method and returns the answer if it is a 200. A
// *bytes.Buffer body gets a Content-Length, any other reader is chunked.
func (n netHTTP) post(method string, body io.Reader) (*http.Response, error) {
	req, err := http.NewRequest(http.MethodPost, "http://plugin.moby.localhost/"+method, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", plugins.VersionMimetype)
	resp, err := n.c.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
		resp.Body.Close()
		return nil, fmt.Errorf("%s: status %d: %s", method, resp.StatusCode, msg)
	}
	return resp, nil
}

// decode reads the JSON answer into ret, then drains and closes the body
// so that the connection goes back to the pool.
func decode(resp *http.Response, ret any) error {
	defer resp.Body.Close()
	err := json.NewDecoder(resp.Body).Decode(ret)
	_, _ = io.Copy(io.Discard, resp.Body)
	return err
}

// jsonBody encodes args as json.Encoder does, newline included.
func jsonBody(args any) (*bytes.Buffer, error) {
	var buf bytes.Buffer
	err := json.NewEncoder(&buf).Encode(args)
	return &buf, err
}

// call is Call.
func (n netHTTP) call(method string, args, ret any) error {
	body, err := jsonBody(args)
	if err != nil {
		return err
	}
	resp, err := n.post(method, body)
	if err != nil {
		return err
	}
	return decode(resp, ret)
}

// stream is Stream: the caller reads and closes the answer.
func (n netHTTP) stream(method string, args any) (io.ReadCloser, error) {
	body, err := jsonBody(args)
	if err != nil {
		return nil, err
	}
	resp, err := n.post(method, body)
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}

// sendFile is SendFile: data goes as it is, chunked when its length is
// unknown.
func (n netHTTP) sendFile(method string, data io.Reader, ret any) error {
	resp, err := n.post(method, data)
	if err != nil {
		return err
	}
	return decode(resp, ret)
}
