package plugins

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/docker/go-connections/tlsconfig"
	"github.com/go-dockerplugins/plugins/internal/testkit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type echoArgs struct {
	Name string
	N    int
}

// echo answers with the request body.
func echo(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/vnd.docker.plugins.v1.1+json")
	_, _ = io.Copy(w, r.Body)
}

// testClient returns a quiet client of addr with a fake clock.
func testClient(t *testing.T, addr string, tlsOpts tlsconfig.Options, opts ...Option) *Client {
	t.Helper()
	c, err := NewClientWithOptions(addr, tlsOpts, append([]Option{WithLogger(testkit.QuietLogger()), withClock(newFakeClock())}, opts...)...)
	require.NoError(t, err)
	t.Cleanup(c.CloseIdleConnections)
	return c
}

func TestCallOverEveryTransport(t *testing.T) {
	dir := testkit.ShortDir(t)
	pki := testkit.NewCA(t, dir)
	h := newFakePlugin().on("/Echo.Echo", echo)

	sock := filepath.Join(dir, "p.sock")
	serveUnix(t, sock, h)
	tcp := serveTCP(t, h)
	tlsAddr := serveTLS(t, h, pki.ServerConfig())

	mtlsAddr := serveTLS(t, h, pki.MutualConfig())
	certFile, keyFile := pki.ClientFiles()

	tests := []struct {
		name string
		addr string
		tls  tlsconfig.Options
	}{
		{"unix socket", "unix://" + sock, tlsconfig.Options{InsecureSkipVerify: true}},
		{"tcp", "tcp://" + tcp, tlsconfig.Options{}},
		{"http", "http://" + tcp, tlsconfig.Options{}},
		{"https verified with the CA", "https://" + tlsAddr, tlsconfig.Options{CAFile: pki.File()}},
		{"https with localhost as the name", "https://localhost:" + port(tlsAddr), tlsconfig.Options{CAFile: pki.File()}},
		{"https without verification", "https://" + tlsAddr, tlsconfig.Options{InsecureSkipVerify: true}},
		{"https with a client certificate", "https://" + mtlsAddr,
			tlsconfig.Options{CAFile: pki.File(), CertFile: certFile, KeyFile: keyFile}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := testClient(t, tt.addr, tt.tls)
			var out echoArgs
			require.NoError(t, c.Call("Echo.Echo", echoArgs{"hello", 42}, &out))
			assert.Equal(t, echoArgs{"hello", 42}, out)
		})
	}
}

func TestTLSVerificationFailuresAreNotRetried(t *testing.T) {
	dir := testkit.ShortDir(t)
	pki := testkit.NewCA(t, dir)
	other := testkit.NewCA(t, testkit.ShortDir(t))
	h := newFakePlugin().on("/Echo.Echo", echo)
	addr := serveTLS(t, h, pki.ServerConfig())

	mtlsAddr := serveTLS(t, h, pki.MutualConfig())

	misnamed := pki.ServerConfig()
	misnamed.Certificates = []tls.Certificate{pki.Issue("other.example")}
	misnamedAddr := serveTLS(t, h, misnamed)

	tests := []struct {
		name    string
		addr    string
		tls     tlsconfig.Options
		wantErr string
	}{
		{"wrong CA", "https://" + addr, tlsconfig.Options{CAFile: other.File()}, "unknown authority"},
		{"system roots", "https://" + addr, tlsconfig.Options{}, "unknown authority"},
		{"wrong host name", "https://" + misnamedAddr, tlsconfig.Options{CAFile: pki.File()}, "x509"},
		{"client certificate missing", "https://" + mtlsAddr, tlsconfig.Options{CAFile: pki.File()}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var seen retries
			c := testClient(t, tt.addr, tt.tls, WithRetryObserver(seen.observe))
			err := c.Call("Echo.Echo", echoArgs{}, nil)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
			assert.Contains(t, err.Error(), tt.addr)
			assert.Empty(t, seen.Events(), "a TLS failure is not retried")
		})
	}
}

