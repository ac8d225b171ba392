package engine_test

import (
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	engine "github.com/docker/docker/pkg/plugins"
	"github.com/docker/go-connections/tlsconfig"
	"github.com/go-dockerplugins/plugins"
	"github.com/go-dockerplugins/plugins/internal/testkit"
	"github.com/go-dockerplugins/plugins/interop/internal/plugintest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// caller is what both clients offer, with the same signatures.
type caller interface {
	Call(serviceMethod string, args, ret interface{}) error
	Stream(serviceMethod string, args interface{}) (io.ReadCloser, error)
	SendFile(serviceMethod string, data io.Reader, ret interface{}) error
}

var (
	_ caller = (*engine.Client)(nil)
	_ caller = (*plugins.Client)(nil)
)

// plugAt is a plugin address of each kind, and the header lines that the
// engine sends there but this library does not.
type plugAt struct {
	name   string
	listen func(t *testing.T) (l net.Listener, addr string)
	// engineOnly: over TCP the engine's transport asks for gzip; ours never
	// does (a documented difference: plugins answer plain JSON, and a
	// compressed error body would not be readable). Over UNIX sockets the
	// engine disables compression too.
	engineOnly []string
}

var gzipLine = []string{"Accept-Encoding: gzip"}

var plugAts = []plugAt{
	{name: "unix", listen: func(t *testing.T) (net.Listener, string) {
		path := filepath.Join(plugintest.NewDirs(t).Sockets, "p.sock")
		return plugintest.ListenUnix(t, path), "unix://" + path
	}},
	{name: "tcp", engineOnly: gzipLine, listen: func(t *testing.T) (net.Listener, string) {
		l := plugintest.ListenTCP(t)
		return l, "tcp://" + l.Addr().String()
	}},
	{name: "http", engineOnly: gzipLine, listen: func(t *testing.T) (net.Listener, string) {
		l := plugintest.ListenTCP(t)
		return l, "http://" + l.Addr().String()
	}},
	{name: "http with a path, which is not used", engineOnly: gzipLine, listen: func(t *testing.T) (net.Listener, string) {
		l := plugintest.ListenTCP(t)
		return l, "http://" + l.Addr().String() + "/some/path"
	}},
	// URL schemes are case-insensitive: the engine's URL parser lowers them.
	{name: "UNIX, upper case", listen: func(t *testing.T) (net.Listener, string) {
		path := filepath.Join(plugintest.NewDirs(t).Sockets, "p.sock")
		return plugintest.ListenUnix(t, path), "UNIX://" + path
	}},
	{name: "Tcp, mixed case", engineOnly: gzipLine, listen: func(t *testing.T) (net.Listener, string) {
		l := plugintest.ListenTCP(t)
		return l, "Tcp://" + l.Addr().String()
	}},
	{name: "https", engineOnly: gzipLine, listen: func(t *testing.T) (net.Listener, string) {
		l := plugintest.ListenTCP(t)
		return tls.NewListener(l, &tls.Config{Certificates: testCertificate(t)}), "https://" + l.Addr().String()
	}},
}

// testCertificate borrows httptest's self-signed certificate for 127.0.0.1.
func testCertificate(t *testing.T) []tls.Certificate {
	t.Helper()
	srv := httptest.NewUnstartedServer(http.NotFoundHandler())
	srv.StartTLS()
	defer srv.Close()
	return srv.TLS.Certificates
}

// clients returns the engine's client and ours for addr, verification off
// for https (the certificate is self-signed), ours with no retries.
func clients(t *testing.T, addr string) (*engine.Client, *plugins.Client) {
	t.Helper()
	eng, err := engine.NewClient(addr, &tlsconfig.Options{InsecureSkipVerify: true})
	require.NoError(t, err)
	ours, err := plugins.NewClientWithOptions(addr, tlsconfig.Options{InsecureSkipVerify: true},
		plugins.WithCallRetryBudget(0), plugins.WithLogger(testkit.QuietLogger()))
	require.NoError(t, err)
	t.Cleanup(ours.CloseIdleConnections)
	return eng, ours
}

// unknownLength hides the type of a reader, so that no client can know the
// length of what it sends.
type unknownLength struct{ io.Reader }

// The bytes each client sends for the same Call, Stream and SendFile are
// the same, apart from the engine's gzip request over TCP.
func TestWireAgrees(t *testing.T) {
	big := strings.Repeat("layer data ", 100_000) // over 1 MB: many chunks
	tests := []struct {
		name string
		do   func(c caller) error
		// uri, body and chunked are what both must send.
		uri     string
		body    string
		chunked bool
	}{
		{
			name: "Call with nil arguments: empty body",
			do:   func(c caller) error { var m engine.Manifest; return c.Call("Plugin.Activate", nil, &m) },
			uri:  "/Plugin.Activate",
		},
		{
			name: "Call with arguments: JSON and a newline",
			do: func(c caller) error {
				args := map[string]any{"Name": "data", "Opts": map[string]string{"size": "10G", "o": "uid=1000"}}
				return c.Call("VolumeDriver.Create", args, &struct{ Err string }{})
			},
			uri:  "/VolumeDriver.Create",
			body: `{"Name":"data","Opts":{"o":"uid=1000","size":"10G"}}` + "\n",
		},
		{
			name: "Call with a leading slash",
			do: func(c caller) error {
				return c.Call("/VolumeDriver.Mount", struct{ Name, ID string }{"data", "c1"}, nil)
			},
			uri:  "/VolumeDriver.Mount",
			body: `{"Name":"data","ID":"c1"}` + "\n",
		},
		{
			name: "Call with a query string",
			do:   func(c caller) error { return c.Call("GraphDriver.Exists?id=x%2Fy&parent=", nil, nil) },
			uri:  "/GraphDriver.Exists?id=x%2Fy&parent=",
		},
		{
			name: "Call escapes HTML and keeps UTF-8",
			do: func(c caller) error {
				return c.Call("AuthZPlugin.AuthZReq", map[string]any{"User": "<élodie & co>", "Body": []byte{0, 1, 0xff}}, nil)
			},
			uri:  "/AuthZPlugin.AuthZReq",
			body: `{"Body":"AAH/","User":"\u003célodie \u0026 co\u003e"}` + "\n",
		},
		{
			name: "Stream with arguments",
			do: func(c caller) error {
				rc, err := c.Stream("LogDriver.ReadLogs", map[string]any{"Config": map[string]bool{"Follow": true}})
				if err != nil {
					return err
				}
				_, err = io.Copy(io.Discard, rc)
				return errors.Join(err, rc.Close())
			},
			uri:  "/LogDriver.ReadLogs",
			body: `{"Config":{"Follow":true}}` + "\n",
		},
		{
			name: "Stream with nil arguments: null",
			do: func(c caller) error {
				rc, err := c.Stream("GraphDriver.Diff", nil)
				if err != nil {
					return err
				}
				return rc.Close()
			},
			uri:  "/GraphDriver.Diff",
			body: "null\n",
		},
		{
			name: "SendFile of a *strings.Reader: Content-Length",
			do: func(c caller) error {
				return c.SendFile("GraphDriver.ApplyDiff?id=l1", strings.NewReader("tar"), &struct{ Size int }{})
			},
			uri: "/GraphDriver.ApplyDiff?id=l1", body: "tar",
		},
		{
			name: "SendFile of a *bytes.Buffer: Content-Length",
			do: func(c caller) error {
				return c.SendFile("GraphDriver.ApplyDiff", bytes.NewBufferString("tar"), &struct{}{})
			},
			uri: "/GraphDriver.ApplyDiff", body: "tar",
		},
		{
			name: "SendFile of a *bytes.Reader: Content-Length",
			do: func(c caller) error {
				return c.SendFile("GraphDriver.ApplyDiff", bytes.NewReader([]byte("tar")), &struct{}{})
			},
			uri: "/GraphDriver.ApplyDiff", body: "tar",
		},
		{
			name: "SendFile of an empty *strings.Reader",
			do:   func(c caller) error { return c.SendFile("GraphDriver.ApplyDiff", strings.NewReader(""), &struct{}{}) },
			uri:  "/GraphDriver.ApplyDiff",
		},
		{
			name: "SendFile of a reader of unknown length: chunked",
			do: func(c caller) error {
				return c.SendFile("GraphDriver.ApplyDiff", unknownLength{strings.NewReader("tar")}, &struct{}{})
			},
			uri: "/GraphDriver.ApplyDiff", body: "tar", chunked: true,
		},
		{
			name: "SendFile of an empty reader of unknown length: chunked, one last chunk",
			do: func(c caller) error {
				return c.SendFile("GraphDriver.ApplyDiff", unknownLength{strings.NewReader("")}, &struct{}{})
			},
			uri: "/GraphDriver.ApplyDiff", chunked: true,
		},
		{
			name: "SendFile of a large reader of unknown length: chunked",
			do: func(c caller) error {
				return c.SendFile("GraphDriver.ApplyDiff", io.NopCloser(strings.NewReader(big)), &struct{}{})
			},
			uri: "/GraphDriver.ApplyDiff", body: big, chunked: true,
		},
	}
	for _, at := range plugAts {
		t.Run(at.name, func(t *testing.T) {
			l, addr := at.listen(t)
			rec := serveRecorder(t, l, ok(`{"Implements":["VolumeDriver"]}`))
			eng, ours := clients(t, addr)
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					require.NoError(t, tt.do(eng), "engine")
					engReqs := rec.take()
					require.NoError(t, tt.do(ours), "ours")
					ourReqs := rec.take()
					require.Len(t, engReqs, 1, "engine")
					require.Len(t, ourReqs, 1, "ours")
					e, o := engReqs[0], ourReqs[0]

					for _, r := range []recorded{e, o} {
						assert.Equal(t, http.MethodPost, r.req.Method)
						assert.Equal(t, tt.uri, r.req.RequestURI)
						assert.Equal(t, []string{engine.VersionMimetype}, r.req.Header.Values("Accept"))
						assert.Empty(t, r.req.Header.Values("Content-Type"))
						assert.Equal(t, tt.body, string(r.body))
						if tt.chunked {
							assert.Equal(t, []string{"chunked"}, r.req.TransferEncoding)
						} else {
							assert.Equal(t, strconv.Itoa(len(tt.body)), r.req.Header.Get("Content-Length"))
						}
					}
					engRaw := string(e.raw)
					for _, line := range at.engineOnly {
						require.Contains(t, engRaw, "\r\n"+line+"\r\n", "the engine sends it")
						engRaw = strings.Replace(engRaw, line+"\r\n", "", 1)
					}
					ourRaw := string(o.raw)
					if tt.chunked {
						// Chunk boundaries follow the sizes of the writes (the
						// engine's one write of a *strings.Reader is one chunk,
						// ours are 32 KiB): they carry no meaning in HTTP/1.1,
						// so compare the heads; the bodies were compared above.
						engRaw, ourRaw = head(engRaw), head(ourRaw)
					}
					assert.Equal(t, engRaw, ourRaw, "the same bytes")
				})
			}
		})
	}
}

