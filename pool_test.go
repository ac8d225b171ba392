package plugins

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/iotest"
	"time"

	"github.com/docker/go-connections/tlsconfig"
	"github.com/go-dockerplugins/plugins/internal/testkit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// connCounter counts the connections a server accepts and closes.
type connCounter struct{ opened, closed atomic.Int32 }

func (c *connCounter) track(s *http.Server) {
	s.ConnState = func(_ net.Conn, st http.ConnState) {
		switch st {
		case http.StateNew:
			c.opened.Add(1)
		case http.StateClosed, http.StateHijacked:
			c.closed.Add(1)
		}
	}
}

// eventually waits, up to a few seconds, for cond.
func eventually(t *testing.T, cond func() bool, msg string) {
	t.Helper()
	require.Eventually(t, cond, 5*time.Second, 5*time.Millisecond, msg)
}

func idleCount(c *Client) int {
	c.target.Load().pool.mu.Lock()
	defer c.target.Load().pool.mu.Unlock()
	return len(c.target.Load().pool.idle)
}

func TestKeepAliveWithAServerClosingIdleConnections(t *testing.T) {
	var conns connCounter
	sock := filepath.Join(testkit.ShortDir(t), "p.sock")
	serveUnix(t, sock, newFakePlugin().on("/Echo.Echo", echo), conns.track, func(s *http.Server) {
		s.IdleTimeout = 20 * time.Millisecond
	})
	var seen retries
	c := testClient(t, "unix://"+sock, tlsconfig.Options{}, WithRetryObserver(seen.observe))
	for i := 0; i < 3; i++ {
		var out echoArgs
		require.NoError(t, c.Call("Echo.Echo", echoArgs{N: i}, &out))
		assert.Equal(t, i, out.N)
		opened := conns.opened.Load()
		eventually(t, func() bool { return conns.closed.Load() == opened }, "the server closes the idle connection")
	}
	assert.EqualValues(t, 3, conns.opened.Load(), "a closed connection is not used again")
	assert.Empty(t, seen.Events(), "and costs no retry")
}

func TestARequestOnAConnectionClosedUnderItIsSentAgainAtOnce(t *testing.T) {
	payload := strings.Repeat("x", 100_000)
	var mu sync.Mutex
	var bodies []string
	// Every connection serves one request, then drops the next one unanswered,
	// as a server closing an idle connection just as a request arrives.
	raw := testkit.ServeRawSocket(t, testkit.SocketPath(t, "raw"), testkit.ReadBody(func(w net.Conn, n int, req *http.Request) bool {
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
	addr := raw.Addr()
	sends := []struct {
		name   string
		send   func(c *Client) (string, error)
		resent bool
	}{
		{"Call", func(c *Client) (string, error) {
			var out string
			err := c.Call("Echo.Echo", payload, &out)
			return out, err
		}, true},
		{"SendFile of a buffer", func(c *Client) (string, error) {
			var out string
			err := c.SendFile("Echo.Echo", bytes.NewBufferString(`"`+payload+`"`), &out)
			return out, err
		}, true},
		{"SendFile of a file", func(c *Client) (string, error) {
			f := filepath.Join(testkit.ShortDir(t), "body")
			require.NoError(t, os.WriteFile(f, []byte(`"`+payload+`"`), 0o600))
			file, err := os.Open(f)
			require.NoError(t, err)
			var out string
			err = c.SendFile("Echo.Echo", file, &out)
			return out, err
		}, true},
		{"SendFile of a stream", func(c *Client) (string, error) {
			var out string
			err := c.SendFile("Echo.Echo", io.MultiReader(strings.NewReader(`"`+payload+`"`)), &out)
			return out, err
		}, false},
	}
	for _, tt := range sends {
		t.Run(tt.name, func(t *testing.T) {
			clk := newFakeClock()
			var seen retries
			c := testClient(t, addr, tlsconfig.Options{}, withClock(clk), WithRetryObserver(seen.observe))
			var warm string
			require.NoError(t, c.Call("Echo.Echo", "warm", &warm))
			before := raw.Conns()
			mu.Lock()
			bodies = nil
			mu.Unlock()

			out, err := tt.send(c)
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
			// in an error, but waits for nothing.
			require.Len(t, seen.Events(), 1, "every send is counted")
			ev := seen.Events()[0]
			assert.Equal(t, 1, ev.Attempt)
			assert.Zero(t, ev.Wait)
			assert.EqualError(t, ev.Err, "connection closed without an answer")
			assert.ErrorIs(t, ev.Err, io.EOF)
			assert.Empty(t, clk.Sleeps(), "no back-off")
			mu.Lock()
			defer mu.Unlock()
			require.Len(t, bodies, 1)
			assert.Equal(t, `"`+payload+`"`, strings.TrimSpace(bodies[0]), "the whole body")
		})
	}
}

func TestConnectionCloseAnswers(t *testing.T) {
	var conns connCounter
	sock := filepath.Join(testkit.ShortDir(t), "p.sock")
	serveUnix(t, sock, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "close")
		echo(w, r)
	}), conns.track)
	c := testClient(t, "unix://"+sock, tlsconfig.Options{})
	for i := 0; i < 3; i++ {
		var out echoArgs
		require.NoError(t, c.Call("Echo.Echo", echoArgs{N: i}, &out))
		assert.Equal(t, i, out.N)
		assert.Zero(t, idleCount(c), "a connection the plugin closes is not kept")
	}
	assert.EqualValues(t, 3, conns.opened.Load())
}