func TestNewClientRefusesBadAddresses(t *testing.T) {
	for _, tt := range []struct{ addr, wantErr string }{
		{"", "Unknown protocol"},
		{"localhost:8080", "Unknown protocol"},
		{"ftp://127.0.0.1:21", `Unknown protocol "ftp"`},
		{"unix://relative.sock", "must be absolute"},
		{"unix:///" + strings.Repeat("x", 200) + ".sock", "too long"},
		{"tcp://127.0.0.1", "want host:port"},
		{"tcp://%zz", "invalid URL escape"},
		{"tcp://a\nb:1", "control characters"},
	} {
		t.Run(tt.addr, func(t *testing.T) {
			_, err := NewClient(tt.addr, tlsconfig.Options{})
			require.ErrorContains(t, err, tt.wantErr)
			assert.Contains(t, err.Error(), fmt.Sprintf("%q", tt.addr))
		})
	}
	_, err := NewClient("https://127.0.0.1:1", tlsconfig.Options{CAFile: "/nonexistent/ca.pem"})
	assert.ErrorContains(t, err, "TLS configuration")
}

func TestRequestOnTheWire(t *testing.T) {
	dir := testkit.ShortDir(t)
	p := newFakePlugin().on("/Wire.Test", func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "{}") })
	sock := filepath.Join(dir, "p.sock")
	serveUnix(t, sock, p)
	tcp := serveTCP(t, p)

	pr, pw := io.Pipe()
	go func() {
		_, _ = pw.Write([]byte("streamed"))
		pw.Close()
	}()

	tests := []struct {
		name      string
		addr      string
		do        func(c *Client) error
		path      string
		query     string
		host      string
		body      string
		length    int64
		chunked   bool
		wantNoErr bool
	}{
		{name: "Call with nil args sends an empty body",
			do:   func(c *Client) error { return c.Call("Wire.Test", nil, nil) },
			path: "/Wire.Test", body: "", length: 0},
		{name: "Call with args sends JSON and a newline",
			do:   func(c *Client) error { return c.Call("Wire.Test", map[string]string{"Name": "v<1>"}, nil) },
			path: "/Wire.Test", body: `{"Name":"v\u003c1\u003e"}` + "\n", length: int64(len(`{"Name":"v\u003c1\u003e"}` + "\n"))},
		{name: "a leading slash is kept",
			do:   func(c *Client) error { return c.Call("/Wire.Test", nil, nil) },
			path: "/Wire.Test", body: "", length: 0},
		{name: "the query string is kept",
			do:   func(c *Client) error { return c.Call("Wire.Test?id=x&parent=y", nil, nil) },
			path: "/Wire.Test", query: "id=x&parent=y", body: "", length: 0},
		{name: "Stream with nil args sends null",
			do: func(c *Client) error {
				rc, err := c.Stream("Wire.Test", nil)
				if err == nil {
					rc.Close()
				}
				return err
			},
			path: "/Wire.Test", body: "null\n", length: 5},
		{name: "SendFile of a buffer has a Content-Length",
			do:   func(c *Client) error { return c.SendFile("Wire.Test", bytes.NewBufferString("buffered"), nil) },
			path: "/Wire.Test", body: "buffered", length: 8},
		{name: "SendFile of a stream is chunked",
			do:   func(c *Client) error { return c.SendFile("Wire.Test", pr, nil) },
			path: "/Wire.Test", body: "streamed", length: -1, chunked: true},
		{name: "TCP sends the address as Host",
			addr: "tcp://" + tcp,
			do:   func(c *Client) error { return c.Call("Wire.Test", nil, nil) },
			path: "/Wire.Test", host: tcp, body: "", length: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := tt.addr
			if addr == "" {
				addr = "unix://" + sock
			}
			before := len(p.Requests())
			require.NoError(t, tt.do(testClient(t, addr, tlsconfig.Options{})))
			reqs := p.Requests()[before:]
			require.Len(t, reqs, 1)
			r := reqs[0]
			assert.Equal(t, http.MethodPost, r.Method)
			assert.Equal(t, tt.path, r.Path)
			assert.Equal(t, tt.query, r.RawQuery)
			assert.Equal(t, []string{VersionMimetype}, r.Header.Values("Accept"))
			assert.Empty(t, r.Header.Values("Content-Type"), "no request Content-Type")
			assert.Equal(t, tt.body, string(r.Body))
			assert.Equal(t, tt.length, r.ContentLength)
			if tt.chunked {
				assert.Equal(t, []string{"chunked"}, r.TransferEncoding)
			} else {
				assert.Empty(t, r.TransferEncoding)
				assert.Equal(t, []string{fmt.Sprint(tt.length)}, r.Header.Values("Content-Length"))
			}
			host := tt.host
			if host == "" {
				host = dummyHost
			}
			assert.Equal(t, host, r.Host)
		})
	}
}

