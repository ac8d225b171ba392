package plugins_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/iotest"
	"time"

	"github.com/docker/go-connections/tlsconfig"
	"github.com/go-dockerplugins/plugins"
	"github.com/go-dockerplugins/plugins/internal/testkit"
	"github.com/go-dockerplugins/plugins/pluginstest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestKeepAliveWithAServerClosingIdleConnections(t *testing.T) {
	t.Parallel()
	srv := testkit.ServeSocket(t, testkit.SocketPath(t, "p"), echo, func(s *http.Server) {
		s.IdleTimeout = 20 * time.Millisecond
	})
	var seen testkit.Log[plugins.RetryEvent]
	c := newClient(t, srv.Addr(), tlsconfig.Options{}, plugins.WithRetryObserver(seen.Add))
	for i := 0; i < 3; i++ {
		var out echoArgs
		require.NoError(t, c.Call("Echo.Echo", echoArgs{N: i}, &out))
		assert.Equal(t, i, out.N)
		opened := srv.Conns()
		require.Eventually(t, func() bool { return srv.Closed() == opened }, 5*time.Second, 5*time.Millisecond,
			"the server closes the idle connection")
	}
	assert.Equal(t, 3, srv.Conns(), "a closed connection is not used again")
	assert.Empty(t, seen.All(), "and costs no retry")
}

func TestARequestOnAConnectionClosedUnderItIsSentAgainAtOnce(t *testing.T) {
	t.Parallel()
	payload := strings.Repeat("x", 100_000)
	var mu sync.Mutex
	var bodies []string
	// Every connection serves one request, then drops the next one unanswered,
	// as a server closing an idle connection just as a request arrives.
	raw := pluginstest.New(t).ServeRaw("raw", pluginstest.ReadBody(func(w net.Conn, n int, req *http.Request) bool {
		if n > 0 {
			return false
		}
		body, _ := io.ReadAll(req.Body)
		mu.Lock()
		bodies = append(bodies, string(body))
		mu.Unlock()
		_, _ = fmt.Fprintf(w, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
		return true
	}))
	sends := []struct {
		name   string
		send   func(t *testing.T, c *plugins.Client) (string, error)
		resent bool
	}{
		{"Call", func(_ *testing.T, c *plugins.Client) (string, error) {
			var out string
			err := c.Call("Echo.Echo", payload, &out)
			return out, err
		}, true},
		{"SendFile of a buffer", func(_ *testing.T, c *plugins.Client) (string, error) {
			var out string
			err := c.SendFile("Echo.Echo", bytes.NewBufferString(`"`+payload+`"`), &out)
			return out, err
		}, true},
		{"SendFile of a file", func(t *testing.T, c *plugins.Client) (string, error) {
			f := filepath.Join(testkit.ShortDir(t), "body")
			require.NoError(t, os.WriteFile(f, []byte(`"`+payload+`"`), 0o600))
			file, err := os.Open(f)
			require.NoError(t, err)
			var out string
			err = c.SendFile("Echo.Echo", file, &out)
			return out, err
		}, true},
		{"SendFile of a stream", func(_ *testing.T, c *plugins.Client) (string, error) {
			var out string
			err := c.SendFile("Echo.Echo", io.MultiReader(strings.NewReader(`"`+payload+`"`)), &out)
			return out, err
		}, false},
	}
	for _, tt := range sends { // in turn: one plugin, its connections counted
		t.Run(tt.name, func(t *testing.T) {
			var seen testkit.Log[plugins.RetryEvent]
			c := newClient(t, raw.Addr(), tlsconfig.Options{}, plugins.WithRetryObserver(seen.Add))
			var warm string
			require.NoError(t, c.Call("Echo.Echo", "warm", &warm))
			before := raw.Conns()
			mu.Lock()
			bodies = nil
			mu.Unlock()

			out, err := tt.send(t, c)
			if !tt.resent {
				require.Error(t, err, "a stream partly sent cannot be sent again")
				assert.ErrorContains(t, err, "cannot be rewound")
				assert.Equal(t, before, raw.Conns())
				return
			}
			require.NoError(t, err)
			assert.Equal(t, payload, out)
			assert.Equal(t, before+1, raw.Conns(), "sent again on a new connection")
			// The second send counts, and is shown with the same words as
			// in an error, but waits for nothing: every back-off wait is
			// announced to the observer first.
			require.Len(t, seen.All(), 1, "every send is counted")
			ev := seen.All()[0]
			assert.Equal(t, 1, ev.Attempt)
			assert.Zero(t, ev.Wait, "no back-off")
			assert.EqualError(t, ev.Err, "connection closed without an answer")
			assert.ErrorIs(t, ev.Err, io.EOF)
			mu.Lock()
			defer mu.Unlock()
			require.Len(t, bodies, 1)
			assert.Equal(t, `"`+payload+`"`, strings.TrimSpace(bodies[0]), "the whole body")
		})
	}
}

func TestStreamReadToTheEndKeepsItsConnection(t *testing.T) {
	t.Parallel()
	payload := strings.Repeat("0123456789", 100_000)
	srv := testkit.ServeSocket(t, testkit.SocketPath(t, "p"), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, payload)
	}))
	c := newClient(t, srv.Addr(), tlsconfig.Options{})
	for i := 0; i < 3; i++ {
		rc, err := c.Stream("Logs.Read", nil)
		require.NoError(t, err)
		var got strings.Builder
		n, err := io.Copy(&got, rc) // through WriteTo
		require.NoError(t, err)
		assert.EqualValues(t, len(payload), n)
		assert.Equal(t, payload, got.String())
		require.NoError(t, rc.Close())
	}
	assert.Equal(t, 1, srv.Conns())
}