func TestAnswerFraming(t *testing.T) {
	answers := []struct {
		name  string
		raw   string
		reuse bool
	}{
		{"Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n{\"Name\":\"x\"}", true},
		{"chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"Nam\r\n7\r\ne\":\"x\"}\r\n0\r\n\r\n", true},
		{"chunked with a trailer", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nc\r\n{\"Name\":\"x\"}\r\n0\r\nX-T: 1\r\n\r\n", true},
		{"after 100 Continue", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n{\"Name\":\"x\"}", true},
		{"HTTP/1.0", "HTTP/1.0 200 OK\r\nContent-Length: 12\r\n\r\n{\"Name\":\"x\"}", false},
		{"no framing: the body ends with the connection", "HTTP/1.1 200 OK\r\n\r\n{\"Name\":\"x\"}", false},
	}
	for _, tt := range answers {
		t.Run(tt.name, func(t *testing.T) {
			raw := testkit.ServeRawSocket(t, testkit.SocketPath(t, "raw"), testkit.Answer(tt.raw, tt.reuse))
			c := testClient(t, raw.Addr(), tlsconfig.Options{})
			for i := 0; i < 3; i++ {
				var out echoArgs
				require.NoError(t, c.Call("X.Y", nil, &out))
				assert.Equal(t, "x", out.Name)
			}
			if tt.reuse {
				assert.EqualValues(t, 1, raw.Conns(), "the connection serves every call")
				assert.Equal(t, 1, idleCount(c))
			} else {
				assert.EqualValues(t, 3, raw.Conns(), "a connection per call")
				assert.Zero(t, idleCount(c))
			}
		})
	}
}

func TestStreamClosedEarlyDropsItsConnection(t *testing.T) {
	var conns connCounter
	sock := filepath.Join(testkit.ShortDir(t), "p.sock")
	serveUnix(t, sock, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/Echo.Echo" {
			echo(w, r)
			return
		}
		chunk := bytes.Repeat([]byte("log line\n"), 1000)
		for r.Context().Err() == nil { // endless, as a log stream
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}), conns.track)
	c := testClient(t, "unix://"+sock, tlsconfig.Options{})

	rc, err := c.Stream("Logs.Follow", nil)
	require.NoError(t, err)
	_, err = io.ReadFull(rc, make([]byte, 100_000))
	require.NoError(t, err)
	require.NoError(t, rc.Close())
	assert.Zero(t, idleCount(c), "not kept with the rest of the answer unread")
	eventually(t, func() bool { return conns.closed.Load() == 1 }, "the connection is closed")
	_, err = rc.Read(make([]byte, 1))
	assert.Error(t, err, "a closed answer reads nothing")

	var out echoArgs
	require.NoError(t, c.Call("Echo.Echo", echoArgs{N: 7}, &out))
	assert.Equal(t, 7, out.N)
	assert.EqualValues(t, 2, conns.opened.Load())
}