func TestAnswerContentTypes(t *testing.T) {
	for _, ct := range []string{"application/vnd.docker.plugins.v1.1+json", "application/json", "", "text/plain"} {
		t.Run(ct, func(t *testing.T) {
			sock := filepath.Join(testkit.ShortDir(t), "p.sock")
			serveUnix(t, sock, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if ct == "" {
					w.Header()["Content-Type"] = nil // no sniffing either
				} else {
					w.Header().Set("Content-Type", ct)
				}
				_, _ = io.WriteString(w, `{"Name":"ok","N":1}`)
			}))
			var out echoArgs
			require.NoError(t, testClient(t, "unix://"+sock, tlsconfig.Options{}).Call("X.Y", nil, &out))
			assert.Equal(t, echoArgs{"ok", 1}, out)
		})
	}
}

func TestErrorAnswers(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		body     string
		wantErr  string
		notFound bool
	}{
		{"Err field", http.StatusInternalServerError, `{"Err":"volume busy"}`, "Volume.Remove: volume busy", false},
		{"plain body", http.StatusInternalServerError, "something broke\n", "Volume.Remove: something broke\n", false},
		{"JSON without Err", http.StatusBadRequest, `{"Message":"x"}`, `Volume.Remove: {"Message":"x"}`, false},
		{"empty Err", http.StatusBadRequest, `{"Err":""}`, `Volume.Remove: {"Err":""}`, false},
		{"Err of the wrong type", http.StatusBadRequest, `{"Err":42}`, `Volume.Remove: {"Err":42}`, false},
		{"404", http.StatusNotFound, "404 page not found\n", "Volume.Remove: 404 page not found\n", true},
		{"404 with Err", http.StatusNotFound, `{"Err":"unknown method"}`, "Volume.Remove: unknown method", true},
		{"redirect is not followed", http.StatusFound, "", "Volume.Remove: ", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls atomic.Int32
			sock := filepath.Join(testkit.ShortDir(t), "p.sock")
			serveUnix(t, sock, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				calls.Add(1)
				if tt.status == http.StatusFound {
					w.Header().Set("Location", "/Elsewhere")
				}
				w.WriteHeader(tt.status)
				_, _ = io.WriteString(w, tt.body)
			}))
			c := testClient(t, "unix://"+sock, tlsconfig.Options{})

			err := c.Call("Volume.Remove", map[string]string{"Name": "v"}, nil)
			require.Error(t, err)
			assert.Equal(t, tt.wantErr, err.Error(), "the engine's error text")
			var se *StatusError
			require.ErrorAs(t, err, &se)
			assert.Equal(t, tt.status, se.StatusCode)
			assert.Equal(t, "Volume.Remove", se.Method)
			assert.Equal(t, tt.notFound, IsNotFound(err))
			assert.Equal(t, tt.notFound, IsNotFound(fmt.Errorf("wrapped: %w", err)), "IsNotFound sees through wrapping")
			assert.EqualValues(t, 1, calls.Load(), "an error answer is not retried")

			_, err = c.Stream("Volume.Remove", nil)
			assert.Equal(t, tt.wantErr, err.Error())
			err = c.SendFile("Volume.Remove", strings.NewReader("x"), nil)
			assert.Equal(t, tt.wantErr, err.Error())
		})
	}
	assert.False(t, IsNotFound(nil))
	assert.False(t, IsNotFound(errors.New("404")))
}

