package plugins

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/docker/go-connections/tlsconfig"
	"github.com/go-dockerplugins/plugins/internal/testkit"
	"github.com/sirupsen/logrus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// crashingPlugin answers X.Warm and drops the connection on every X.Crash
// it receives, as a plugin that crashes on a request does. It returns the
// plugin's address and a count of the X.Crash requests received.
func crashingPlugin(t *testing.T) (string, *atomic.Int32) {
	var crashes atomic.Int32
	raw := testkit.ServeRawSocket(t, testkit.SocketPath(t, "raw"), testkit.ReadBody(func(conn net.Conn, _ int, req *http.Request) bool {
		if req.URL.Path == "/X.Crash" {
			crashes.Add(1)
			return false
		}
		_, _ = fmt.Fprint(conn, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")
		return true
	}))
	return raw.Addr(), &crashes
}

// Every send of a request counts, and a failure is named with the same
// words in the error, the log and what the retry observer sees: the
// plugin that received a request six times is said to have got six
// attempts, not five.
func TestEverySendIsCounted(t *testing.T) {
	t.Parallel()
	addr, crashes := crashingPlugin(t)
	var logged testkit.Buffer
	logger := logrus.New()
	logger.SetOutput(&logged)
	logger.SetFormatter(&logrus.TextFormatter{DisableTimestamp: true})
	var seen testkit.Log[RetryEvent]
	clk := newFakeClock()
	c, err := NewClientWithOptions(addr, tlsconfig.Options{}, WithLogger(logger), withClock(clk), WithRetryObserver(seen.Add))
	require.NoError(t, err)
	t.Cleanup(c.CloseIdleConnections)
	require.NoError(t, c.Call("X.Warm", nil, nil)) // a kept-alive connection

	err = c.Call("X.Crash", nil, nil)
	require.Error(t, err)
	// Once on the kept-alive connection, at once on a new one, then after
	// 1s, 2s, 4s and 8s; a 16s wait would end past the 30s budget.
	assert.EqualValues(t, 6, crashes.Load())
	assert.ErrorContains(t, err, "X.Crash: connection closed without an answer (gave up after 6 attempts in 15s)")
	assert.Equal(t, []time.Duration{0, time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second}, waits(seen.All()))
	lines := strings.Split(strings.TrimSpace(logged.String()), "\n")
	require.Len(t, lines, 5, "one log line per retry")
	for i, ev := range seen.All() {
		assert.Equal(t, i+1, ev.Attempt)
		assert.EqualError(t, ev.Err, "connection closed without an answer")
		assert.Contains(t, lines[i], fmt.Sprintf("attempt=%d", i+1))
		assert.Contains(t, lines[i], `error="connection closed without an answer"`)
	}
}

// With no resend, a request written whole is never sent again, per client
// and per call: the caller learns that its outcome is unknown. Other calls
// keep the engine's behaviour.
func TestNoResendOfARequestWrittenWhole(t *testing.T) {
	t.Parallel()
	calls := []struct {
		name      string
		opts      []Option
		call      func(c *Client) error
		wantSends int32
	}{
		{"default: sent again, as the engine does", nil,
			func(c *Client) error { return c.Call("X.Crash", nil, nil) }, 6},
		{"WithNoResend", []Option{WithNoResend()},
			func(c *Client) error { return c.Call("X.Crash", nil, nil) }, 1},
		{"WithNoResend, SendFile", []Option{WithNoResend()},
			func(c *Client) error {
				return c.SendFile("X.Crash", strings.NewReader(strings.Repeat("b", 1<<20)), nil)
			}, 1},
		{"WithRequestNoResend", nil,
			func(c *Client) error { return c.CallWithOptions("X.Crash", nil, nil, WithRequestNoResend()) }, 1},
	}
	for _, tt := range calls {
		t.Run(tt.name, func(t *testing.T) {
			addr, crashes := crashingPlugin(t)
			var seen testkit.Log[RetryEvent]
			c := testClient(t, addr, append(tt.opts, WithRetryObserver(seen.Add))...)
			require.NoError(t, c.Call("X.Warm", nil, nil))
			err := tt.call(c)
			require.Error(t, err)
			assert.EqualValues(t, tt.wantSends, crashes.Load())
			assert.ErrorContains(t, err, "connection closed without an answer")
			if tt.wantSends == 1 {
				assert.ErrorIs(t, err, ErrOutcomeUnknown)
				assert.ErrorContains(t, err, "outcome unknown")
				assert.Empty(t, seen.All())
			} else {
				assert.NotErrorIs(t, err, ErrOutcomeUnknown)
			}
		})
	}
}

// With no resend, a request the plugin never got whole is still retried:
// a plugin not listening yet, and one that drops the connection halfway
// through the body.
func TestNoResendStillRetriesRequestsNotWrittenWhole(t *testing.T) {
	t.Parallel()
	t.Run("not listening yet", func(t *testing.T) {
		t.Parallel()
		sock := testkit.SocketPath(t, "later")
		clk := newFakeClock()
		clk.onSleep = func(n int) {
			if n == 1 {
				testkit.ServeSocket(t, sock, http.HandlerFunc(testkit.Echo))
			}
		}
		c := testClient(t, "unix://"+sock, withClock(clk), WithNoResend())
		var out int
		require.NoError(t, c.Call("X.Echo", 4, &out))
		assert.Equal(t, 4, out)
		assert.Equal(t, []time.Duration{time.Second}, clk.Sleeps())
	})
	t.Run("dropped halfway through the body", func(t *testing.T) {
		t.Parallel()
		var dropped atomic.Bool
		raw := testkit.ServeRawSocket(t, testkit.SocketPath(t, "half"), func(conn net.Conn, n int, req *http.Request) bool {
			// The first request is dropped once its head is read: its
			// body, larger than the socket buffers, cannot be written whole.
			if dropped.CompareAndSwap(false, true) {
				return false
			}
			return testkit.ReadBody(func(conn net.Conn, _ int, req *http.Request) bool { // an echo
				body, _ := io.ReadAll(req.Body)
				_, _ = fmt.Fprintf(conn, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
				return true
			})(conn, n, req)
		})
		clk := newFakeClock()
		c := testClient(t, raw.Addr(), withClock(clk), WithNoResend())
		var out struct{ Name string }
		require.NoError(t, c.Call("X.Echo", struct{ Name string }{strings.Repeat("n", 4<<20)}, &out))
		assert.Len(t, out.Name, 4<<20, "the body came whole on the retry")
		assert.Equal(t, 2, raw.Requests())
		assert.Len(t, clk.Sleeps(), 1, "retried after a back-off")
	})
}
