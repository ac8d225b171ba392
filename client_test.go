package plugins_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/docker/go-connections/tlsconfig"
	"github.com/go-dockerplugins/plugins"
	"github.com/go-dockerplugins/plugins/internal/testkit"
	"github.com/go-dockerplugins/plugins/pluginstest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCallOverEveryTransport(t *testing.T) {
	t.Parallel()
	env := pluginstest.New(t)
	ca := env.CA()
	sock := env.ServeSocket("unix").Handle("Echo.Echo", echo)
	tcp := env.ServeSpec("tcp").Handle("Echo.Echo", echo)
	secure := env.ServeJSON("tls").Handle("Echo.Echo", echo)
	mutual := testkit.Serve(t, tls.NewListener(testkit.ListenTCP(t), ca.MutualConfig()), echo)
	certFile, keyFile := ca.ClientFiles()

	tests := []struct {
		name string
		addr string
		tls  tlsconfig.Options
	}{
		{"unix socket", sock.Addr(), tlsconfig.Options{InsecureSkipVerify: true}},
		{"tcp", tcp.Addr(), tlsconfig.Options{}},
		{"http", "http://" + strings.TrimPrefix(tcp.Addr(), "tcp://"), tlsconfig.Options{}},
		{"https verified with the CA", secure.Addr(), tlsconfig.Options{CAFile: ca.File()}},
		{"https with localhost as the name", "https://localhost:" + port(secure.Addr()), tlsconfig.Options{CAFile: ca.File()}},
		{"https without verification", secure.Addr(), tlsconfig.Options{InsecureSkipVerify: true}},
		{"https with a client certificate", "https://" + mutual.HostPort(),
			tlsconfig.Options{CAFile: ca.File(), CertFile: certFile, KeyFile: keyFile}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(t, tt.addr, tt.tls)
			var out echoArgs
			require.NoError(t, c.Call("Echo.Echo", echoArgs{"hello", 42}, &out))
			assert.Equal(t, echoArgs{"hello", 42}, out)
		})
	}
}

// TLS failures, with the default budgets and the real clock: a clear error
// at once, through a spec file and through a bare client, and no retry.
func TestTLSFailuresAreReportedAtOnce(t *testing.T) {
	t.Parallel()
	ca := pluginstest.NewCA(t, testkit.ShortDir(t))
	other := pluginstest.NewCA(t, testkit.ShortDir(t))
	serve := func(cert ...tls.Certificate) string {
		cfg := ca.ServerConfig()
		if cert != nil {
			cfg.Certificates = cert
		}
		return "https://" + testkit.Serve(t, tls.NewListener(testkit.ListenTCP(t), cfg), echo).HostPort()
	}
	misnamed := serve(ca.Issue("other.example"))
	certified := serve()

	tests := []struct {
		name    string
		addr    string
		caFile  string // none: the system's roots
		wantErr string
	}{
		{"unknown CA", certified, other.File(), "certificate signed by unknown authority"},
		{"system roots", certified, "", "certificate signed by unknown authority"},
		{"wrong host name", "https://localhost:" + port(misnamed), ca.File(), "certificate is valid for other.example, not localhost"},
		{"wrong IP address", misnamed, ca.File(), "x509"},
		{"expired", serve(ca.Expired()), ca.File(), "certificate has expired"},
		{"client certificate missing", "https://" + testkit.Serve(t, tls.NewListener(testkit.ListenTCP(t), ca.MutualConfig()), echo).HostPort(),
			ca.File(), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := pluginstest.New(t)
			spec := map[string]any{"Addr": tt.addr}
			if tt.caFile != "" {
				spec["TLSConfig"] = map[string]string{"CAFile": tt.caFile}
			}
			b, err := json.Marshal(spec)
			require.NoError(t, err)
			env.WriteSpecFile("secure.json", string(b))
			var seen testkit.Log[plugins.RetryEvent]
			s := plugins.NewStore(env.Registry(), plugins.WithLogger(testkit.QuietLogger()), plugins.WithRetryObserver(seen.Add))

			// A retry would take the default back-off (1s) and fail the test
			// in seconds rather than wait the budget.
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			start := time.Now()
			_, err = s.GetContext(ctx, "secure", "VolumeDriver")
			require.Error(t, err)
			for _, want := range []string{tt.wantErr, `"secure"`, tt.addr, "Plugin.Activate"} {
				assert.Contains(t, err.Error(), want)
			}

			c, err := plugins.NewClientWithOptions(tt.addr, tlsconfig.Options{CAFile: tt.caFile},
				plugins.WithLogger(testkit.QuietLogger()), plugins.WithRetryObserver(seen.Add))
			require.NoError(t, err)
			err = c.CallContext(ctx, "VolumeDriver.Get", nil, nil)
			require.ErrorContains(t, err, tt.wantErr)
			assert.Contains(t, err.Error(), tt.addr)

			assert.Less(t, time.Since(start), 5*time.Second, "far less than a retry budget")
			assert.Empty(t, seen.All(), "not retried")
		})
	}
}