func TestErrInsideSuccessfulAnswerIsTheCallersToRead(t *testing.T) {
	sock := filepath.Join(testkit.ShortDir(t), "p.sock")
	serveUnix(t, sock, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"Err":"no such volume"}`)
	}))
	var out struct{ Err string }
	require.NoError(t, testClient(t, "unix://"+sock, tlsconfig.Options{}).Call("VolumeDriver.Get", nil, &out))
	assert.Equal(t, "no such volume", out.Err)
}

func TestHugeErrorBodyIsTruncated(t *testing.T) {
	sock := filepath.Join(testkit.ShortDir(t), "p.sock")
	serveUnix(t, sock, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
		chunk := bytes.Repeat([]byte("e"), 1<<16)
		for i := 0; i < 1<<10; i++ { // 64 MiB, more than anyone should read
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}))
	err := testClient(t, "unix://"+sock, tlsconfig.Options{}).Call("X.Y", nil, nil)
	var se *StatusError
	require.ErrorAs(t, err, &se)
	assert.Len(t, se.Message, maxErrorMessage)
}

func TestUndecodableAnswer(t *testing.T) {
	sock := filepath.Join(testkit.ShortDir(t), "p.sock")
	serveUnix(t, sock, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"Name": `)
	}))
	c := testClient(t, "unix://"+sock, tlsconfig.Options{})
	var out echoArgs
	err := c.Call("X.Y", nil, &out)
	require.ErrorContains(t, err, "decoding the answer")
	assert.ErrorContains(t, err, "X.Y")
	assert.ErrorContains(t, err, sock)
	assert.NoError(t, c.Call("X.Y", nil, nil), "nothing is decoded without a result")
}

func TestDefaultBackoffSchedule(t *testing.T) {
	var got []time.Duration
	for n := 1; n <= 8; n++ {
		got = append(got, DefaultBackoff(n))
	}
	s := time.Second
	assert.Equal(t, []time.Duration{1 * s, 2 * s, 4 * s, 8 * s, 16 * s, 30 * s, 30 * s, 30 * s}, got)
	assert.Equal(t, 3*time.Millisecond, ExponentialBackoff(time.Millisecond, 3*time.Millisecond)(5))
}

func TestRetryBudget(t *testing.T) {
	s := time.Second
	tests := []struct {
		name      string
		budget    time.Duration
		wantWaits []time.Duration
	}{
		// The engine's rule: give up once the next wait would end 30s or
		// more after the first attempt, so 1+2+4+8 = 15s, and 15+16 >= 30.
		{"default", DefaultRetryBudget, []time.Duration{1 * s, 2 * s, 4 * s, 8 * s}},
		{"two minutes", 2 * time.Minute, []time.Duration{1 * s, 2 * s, 4 * s, 8 * s, 16 * s, 30 * s, 30 * s}},
		{"no retries", 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sock := filepath.Join(testkit.ShortDir(t), "stale.sock")
			var seen retries
			clk := newFakeClock()
			c, err := NewClientWithOptions("unix://"+sock, tlsconfig.Options{},
				WithLogger(testkit.QuietLogger()), withClock(clk), WithRetryObserver(seen.observe), WithCallRetryBudget(tt.budget))
			require.NoError(t, err)

			err = c.Call("VolumeDriver.Create", nil, nil)
			require.Error(t, err)
			assert.ErrorIs(t, err, syscall.ENOENT, "the last cause is kept")
			assert.Contains(t, err.Error(), sock)
			assert.Contains(t, err.Error(), "VolumeDriver.Create")
			assert.Equal(t, tt.wantWaits, clk.Sleeps())
			assert.Equal(t, tt.wantWaits, seen.Waits())
			if len(tt.wantWaits) > 0 {
				assert.Contains(t, err.Error(), fmt.Sprintf("gave up after %d attempts", len(tt.wantWaits)+1))
			}
			for i, ev := range seen.Events() {
				assert.Equal(t, i+1, ev.Attempt)
				assert.Equal(t, "VolumeDriver.Create", ev.Method)
				assert.Equal(t, "unix://"+sock, ev.Addr)
				assert.ErrorIs(t, ev.Err, syscall.ENOENT)
			}
		})
	}
}

