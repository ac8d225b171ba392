package plugins

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-dockerplugins/plugins/internal/testkit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// idleCount returns how many idle connections the client keeps.
func idleCount(c *Client) int {
	c.target.Load().pool.mu.Lock()
	defer c.target.Load().pool.mu.Unlock()
	return len(c.target.Load().pool.idle)
}

func TestConnectionCloseAnswers(t *testing.T) {
	t.Parallel()
	srv := testkit.ServeSocket(t, testkit.SocketPath(t, "p"), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "close")
		testkit.Echo(w, r)
	}))
	c := testClient(t, srv.Addr())
	for i := 0; i < 3; i++ {
		var out int
		require.NoError(t, c.Call("Echo.Echo", i, &out))
		assert.Equal(t, i, out)
		assert.Zero(t, idleCount(c), "a connection the plugin closes is not kept")
	}
	assert.Equal(t, 3, srv.Conns())
}

func TestAnswerFraming(t *testing.T) {
	t.Parallel()
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
			c := testClient(t, raw.Addr())
			for i := 0; i < 3; i++ {
				var out struct{ Name string }
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
	t.Parallel()
	srv := testkit.ServeSocket(t, testkit.SocketPath(t, "p"), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/Echo.Echo" {
			testkit.Echo(w, r)
			return
		}
		chunk := bytes.Repeat([]byte("log line\n"), 1000)
		for r.Context().Err() == nil { // endless, as a log stream
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}))
	c := testClient(t, srv.Addr())

	rc, err := c.Stream("Logs.Follow", nil)
	require.NoError(t, err)
	_, err = io.ReadFull(rc, make([]byte, 100_000))
	require.NoError(t, err)
	require.NoError(t, rc.Close())
	assert.Zero(t, idleCount(c), "not kept with the rest of the answer unread")
	require.Eventually(t, func() bool { return srv.Closed() == 1 }, 5*time.Second, 5*time.Millisecond, "the connection is closed")
	_, err = rc.Read(make([]byte, 1))
	assert.Error(t, err, "a closed answer reads nothing")

	var out int
	require.NoError(t, c.Call("Echo.Echo", 7, &out))
	assert.Equal(t, 7, out)
	assert.Equal(t, 2, srv.Conns())
}

func TestIdleConnectionsAreBoundedAndExpire(t *testing.T) {
	t.Parallel()
	const callers = maxIdleConns + 8
	var arrived sync.WaitGroup
	arrived.Add(callers)
	srv := testkit.ServeSocket(t, testkit.SocketPath(t, "p"), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/Wait.All" {
			arrived.Done()
			arrived.Wait() // every caller holds a connection at once
		}
		_, _ = io.WriteString(w, "{}")
	}))
	c := testClient(t, srv.Addr())

	var wg sync.WaitGroup
	for i := 0; i < callers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			assert.NoError(t, c.Call("Wait.All", nil, nil))
		}()
	}
	wg.Wait()
	assert.Equal(t, callers, srv.Conns())
	assert.Equal(t, maxIdleConns, idleCount(c), "no more than maxIdleConns are kept")
	require.Eventually(t, func() bool { return srv.Closed() == callers-maxIdleConns }, 5*time.Second, 5*time.Millisecond,
		"the others are closed")

	c.CloseIdleConnections()
	assert.Zero(t, idleCount(c))
	require.Eventually(t, func() bool { return srv.Closed() == callers }, 5*time.Second, 5*time.Millisecond,
		"CloseIdleConnections closes them")

	c.target.Load().pool.idleTimeout = 30 * time.Millisecond // the next put arms the timer with it
	require.NoError(t, c.Call("X.Y", nil, nil))
	assert.Equal(t, 1, idleCount(c))
	require.Eventually(t, func() bool { return idleCount(c) == 0 && srv.Closed() == callers+1 }, 5*time.Second, 5*time.Millisecond,
		"a connection idle too long is closed")
	require.NoError(t, c.Call("X.Y", nil, nil), "and the client dials again")
}

func TestRequestURI(t *testing.T) {
	t.Parallel()
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