func TestNewClientRefusesBadAddresses(t *testing.T) {
	t.Parallel()
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
			_, err := plugins.NewClient(tt.addr, tlsconfig.Options{})
			require.ErrorContains(t, err, tt.wantErr)
			assert.Contains(t, err.Error(), fmt.Sprintf("%q", tt.addr))
		})
	}
	_, err := plugins.NewClient("https://127.0.0.1:1", tlsconfig.Options{CAFile: "/nonexistent/ca.pem"})
	assert.ErrorContains(t, err, "TLS configuration")
}

func TestRequestOnTheWire(t *testing.T) {
	t.Parallel()
	env := pluginstest.New(t)
	// pluginstest records requests but for their transfer encoding.
	var encodings testkit.Log[[]string]
	wire := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		encodings.Add(r.TransferEncoding)
		_, _ = io.WriteString(w, "{}")
	})
	sock := env.ServeSocket("unix").Handle("Wire.Test", wire)
	tcp := env.ServeSpec("tcp").Handle("Wire.Test", wire)

	pr, pw := io.Pipe()
	go func() {
		_, _ = pw.Write([]byte("streamed"))
		pw.Close()
	}()

	tests := []struct {
		name    string
		plugin  *pluginstest.Plugin
		do      func(c *plugins.Client) error
		path    string
		query   string
		host    string
		body    string
		length  int64
		chunked bool
	}{
		{name: "Call with nil args sends an empty body",
			do:   func(c *plugins.Client) error { return c.Call("Wire.Test", nil, nil) },
			path: "/Wire.Test", body: "", length: 0},
		{name: "Call with args sends JSON and a newline",
			do:   func(c *plugins.Client) error { return c.Call("Wire.Test", map[string]string{"Name": "v<1>"}, nil) },
			path: "/Wire.Test", body: `{"Name":"v\u003c1\u003e"}` + "\n", length: int64(len(`{"Name":"v\u003c1\u003e"}` + "\n"))},
		{name: "a leading slash is kept",
			do:   func(c *plugins.Client) error { return c.Call("/Wire.Test", nil, nil) },
			path: "/Wire.Test", body: "", length: 0},
		{name: "the query string is kept",
			do:   func(c *plugins.Client) error { return c.Call("Wire.Test?id=x&parent=y", nil, nil) },
			path: "/Wire.Test", query: "id=x&parent=y", body: "", length: 0},
		{name: "Stream with nil args sends null",
			do: func(c *plugins.Client) error {
				rc, err := c.Stream("Wire.Test", nil)
				if err == nil {
					rc.Close()
				}
				return err
			},
			path: "/Wire.Test", body: "null\n", length: 5},
		{name: "SendFile of a buffer has a Content-Length",
			do:   func(c *plugins.Client) error { return c.SendFile("Wire.Test", bytes.NewBufferString("buffered"), nil) },
			path: "/Wire.Test", body: "buffered", length: 8},
		{name: "SendFile of a stream is chunked",
			do:   func(c *plugins.Client) error { return c.SendFile("Wire.Test", pr, nil) },
			path: "/Wire.Test", body: "streamed", length: -1, chunked: true},
		{name: "TCP sends the address as Host",
			plugin: tcp,
			do:     func(c *plugins.Client) error { return c.Call("Wire.Test", nil, nil) },
			path:   "/Wire.Test", host: strings.TrimPrefix(tcp.Addr(), "tcp://"), body: "", length: 0},
	}
	for _, tt := range tests { // in turn: each reads the requests since the one before
		t.Run(tt.name, func(t *testing.T) {
			p := tt.plugin
			if p == nil {
				p = sock
			}
			before := len(p.Requests())
			encodings.Take()
			require.NoError(t, tt.do(newClient(t, p.Addr(), tlsconfig.Options{})))
			reqs := p.Requests()[before:]
			require.Len(t, reqs, 1)
			r := reqs[0]
			assert.Equal(t, http.MethodPost, r.HTTPMethod)
			assert.Equal(t, tt.path, r.Path)
			assert.Equal(t, tt.query, r.RawQuery)
			assert.Equal(t, []string{plugins.VersionMimetype}, r.Header.Values("Accept"))
			assert.Empty(t, r.Header.Values("Content-Type"), "no request Content-Type")
			assert.Equal(t, tt.body, string(r.Body))
			assert.Equal(t, tt.length, r.ContentLength)
			te := encodings.Take()
			require.Len(t, te, 1)
			if tt.chunked {
				assert.Equal(t, []string{"chunked"}, te[0])
			} else {
				assert.Empty(t, te[0])
				assert.Equal(t, []string{fmt.Sprint(tt.length)}, r.Header.Values("Content-Length"))
			}
			host := tt.host
			if host == "" {
				host = "plugin.moby.localhost" // the engine's, over a socket
			}
			assert.Equal(t, host, r.Host)
		})
	}
}