func TestRetryUntilThePluginListens(t *testing.T) {
	sock := filepath.Join(testkit.ShortDir(t), "late.sock")
	p := newFakePlugin().on("/Echo.Echo", echo)
	clk := newFakeClock()
	clk.onSleep = func(n int) {
		if n == 3 { // the plugin comes up during the third wait
			serveUnix(t, sock, p)
		}
	}
	c := testClient(t, "unix://"+sock, tlsconfig.Options{}, withClock(clk))
	var out echoArgs
	require.NoError(t, c.Call("Echo.Echo", echoArgs{"late", 3}, &out))
	assert.Equal(t, echoArgs{"late", 3}, out)
	assert.Equal(t, []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}, clk.Sleeps())
	assert.Len(t, p.Requests(), 1)
}

// dropFirst serves h, but for the first n requests reads the whole request
// and then drops the connection without answering.
func dropFirst(n int32, h http.Handler) (http.Handler, *atomic.Int32) {
	var seen atomic.Int32
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if seen.Add(1) <= n {
			_, _ = io.Copy(io.Discard, r.Body)
			conn, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				conn.Close()
			}
			return
		}
		h.ServeHTTP(w, r)
	}), &seen
}

func TestRetryResendsTheWholeBody(t *testing.T) {
	payload := strings.Repeat("0123456789", 10_000)
	bodies := []struct {
		name string
		call func(c *Client) (string, error)
	}{
		{"Call", func(c *Client) (string, error) {
			var out string
			err := c.Call("Echo.Echo", payload, &out)
			return out, err
		}},
		{"Stream", func(c *Client) (string, error) {
			rc, err := c.Stream("Echo.Echo", payload)
			if err != nil {
				return "", err
			}
			defer rc.Close()
			var out string
			err = json.NewDecoder(rc).Decode(&out)
			return out, err
		}},
		{"SendFile of a buffer", func(c *Client) (string, error) {
			var out string
			b, _ := json.Marshal(payload)
			err := c.SendFile("Echo.Echo", bytes.NewBuffer(b), &out)
			return out, err
		}},
		{"SendFile of a seeker", func(c *Client) (string, error) {
			var out string
			b, _ := json.Marshal(payload)
			f := filepath.Join(testkit.ShortDir(t), "body")
			require.NoError(t, os.WriteFile(f, b, 0o600))
			file, err := os.Open(f)
			require.NoError(t, err)
			err = c.SendFile("Echo.Echo", file, &out)
			return out, err
		}},
	}
	for _, tt := range bodies {
		t.Run(tt.name, func(t *testing.T) {
			p := newFakePlugin().on("/Echo.Echo", echo)
			h, seen := dropFirst(2, p)
			sock := filepath.Join(testkit.ShortDir(t), "p.sock")
			serveUnix(t, sock, h)
			var retried retries
			c := testClient(t, "unix://"+sock, tlsconfig.Options{}, WithRetryObserver(retried.observe))

			out, err := tt.call(c)
			require.NoError(t, err)
			assert.Equal(t, payload, out)
			assert.EqualValues(t, 3, seen.Load())
			assert.Len(t, retried.Events(), 2)
			reqs := p.Requests()
			require.Len(t, reqs, 1, "the plugin answers once")
			var got string
			require.NoError(t, json.Unmarshal(reqs[0].Body, &got))
			assert.Equal(t, payload, got, "the final attempt carries the whole body")
		})
	}
}