// head is a raw request up to the end of its header.
func head(raw string) string {
	h, _, _ := strings.Cut(raw, "\r\n\r\n")
	return h
}

// The same TLS options give both clients a working, verified connection:
// both build their configuration with go-connections' tlsconfig.Client.
func TestVerifiedTLSAgrees(t *testing.T) {
	d := plugintest.NewDirs(t)
	ca := testkit.NewCA(t, d.Specs[0])
	l := plugintest.ListenTCP(t)
	rec := serveRecorder(t, tls.NewListener(l, ca.ServerConfig()), ok(`{"Implements":["VolumeDriver"]}`))
	addr := "https://" + l.Addr().String()
	opts := tlsconfig.Options{CAFile: ca.File()}

	eng, err := engine.NewClient(addr, &opts)
	require.NoError(t, err)
	ours, err := plugins.NewClientWithOptions(addr, opts, plugins.WithCallRetryBudget(0))
	require.NoError(t, err)
	t.Cleanup(ours.CloseIdleConnections)

	var engM engine.Manifest
	var ourM plugins.Manifest
	require.NoError(t, eng.Call("Plugin.Activate", nil, &engM))
	require.NoError(t, ours.Call("Plugin.Activate", nil, &ourM))
	assert.Equal(t, []string{"VolumeDriver"}, engM.Implements)
	assert.Equal(t, engM.Implements, ourM.Implements)
	assert.Len(t, rec.take(), 2)
}