func TestAnswerContentTypes(t *testing.T) {
	t.Parallel()
	for _, ct := range []string{"application/vnd.docker.plugins.v1.1+json", "application/json", "", "text/plain"} {
		t.Run(ct, func(t *testing.T) {
			p := pluginstest.New(t).ServeSocket("p").HandleFunc("X.Y", func(w http.ResponseWriter, r *http.Request) {
				if ct == "" {
					w.Header()["Content-Type"] = nil // no sniffing either
				} else {
					w.Header().Set("Content-Type", ct)
				}
				_, _ = io.WriteString(w, `{"Name":"ok","N":1}`)
			})
			var out echoArgs
			require.NoError(t, newClient(t, p.Addr(), tlsconfig.Options{}).Call("X.Y", nil, &out))
			assert.Equal(t, echoArgs{"ok", 1}, out)
		})
	}
}

func TestErrorAnswers(t *testing.T) {
	t.Parallel()
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
			p := pluginstest.New(t).ServeSocket("p").HandleFunc("Volume.Remove", func(w http.ResponseWriter, r *http.Request) {
				if tt.status == http.StatusFound {
					w.Header().Set("Location", "/Elsewhere")
				}
				w.WriteHeader(tt.status)
				_, _ = io.WriteString(w, tt.body)
			})
			c := newClient(t, p.Addr(), tlsconfig.Options{})

			err := c.Call("Volume.Remove", map[string]string{"Name": "v"}, nil)
			require.Error(t, err)
			assert.Equal(t, tt.wantErr, err.Error(), "the engine's error text")
			var se *plugins.StatusError
			require.ErrorAs(t, err, &se)
			assert.Equal(t, tt.status, se.StatusCode)
			assert.Equal(t, "Volume.Remove", se.Method)
			assert.Equal(t, tt.notFound, plugins.IsNotFound(err))
			assert.Equal(t, tt.notFound, plugins.IsNotFound(fmt.Errorf("wrapped: %w", err)), "IsNotFound sees through wrapping")
			assert.Len(t, p.Requests(), 1, "an error answer is not retried")

			_, err = c.Stream("Volume.Remove", nil)
			assert.Equal(t, tt.wantErr, err.Error())
			err = c.SendFile("Volume.Remove", strings.NewReader("x"), nil)
			assert.Equal(t, tt.wantErr, err.Error())
		})
	}
	assert.False(t, plugins.IsNotFound(nil))
	assert.False(t, plugins.IsNotFound(errors.New("404")))
}

func TestErrInsideSuccessfulAnswerIsTheCallersToRead(t *testing.T) {
	t.Parallel()
	p := pluginstest.New(t).ServeSocket("p").Handle("VolumeDriver.Get", pluginstest.Reply(map[string]string{"Err": "no such volume"}))
	var out struct{ Err string }
	require.NoError(t, newClient(t, p.Addr(), tlsconfig.Options{}).Call("VolumeDriver.Get", nil, &out))
	assert.Equal(t, "no such volume", out.Err)
}

func TestHugeErrorBodyIsTruncated(t *testing.T) {
	t.Parallel()
	p := pluginstest.New(t).ServeSocket("p").HandleFunc("X.Y", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
		chunk := bytes.Repeat([]byte("e"), 1<<16)
		for i := 0; i < 1<<10; i++ { // 64 MiB, more than anyone should read
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	})
	err := newClient(t, p.Addr(), tlsconfig.Options{}).Call("X.Y", nil, nil)
	var se *plugins.StatusError
	require.ErrorAs(t, err, &se)
	assert.Len(t, se.Message, errorBound)
}