func TestSendFileDoesNotResendAPartlySentStream(t *testing.T) {
	p := newFakePlugin().on("/Echo.Echo", echo)
	h, seen := dropFirst(1, p)
	sock := filepath.Join(testkit.ShortDir(t), "p.sock")
	serveUnix(t, sock, h)
	c := testClient(t, "unix://"+sock, tlsconfig.Options{})

	pr, pw := io.Pipe()
	go func() {
		_, _ = io.WriteString(pw, `"once"`)
		pw.Close()
	}()
	err := c.SendFile("Echo.Echo", pr, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "cannot be rewound")
	assert.EqualValues(t, 1, seen.Load(), "nothing is resent")
	assert.Empty(t, p.Requests())
}

func TestSendFileRetriesAStreamNotYetRead(t *testing.T) {
	sock := filepath.Join(testkit.ShortDir(t), "late.sock")
	p := newFakePlugin().on("/Echo.Echo", echo)
	clk := newFakeClock()
	clk.onSleep = func(n int) {
		if n == 1 {
			serveUnix(t, sock, p)
		}
	}
	c := testClient(t, "unix://"+sock, tlsconfig.Options{}, withClock(clk))
	pr, pw := io.Pipe()
	go func() {
		_, _ = io.WriteString(pw, `"streamed"`)
		pw.Close()
	}()
	var out string
	require.NoError(t, c.SendFile("Echo.Echo", pr, &out))
	assert.Equal(t, "streamed", out)
}

func TestSendFileClosesTheReaderAndDrainsABuffer(t *testing.T) {
	sock := filepath.Join(testkit.ShortDir(t), "p.sock")
	serveUnix(t, sock, newFakePlugin().on("/Echo.Echo", echo))
	c := testClient(t, "unix://"+sock, tlsconfig.Options{})

	rc := &closeRecorder{Reader: strings.NewReader(`"x"`)}
	require.NoError(t, c.SendFile("Echo.Echo", rc, nil))
	assert.True(t, rc.closed.Load())

	buf := bytes.NewBufferString(`"y"`)
	require.NoError(t, c.SendFile("Echo.Echo", buf, nil))
	assert.Zero(t, buf.Len(), "the buffer is read, as a request body is")

	require.NoError(t, c.SendFile("Echo.Echo", nil, nil), "a nil reader sends an empty body")
}

type closeRecorder struct {
	io.Reader
	closed atomic.Bool
}

func (c *closeRecorder) Close() error {
	c.closed.Store(true)
	return nil
}

func TestMalformedAnswerIsNotRetried(t *testing.T) {
	raw := testkit.ServeRawSocket(t, testkit.SocketPath(t, "p"), testkit.Answer("this is not HTTP\r\n\r\n", false))
	var seen retries
	c := testClient(t, raw.Addr(), tlsconfig.Options{}, WithRetryObserver(seen.observe))
	require.Error(t, c.Call("X.Y", nil, nil))
	assert.Empty(t, seen.Events())
	assert.EqualValues(t, 1, raw.Conns())
}

func TestTimeouts(t *testing.T) {
	sock := filepath.Join(testkit.ShortDir(t), "hung.sock")
	testkit.ServeRawSocket(t, sock, testkit.Hang)

	t.Run("WithRequestTimeout", func(t *testing.T) {
		c := testClient(t, "unix://"+sock, tlsconfig.Options{})
		start := time.Now()
		err := c.CallWithOptions("X.Y", nil, nil, WithRequestTimeout(100*time.Millisecond))
		require.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Less(t, time.Since(start), 5*time.Second)
		assert.ErrorContains(t, err, "X.Y")
	})
	t.Run("NewClientWithTimeout", func(t *testing.T) {
		c, err := NewClientWithTimeout("unix://"+sock, tlsconfig.Options{}, 100*time.Millisecond)
		require.NoError(t, err)
		start := time.Now()
		require.ErrorIs(t, c.Call("X.Y", nil, nil), context.DeadlineExceeded)
		_, err = c.Stream("X.Y", nil)
		require.ErrorIs(t, err, context.DeadlineExceeded)
		require.ErrorIs(t, c.SendFile("X.Y", strings.NewReader("x"), nil), context.DeadlineExceeded)
		assert.Less(t, time.Since(start), 5*time.Second)
	})
	t.Run("a request timeout bounds the retries too", func(t *testing.T) {
		stale := filepath.Join(testkit.ShortDir(t), "stale.sock")
		c, err := NewClientWithOptions("unix://"+stale, tlsconfig.Options{}, WithLogger(testkit.QuietLogger()))
		require.NoError(t, err)
		start := time.Now()
		err = c.CallWithOptions("X.Y", nil, nil, WithRequestTimeout(300*time.Millisecond))
		require.ErrorIs(t, err, context.DeadlineExceeded)
		assert.ErrorIs(t, err, syscall.ENOENT, "and says what it was waiting for")
		assert.Less(t, time.Since(start), 5*time.Second)
	})
}