func TestStreamReadToTheEndKeepsItsConnection(t *testing.T) {
	var conns connCounter
	sock := filepath.Join(testkit.ShortDir(t), "p.sock")
	payload := strings.Repeat("0123456789", 100_000)
	serveUnix(t, sock, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, payload)
	}), conns.track)
	c := testClient(t, "unix://"+sock, tlsconfig.Options{})
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
	assert.EqualValues(t, 1, conns.opened.Load())
}

func TestCancellationInterruptsAWrite(t *testing.T) {
	stop := make(chan struct{})
	sock := filepath.Join(testkit.ShortDir(t), "p.sock")
	var conns connCounter
	serveUnix(t, sock, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/Echo.Echo" {
			echo(w, r)
			return
		}
		select { // never reads the body
		case <-stop:
		case <-r.Context().Done():
		}
	}), conns.track)
	t.Cleanup(func() { close(stop) })
	c := testClient(t, "unix://"+sock, tlsconfig.Options{})

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
	assert.EqualValues(t, 2, conns.opened.Load(), "the interrupted connection is not reused")
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

func TestDeadlineDuringTheAnswerDropsTheConnection(t *testing.T) {
	release := make(chan struct{})
	var conns connCounter
	sock := filepath.Join(testkit.ShortDir(t), "p.sock")
	var calls atomic.Int32
	serveUnix(t, sock, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			_, _ = io.WriteString(w, `{"Name":`)
			w.(http.Flusher).Flush()
			select {
			case <-release:
			case <-r.Context().Done():
			}
			return
		}
		_, _ = io.WriteString(w, `{"Name":"ok"}`)
	}), conns.track)
	t.Cleanup(func() { close(release) })
	c := testClient(t, "unix://"+sock, tlsconfig.Options{})
	var out echoArgs
	err := c.CallWithOptions("X.Y", nil, &out, WithRequestTimeout(50*time.Millisecond))
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.NoError(t, c.Call("X.Y", nil, &out))
	assert.Equal(t, "ok", out.Name, "no half answer is read as the next one")
	assert.EqualValues(t, 2, conns.opened.Load())
}