func TestUndecodableAnswer(t *testing.T) {
	t.Parallel()
	p := pluginstest.New(t).ServeSocket("p").HandleFunc("X.Y", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"Name": `)
	})
	c := newClient(t, p.Addr(), tlsconfig.Options{})
	var out echoArgs
	err := c.Call("X.Y", nil, &out)
	require.ErrorContains(t, err, "decoding the answer")
	assert.ErrorContains(t, err, "X.Y")
	assert.ErrorContains(t, err, p.Source())
	assert.NoError(t, c.Call("X.Y", nil, nil), "nothing is decoded without a result")
}

func TestDefaultBackoffSchedule(t *testing.T) {
	t.Parallel()
	var got []time.Duration
	for n := 1; n <= 8; n++ {
		got = append(got, plugins.DefaultBackoff(n))
	}
	s := time.Second
	assert.Equal(t, []time.Duration{1 * s, 2 * s, 4 * s, 8 * s, 16 * s, 30 * s, 30 * s, 30 * s}, got)
	assert.Equal(t, 3*time.Millisecond, plugins.ExponentialBackoff(time.Millisecond, 3*time.Millisecond)(5))
}

func TestRetryResendsTheWholeBody(t *testing.T) {
	t.Parallel()
	payload := strings.Repeat("0123456789", 10_000)
	bodies := []struct {
		name string
		call func(t *testing.T, c *plugins.Client) (string, error)
	}{
		{"Call", func(_ *testing.T, c *plugins.Client) (string, error) {
			var out string
			err := c.Call("Echo.Echo", payload, &out)
			return out, err
		}},
		{"Stream", func(_ *testing.T, c *plugins.Client) (string, error) {
			rc, err := c.Stream("Echo.Echo", payload)
			if err != nil {
				return "", err
			}
			defer rc.Close()
			var out string
			err = json.NewDecoder(rc).Decode(&out)
			return out, err
		}},
		{"SendFile of a buffer", func(_ *testing.T, c *plugins.Client) (string, error) {
			var out string
			b, _ := json.Marshal(payload)
			err := c.SendFile("Echo.Echo", bytes.NewBuffer(b), &out)
			return out, err
		}},
		{"SendFile of a seeker", func(t *testing.T, c *plugins.Client) (string, error) {
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
			t.Parallel()
			// The plugin reads the first two requests whole, then hangs up.
			p := pluginstest.New(t).ServeSocket("p").Handle("Echo.Echo", echo).
				Inject(pluginstest.Fault{Method: "Echo.Echo", Times: 2, Drop: true})
			var retried testkit.Log[plugins.RetryEvent]
			c := newClient(t, p.Addr(), tlsconfig.Options{}, plugins.WithRetryObserver(retried.Add))

			out, err := tt.call(t, c)
			require.NoError(t, err)
			assert.Equal(t, payload, out)
			reqs := p.Requests()
			require.Len(t, reqs, 3, "two dropped, one answered")
			assert.Len(t, retried.All(), 2)
			var got string
			require.NoError(t, json.Unmarshal(reqs[2].Body, &got))
			assert.Equal(t, payload, got, "the final attempt carries the whole body")
		})
	}
}

func TestSendFileDoesNotResendAPartlySentStream(t *testing.T) {
	t.Parallel()
	p := pluginstest.New(t).ServeSocket("p").Handle("Echo.Echo", echo).
		Inject(pluginstest.Fault{Method: "Echo.Echo", Times: 1, Drop: true})
	c := newClient(t, p.Addr(), tlsconfig.Options{})

	pr, pw := io.Pipe()
	go func() {
		_, _ = io.WriteString(pw, `"once"`)
		pw.Close()
	}()
	err := c.SendFile("Echo.Echo", pr, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "cannot be rewound")
	assert.Len(t, p.Requests(), 1, "nothing is resent")
}

func TestSendFileRetriesAStreamNotYetRead(t *testing.T) {
	t.Parallel()
	p := pluginstest.New(t).ServeSocketLater("late").Handle("Echo.Echo", echo)
	// The plugin comes up as the first retry is announced: during its wait.
	c := newClient(t, p.Addr(), tlsconfig.Options{}, plugins.WithRetryObserver(func(ev plugins.RetryEvent) {
		if ev.Attempt == 1 {
			assert.NoError(t, p.Start())
		}
	}))
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
	t.Parallel()
	p := pluginstest.New(t).ServeSocket("p").Handle("Echo.Echo", echo)
	c := newClient(t, p.Addr(), tlsconfig.Options{})

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
	t.Parallel()
	raw := pluginstest.New(t).ServeRaw("p", pluginstest.RawAnswer("this is not HTTP\r\n\r\n", false))
	var seen testkit.Log[plugins.RetryEvent]
	c := newClient(t, raw.Addr(), tlsconfig.Options{}, plugins.WithRetryObserver(seen.Add))
	require.Error(t, c.Call("X.Y", nil, nil))
	assert.Empty(t, seen.All())
	assert.Equal(t, 1, raw.Conns())
}

func TestTimeouts(t *testing.T) {
	t.Parallel()
	env := pluginstest.New(t)
	hung := env.ServeRaw("hung", pluginstest.RawFunc(testkit.Hang)).Addr()

	t.Run("WithRequestTimeout", func(t *testing.T) {
		t.Parallel()
		c := newClient(t, hung, tlsconfig.Options{})
		start := time.Now()
		err := c.CallWithOptions("X.Y", nil, nil, plugins.WithRequestTimeout(50*time.Millisecond))
		require.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Less(t, time.Since(start), 5*time.Second)
		assert.ErrorContains(t, err, "X.Y")
	})
	t.Run("NewClientWithTimeout", func(t *testing.T) {
		t.Parallel()
		c, err := plugins.NewClientWithTimeout(hung, tlsconfig.Options{}, 50*time.Millisecond)
		require.NoError(t, err)
		start := time.Now()
		require.ErrorIs(t, c.Call("X.Y", nil, nil), context.DeadlineExceeded)
		_, err = c.Stream("X.Y", nil)
		require.ErrorIs(t, err, context.DeadlineExceeded)
		require.ErrorIs(t, c.SendFile("X.Y", strings.NewReader("x"), nil), context.DeadlineExceeded)
		assert.Less(t, time.Since(start), 5*time.Second)
	})
	t.Run("a request timeout bounds the retries too", func(t *testing.T) {
		t.Parallel()
		stale := filepath.Join(testkit.ShortDir(t), "stale.sock")
		c, err := plugins.NewClientWithOptions("unix://"+stale, tlsconfig.Options{}, plugins.WithLogger(testkit.QuietLogger()))
		require.NoError(t, err)
		start := time.Now()
		err = c.CallWithOptions("X.Y", nil, nil, plugins.WithRequestTimeout(300*time.Millisecond))
		require.ErrorIs(t, err, context.DeadlineExceeded)
		assert.ErrorIs(t, err, os.ErrNotExist, "and says what it was waiting for")
		assert.Less(t, time.Since(start), 5*time.Second)
	})
}

func TestContextCancellation(t *testing.T) {
	t.Parallel()
	t.Run("during a back-off wait", func(t *testing.T) {
		t.Parallel()
		stale := filepath.Join(testkit.ShortDir(t), "stale.sock")
		ctx, cancel := context.WithCancel(context.Background())
		c := newClient(t, "unix://"+stale, tlsconfig.Options{},
			plugins.WithBackoff(func(int) time.Duration { return time.Hour }), plugins.WithCallRetryBudget(2*time.Hour),
			plugins.WithRetryObserver(func(plugins.RetryEvent) { cancel() }))
		start := time.Now()
		err := c.CallContext(ctx, "X.Y", nil, nil)
		require.ErrorIs(t, err, context.Canceled)
		assert.Less(t, time.Since(start), 5*time.Second)
	})
	t.Run("while waiting for the answer", func(t *testing.T) {
		t.Parallel()
		hung := pluginstest.New(t).ServeRaw("hung", pluginstest.RawFunc(testkit.Hang))
		c := newClient(t, hung.Addr(), tlsconfig.Options{})
		ctx, cancel := context.WithCancel(context.Background())
		go func() {
			for hung.Requests() == 0 {
				time.Sleep(time.Millisecond)
			}
			cancel()
		}()
		require.ErrorIs(t, c.CallContext(ctx, "X.Y", nil, nil), context.Canceled)
	})
	t.Run("in the middle of the answer", func(t *testing.T) {
		t.Parallel()
		p := pluginstest.New(t).ServeSocket("slow").HandleFunc("X.Y", func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, `{"Name": "partial`)
			w.(http.Flusher).Flush()
			<-r.Context().Done() // the client hangs up, or the plugin stops
		})
		c := newClient(t, p.Addr(), tlsconfig.Options{})

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
		t.Parallel()
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		c := newClient(t, "unix:///nonexistent/p.sock", tlsconfig.Options{})
		require.ErrorIs(t, c.CallContext(ctx, "X.Y", nil, nil), context.Canceled)
		require.ErrorIs(t, c.SendFileContext(ctx, "X.Y", strings.NewReader("x"), nil), context.Canceled)
	})
}