func TestContextCancellation(t *testing.T) {
	t.Run("during a back-off wait", func(t *testing.T) {
		stale := filepath.Join(testkit.ShortDir(t), "stale.sock")
		ctx, cancel := context.WithCancel(context.Background())
		c, err := NewClientWithOptions("unix://"+stale, tlsconfig.Options{}, WithLogger(testkit.QuietLogger()),
			WithBackoff(func(int) time.Duration { return time.Hour }), WithCallRetryBudget(2*time.Hour),
			WithRetryObserver(func(RetryEvent) { cancel() }))
		require.NoError(t, err)
		start := time.Now()
		err = c.CallContext(ctx, "X.Y", nil, nil)
		require.ErrorIs(t, err, context.Canceled)
		assert.Less(t, time.Since(start), 5*time.Second)
	})
	t.Run("while waiting for the answer", func(t *testing.T) {
		sock := filepath.Join(testkit.ShortDir(t), "hung.sock")
		n := testkit.ServeRawSocket(t, sock, testkit.Hang)
		c := testClient(t, "unix://"+sock, tlsconfig.Options{})
		ctx, cancel := context.WithCancel(context.Background())
		go func() {
			for n.Requests() == 0 {
				time.Sleep(time.Millisecond)
			}
			cancel()
		}()
		require.ErrorIs(t, c.CallContext(ctx, "X.Y", nil, nil), context.Canceled)
	})
	t.Run("in the middle of the answer", func(t *testing.T) {
		stop := make(chan struct{})
		sock := filepath.Join(testkit.ShortDir(t), "slow.sock")
		serveUnix(t, sock, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, `{"Name": "partial`)
			w.(http.Flusher).Flush()
			select {
			case <-stop:
			case <-r.Context().Done():
			}
		}))
		t.Cleanup(func() { close(stop) })
		c := testClient(t, "unix://"+sock, tlsconfig.Options{})

		ctx, cancel := context.WithCancel(context.Background())
		rc, err := c.StreamContext(ctx, "X.Y", nil)
		require.NoError(t, err)
		defer rc.Close()
		buf := make([]byte, 64)
		n, err := rc.Read(buf)
		require.NoError(t, err)
		assert.Equal(t, `{"Name": "partial`, string(buf[:n]))
		cancel()
		_, err = io.ReadAll(rc)
		require.ErrorIs(t, err, context.Canceled)

		ctx, cancel = context.WithCancel(context.Background())
		time.AfterFunc(50*time.Millisecond, cancel)
		var out echoArgs
		require.ErrorIs(t, c.CallContext(ctx, "X.Y", nil, &out), context.Canceled)
	})
	t.Run("already cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		c := testClient(t, "unix:///nonexistent/p.sock", tlsconfig.Options{})
		require.ErrorIs(t, c.CallContext(ctx, "X.Y", nil, nil), context.Canceled)
		require.ErrorIs(t, c.SendFileContext(ctx, "X.Y", strings.NewReader("x"), nil), context.Canceled)
	})
}

