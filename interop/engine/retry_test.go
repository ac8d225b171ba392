package engine_test

import (
	"bytes"
	"context"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	engine "github.com/docker/docker/pkg/plugins"
	"github.com/docker/go-connections/tlsconfig"
	"github.com/go-dockerplugins/plugins"
	"github.com/go-dockerplugins/plugins/internal/testkit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Both clients are pointed only at plugins that answer in the end: the
// engine's retries cannot be shortened, and each costs its first back-off
// of one second.

// firstThen answers the first request of each client with first, and every
// later one with then.
func firstThen(first func(*http.Request) string, then func(*http.Request) string) func(*http.Request) string {
	var n atomic.Int64
	return func(r *http.Request) string {
		if n.Add(1) == 1 {
			return first(r)
		}
		return then(r)
	}
}

// A plugin that drops the connection after reading a call: both clients
// retry, but the engine resends a drained buffer, an empty body, where ours
// resends the whole call.
func TestRetryResendsBodyDiffers(t *testing.T) {
	hangUp := func(*http.Request) string { return "" }
	calls := []struct {
		name string
		do   func(c caller) error
		body string
	}{
		{
			name: "Call",
			do: func(c caller) error {
				return c.Call("VolumeDriver.Mount", map[string]string{"Name": "data", "ID": "c1"}, &struct{ Mountpoint string }{})
			},
			body: `{"ID":"c1","Name":"data"}` + "\n",
		},
		{
			name: "SendFile of a *bytes.Buffer",
			do: func(c caller) error {
				return c.SendFile("GraphDriver.ApplyDiff", bytes.NewBufferString("layer"), &struct{}{})
			},
			body: "layer",
		},
	}
	for _, call := range calls {
		for _, client := range []string{"engine", "ours"} {
			t.Run(call.name+"/"+client, func(t *testing.T) {
				l, addr := plugAts[0].listen(t)
				rec := serveRecorder(t, l, firstThen(hangUp, ok(`{"Mountpoint":"/m"}`)))
				var c caller
				var err error
				if client == "engine" {
					c, err = engine.NewClient(addr, nil)
				} else {
					c, err = plugins.NewClientWithOptions(addr, tlsconfig.Options{},
						plugins.WithBackoff(plugins.ExponentialBackoff(time.Millisecond, time.Millisecond)),
						plugins.WithLogger(testkit.QuietLogger()))
				}
				require.NoError(t, err)
				require.NoError(t, call.do(c))

				reqs := rec.take()
				require.Len(t, reqs, 2)
				assert.Equal(t, call.body, string(reqs[0].body), "first attempt")
				if client == "engine" {
					assert.Empty(t, reqs[1].body, "the engine's retry")
					assert.Equal(t, "0", reqs[1].req.Header.Get("Content-Length"))
				} else {
					assert.Equal(t, call.body, string(reqs[1].body), "our retry")
				}
			})
		}
	}
}

// A call timeout: the engine applies it to each attempt and retries a
// timed-out one, so a plugin that is slow once still answers; ours bounds
// the call as a whole and returns when it is up.
func TestTimeoutDiffers(t *testing.T) {
	const timeout = 200 * time.Millisecond
	slow := func(r *http.Request) string {
		time.Sleep(5 * timeout)
		return ok(`{"Implements":["VolumeDriver"]}`)(r)
	}

	t.Run("engine", func(t *testing.T) {
		l, addr := plugAts[0].listen(t)
		rec := serveRecorder(t, l, firstThen(slow, ok(`{"Implements":["VolumeDriver"]}`)))
		c, err := engine.NewClientWithTimeout(addr, &tlsconfig.Options{InsecureSkipVerify: true}, timeout)
		require.NoError(t, err)
		var m engine.Manifest
		require.NoError(t, c.Call("Plugin.Activate", nil, &m))
		assert.Equal(t, []string{"VolumeDriver"}, m.Implements)
		assert.Len(t, rec.take(), 2, "the timed-out attempt was retried")
	})

	t.Run("ours", func(t *testing.T) {
		l, addr := plugAts[0].listen(t)
		rec := serveRecorder(t, l, firstThen(slow, ok(`{"Implements":["VolumeDriver"]}`)))
		c, err := plugins.NewClientWithTimeout(addr, tlsconfig.Options{InsecureSkipVerify: true}, timeout)
		require.NoError(t, err)
		start := time.Now()
		var m plugins.Manifest
		err = c.Call("Plugin.Activate", nil, &m)
		require.ErrorIs(t, err, context.DeadlineExceeded)
		assert.EqualError(t, err, "plugin at "+addr+": Plugin.Activate: context deadline exceeded")
		assert.Less(t, time.Since(start), 4*timeout, "bounded by the timeout, not the slow answer")
		assert.Len(t, rec.take(), 1, "not retried")
	})
}