func TestStream(t *testing.T) {
	t.Parallel()
	payload := strings.Repeat("stream ", 100_000)
	p := pluginstest.New(t).ServeSocket("p").HandleFunc("Logs.Read", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, payload)
	})
	c := newClient(t, p.Addr(), tlsconfig.Options{})

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
	t.Parallel()
	srv := testkit.ServeSocket(t, testkit.SocketPath(t, "p"), echo)
	c := newClient(t, srv.Addr(), tlsconfig.Options{})
	for i := 0; i < 50; i++ {
		var out echoArgs
		require.NoError(t, c.Call("Echo.Echo", echoArgs{N: i}, &out))
		require.Equal(t, i, out.N)
	}
	assert.Equal(t, 1, srv.Conns(), "serial calls share one connection")
}

func TestConcurrentCalls(t *testing.T) {
	t.Parallel()
	p := pluginstest.New(t).ServeSocket("p").Handle("Echo.Echo", echo)
	c := newClient(t, p.Addr(), tlsconfig.Options{})
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

func TestArgumentsThatCannotBeEncoded(t *testing.T) {
	t.Parallel()
	c := newClient(t, "unix:///nonexistent/p.sock", tlsconfig.Options{})
	err := c.Call("X.Y", make(chan int), nil)
	require.ErrorContains(t, err, "encoding arguments")
	assert.ErrorContains(t, err, "X.Y")
	_, err = c.Stream("X.Y", func() {})
	require.ErrorContains(t, err, "encoding arguments")
}

func TestNamedPipesOutsideWindows(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("named pipes work on Windows")
	}
	var seen testkit.Log[plugins.RetryEvent]
	c := newClient(t, "npipe:////./pipe/myplugin", tlsconfig.Options{}, plugins.WithRetryObserver(seen.Add))
	err := c.Call("X.Y", nil, nil)
	require.ErrorContains(t, err, "only supported on Windows")
	assert.Empty(t, seen.All(), "not retried")
}