func TestStream(t *testing.T) {
	sock := filepath.Join(testkit.ShortDir(t), "p.sock")
	payload := strings.Repeat("stream ", 100_000)
	serveUnix(t, sock, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, payload)
	}))
	c := testClient(t, "unix://"+sock, tlsconfig.Options{})

	rc, err := c.Stream("Logs.Read", nil)
	require.NoError(t, err)
	b, err := io.ReadAll(rc)
	require.NoError(t, err)
	require.NoError(t, rc.Close())
	assert.Equal(t, payload, string(b))

	// Closed early, the client keeps working.
	for i := 0; i < 20; i++ {
		rc, err := c.Stream("Logs.Read", nil)
		require.NoError(t, err)
		_, err = rc.Read(make([]byte, 10))
		require.NoError(t, err)
		require.NoError(t, rc.Close())
	}
	require.NoError(t, c.Call("Logs.Read", nil, nil))
}

func TestConnectionsAreKeptAlive(t *testing.T) {
	var conns atomic.Int32
	sock := filepath.Join(testkit.ShortDir(t), "p.sock")
	serveUnix(t, sock, newFakePlugin().on("/Echo.Echo", echo), func(s *http.Server) {
		s.ConnState = func(_ net.Conn, s http.ConnState) {
			if s == http.StateNew {
				conns.Add(1)
			}
		}
	})
	c := testClient(t, "unix://"+sock, tlsconfig.Options{})
	for i := 0; i < 50; i++ {
		var out echoArgs
		require.NoError(t, c.Call("Echo.Echo", echoArgs{N: i}, &out))
		require.Equal(t, i, out.N)
	}
	assert.EqualValues(t, 1, conns.Load(), "serial calls share one connection")
}

func TestConcurrentCalls(t *testing.T) {
	sock := filepath.Join(testkit.ShortDir(t), "p.sock")
	serveUnix(t, sock, newFakePlugin().on("/Echo.Echo", echo))
	c := testClient(t, "unix://"+sock, tlsconfig.Options{})
	var wg sync.WaitGroup
	for i := 0; i < 32; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 20; j++ {
				var out echoArgs
				assert.NoError(t, c.Call("Echo.Echo", echoArgs{N: i*100 + j}, &out))
				assert.Equal(t, i*100+j, out.N)
			}
		}()
	}
	wg.Wait()
}

func port(hostport string) string {
	_, p, _ := net.SplitHostPort(hostport)
	return p
}

func TestArgumentsThatCannotBeEncoded(t *testing.T) {
	c := testClient(t, "unix:///nonexistent/p.sock", tlsconfig.Options{})
	err := c.Call("X.Y", make(chan int), nil)
	require.ErrorContains(t, err, "encoding arguments")
	assert.ErrorContains(t, err, "X.Y")
	_, err = c.Stream("X.Y", func() {})
	require.ErrorContains(t, err, "encoding arguments")
}

func TestNamedPipesOutsideWindows(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("named pipes work on Windows")
	}
	var seen retries
	c := testClient(t, "npipe:////./pipe/myplugin", tlsconfig.Options{}, WithRetryObserver(seen.observe))
	err := c.Call("X.Y", nil, nil)
	require.ErrorContains(t, err, "only supported on Windows")
	assert.Empty(t, seen.Events(), "not retried")
}

func TestNoRetryPastTheDeadline(t *testing.T) {
	stale := filepath.Join(testkit.ShortDir(t), "stale.sock")
	var seen retries
	clk := newFakeClock()
	c := testClient(t, "unix://"+stale, tlsconfig.Options{}, withClock(clk), WithRetryObserver(seen.observe))
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	err := c.CallContext(ctx, "X.Y", nil, nil)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.ErrorIs(t, err, syscall.ENOENT, "the last cause is kept")
	// The first wait (1s) fits before the deadline, the second (2s) does not:
	// one retry, and no wait for an attempt that could not happen.
	assert.Equal(t, []time.Duration{time.Second}, seen.Waits())
	assert.Equal(t, []time.Duration{time.Second}, clk.Sleeps(), "the clock's time, not the real one, decides")
}