func TestAnAnswerBeforeTheWholeBodyIsSent(t *testing.T) {
	sock := filepath.Join(testkit.ShortDir(t), "p.sock")
	serveUnix(t, sock, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"Err":"too large"}`, http.StatusRequestEntityTooLarge) // reads none of it
	}))
	var seen retries
	c := testClient(t, "unix://"+sock, tlsconfig.Options{}, WithRetryObserver(seen.observe))
	err := c.SendFile("Volume.Import", io.LimitReader(zeros{}, 64<<20), nil)
	var se *StatusError
	require.ErrorAs(t, err, &se, "the plugin's answer, not the failed write")
	assert.Equal(t, http.StatusRequestEntityTooLarge, se.StatusCode)
	assert.Equal(t, "too large", se.Message)
	assert.Empty(t, seen.Events())
}

func TestAFailingRequestBodyIsNotRetried(t *testing.T) {
	sock := filepath.Join(testkit.ShortDir(t), "p.sock")
	serveUnix(t, sock, newFakePlugin().on("/Echo.Echo", echo))
	var seen retries
	c := testClient(t, "unix://"+sock, tlsconfig.Options{}, WithRetryObserver(seen.observe))
	broken := io.MultiReader(strings.NewReader("partial"), iotest.ErrReader(io.ErrUnexpectedEOF))
	err := c.SendFile("Echo.Echo", broken, nil)
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)
	assert.ErrorContains(t, err, "reading the request body")
	assert.Empty(t, seen.Events())
}

func TestConnectionsAreReusedOverTCPAndTLS(t *testing.T) {
	pki := testkit.NewCA(t, testkit.ShortDir(t))
	h := newFakePlugin().on("/Echo.Echo", echo)
	start := func(tlsCfg bool) (string, *connCounter) {
		var conns connCounter
		srv := httptest.NewUnstartedServer(h)
		conns.track(srv.Config)
		if tlsCfg {
			srv.TLS = pki.ServerConfig()
			srv.StartTLS()
		} else {
			srv.Start()
		}
		t.Cleanup(srv.Close)
		u, _ := url.Parse(srv.URL)
		return u.Host, &conns
	}
	tcpAddr, tcpConns := start(false)
	tlsAddr, tlsConns := start(true)
	for _, tt := range []struct {
		addr  string
		opts  tlsconfig.Options
		conns *connCounter
	}{
		{"tcp://" + tcpAddr, tlsconfig.Options{}, tcpConns},
		{"https://" + tlsAddr, tlsconfig.Options{CAFile: pki.File()}, tlsConns},
		{"https://localhost:" + port(tlsAddr), tlsconfig.Options{CAFile: pki.File()}, tlsConns},
	} {
		t.Run(tt.addr, func(t *testing.T) {
			before := tt.conns.opened.Load()
			c := testClient(t, tt.addr, tt.opts)
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
			assert.Equal(t, before+1, tt.conns.opened.Load(), "one connection for every call")
		})
	}
}

func TestIdleConnectionsAreBoundedAndExpire(t *testing.T) {
	var conns connCounter
	const callers = maxIdleConns + 8
	var arrived sync.WaitGroup
	arrived.Add(callers)
	sock := filepath.Join(testkit.ShortDir(t), "p.sock")
	serveUnix(t, sock, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/Wait.All" {
			arrived.Done()
			arrived.Wait() // every caller holds a connection at once
		}
		_, _ = io.WriteString(w, "{}")
	}), conns.track)
	c := testClient(t, "unix://"+sock, tlsconfig.Options{})

	var wg sync.WaitGroup
	for i := 0; i < callers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			assert.NoError(t, c.Call("Wait.All", nil, nil))
		}()
	}
	wg.Wait()
	assert.EqualValues(t, callers, conns.opened.Load())
	assert.Equal(t, maxIdleConns, idleCount(c), "no more than maxIdleConns are kept")
	eventually(t, func() bool { return conns.closed.Load() == callers-maxIdleConns }, "the others are closed")

	c.CloseIdleConnections()
	assert.Zero(t, idleCount(c))
	eventually(t, func() bool { return conns.closed.Load() == callers }, "CloseIdleConnections closes them")

	c.target.Load().pool.idleTimeout = 30 * time.Millisecond // the next put arms the timer with it
	require.NoError(t, c.Call("X.Y", nil, nil))
	assert.Equal(t, 1, idleCount(c))
	eventually(t, func() bool { return idleCount(c) == 0 && conns.closed.Load() == callers+1 },
		"a connection idle too long is closed")
	require.NoError(t, c.Call("X.Y", nil, nil), "and the client dials again")
}

func TestRequestURI(t *testing.T) {
	for _, m := range []string{
		"Plugin.Activate", "/VolumeDriver.Mount", "GraphDriver.ApplyDiff?id=x&parent=y",
		"a b", "x?y=1 2", "%41", "a%2Fb", "//x", "a#frag", "é", "q?a=%zz&b=?",
		"IpamDriver.RequestPool", "x:y@z!$&'()*+,;=~-_", "", "/", "/a//b",
	} {
		got, err := requestURI(m)
		require.NoError(t, err, m)
		if !strings.HasPrefix(got, "/") {
			got = "/" + got // as writeRequest writes it
		}
		u, err := url.Parse("/" + strings.TrimPrefix(m, "/"))
		require.NoError(t, err, m)
		assert.Equal(t, u.RequestURI(), got, "the request target net/http writes for %q", m)
	}
	_, err := requestURI("bad\x7f")
	assert.Error(t, err)
}

func TestCancellationInterruptsATLSHandshake(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { l.Close() })
	go func() { // accepts, never answers the handshake
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	c := testClient(t, "https://"+l.Addr().String(), tlsconfig.Options{InsecureSkipVerify: true})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = c.CallContext(ctx, "X.Y", nil, nil)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 5*time.Second)
}