func TestCallRaw(t *testing.T) {
	t.Parallel()
	env := pluginstest.New(t)
	fp := env.ServeSocket("p", "X").
		HandleFunc("X.Echo", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain")
			body, _ := io.ReadAll(r.Body)
			_, _ = w.Write(append([]byte("got:"), body...))
		}).
		Handle("X.Fail", pluginstest.ReplyError(http.StatusConflict, "in use")).
		Inject(pluginstest.Fault{Method: "X.Echo", Times: 1, Drop: true})
	p, err := env.Store().Get("p", "X")
	require.NoError(t, err)

	tests := []struct {
		name   string
		method string
		body   []byte
		want   string
		err    string
		status int
	}{
		{name: "body sent as is, answer undecoded, retried after a drop", method: "X.Echo", body: []byte(`{"a": 1}`), want: `got:{"a": 1}`},
		{name: "nil body is empty", method: "X.Echo", want: "got:"},
		{name: "not JSON", method: "X.Echo", body: []byte("plain"), want: "got:plain"},
		{name: "error answer", method: "X.Fail", err: "X.Fail: in use", status: http.StatusConflict},
		{name: "missing method", method: "X.Missing", status: http.StatusNotFound, err: "X.Missing: 404 page not found\n"},
	}
	for _, tt := range tests { // in order: the first call meets the fault
		t.Run(tt.name, func(t *testing.T) {
			got, err := p.Client.CallRaw(context.Background(), tt.method, tt.body)
			if tt.err != "" {
				require.EqualError(t, err, tt.err)
				var se *plugins.StatusError
				require.ErrorAs(t, err, &se)
				assert.Equal(t, tt.status, se.StatusCode)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, string(got))
		})
	}
	echoes := fp.Calls("X.Echo")
	require.Len(t, echoes, 4, "the dropped call was resent")
	assert.Equal(t, echoes[0].Body, echoes[1].Body, "a retry resends the whole body")
	assert.EqualValues(t, 0, echoes[2].ContentLength, "a nil body is empty, not null")
}