func TestCancellationInterruptsAWrite(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	mux.HandleFunc("/Echo.Echo", testkit.Echo)
	mux.HandleFunc("/Sink.Fill", func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done() // never reads the body
	})
	srv := testkit.ServeSocket(t, testkit.SocketPath(t, "p"), mux)
	c := newClient(t, srv.Addr(), tlsconfig.Options{})

	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	endless := io.MultiReader(strings.NewReader("x"), zeros{}) // blocks in write once buffers fill
	start := time.Now()
	err := c.SendFileContext(ctx, "Sink.Fill", endless, nil)
	require.ErrorIs(t, err, context.Canceled)
	assert.Less(t, time.Since(start), 5*time.Second)

	var out echoArgs
	require.NoError(t, c.Call("Echo.Echo", echoArgs{N: 1}, &out), "the client keeps working")
	assert.Equal(t, 1, out.N)
	assert.Equal(t, 2, srv.Conns(), "the interrupted connection is not reused")
}

// zeros is an endless body.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

func TestDeadlineDuringTheAnswerDropsTheConnection(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	srv := testkit.ServeSocket(t, testkit.SocketPath(t, "p"), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			_, _ = io.WriteString(w, `{"Name":`)
			w.(http.Flusher).Flush()
			<-r.Context().Done() // the client hangs up, or the plugin stops
			return
		}
		_, _ = io.WriteString(w, `{"Name":"ok"}`)
	}))
	c := newClient(t, srv.Addr(), tlsconfig.Options{})
	var out echoArgs
	err := c.CallWithOptions("X.Y", nil, &out, plugins.WithRequestTimeout(50*time.Millisecond))
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.NoError(t, c.Call("X.Y", nil, &out))
	assert.Equal(t, "ok", out.Name, "no half answer is read as the next one")
	assert.Equal(t, 2, srv.Conns())
}

func TestAFailingRequestBodyIsNotRetried(t *testing.T) {
	t.Parallel()
	p := pluginstest.New(t).ServeSocket("p").Handle("Echo.Echo", echo)
	var seen testkit.Log[plugins.RetryEvent]
	c := newClient(t, p.Addr(), tlsconfig.Options{}, plugins.WithRetryObserver(seen.Add))
	broken := io.MultiReader(strings.NewReader("partial"), iotest.ErrReader(io.ErrUnexpectedEOF))
	err := c.SendFile("Echo.Echo", broken, nil)
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)
	assert.ErrorContains(t, err, "reading the request body")
	assert.Empty(t, seen.All())
}

func TestConnectionsAreReusedOverTCPAndTLS(t *testing.T) {
	t.Parallel()
	ca := testkit.NewCA(t, testkit.ShortDir(t))
	plain := testkit.Serve(t, testkit.ListenTCP(t), echo)
	secure := testkit.Serve(t, tls.NewListener(testkit.ListenTCP(t), ca.ServerConfig()), echo)
	for _, tt := range []struct {
		addr string
		opts tlsconfig.Options
		srv  *testkit.Server
	}{
		{plain.Addr(), tlsconfig.Options{}, plain},
		{"https://" + secure.HostPort(), tlsconfig.Options{CAFile: ca.File()}, secure},
		{"https://localhost:" + port("https://"+secure.HostPort()), tlsconfig.Options{CAFile: ca.File()}, secure},
	} {
		t.Run(tt.addr, func(t *testing.T) {
			before := tt.srv.Conns()
			c := newClient(t, tt.addr, tt.opts)
			for i := 0; i < 10; i++ {
				var out echoArgs
				require.NoError(t, c.Call("Echo.Echo", echoArgs{N: i}, &out))
				require.Equal(t, i, out.N)
			}
			rc, err := c.Stream("Echo.Echo", strings.Repeat("s", 300_000))
			require.NoError(t, err)
			var s string
			require.NoError(t, json.NewDecoder(rc).Decode(&s))
			require.NoError(t, rc.Close())
			assert.Len(t, s, 300_000)
			assert.Equal(t, before+1, tt.srv.Conns(), "one connection for every call")
		})
	}
}

func TestCancellationInterruptsATLSHandshake(t *testing.T) {
	t.Parallel()
	l := testkit.ListenTCP(t) // never accepts: the handshake never gets an answer
	c := newClient(t, "https://"+l.Addr().String(), tlsconfig.Options{InsecureSkipVerify: true})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := c.CallContext(ctx, "X.Y", nil, nil)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 5*time.Second)
}
