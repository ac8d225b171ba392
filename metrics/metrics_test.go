package metrics_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/go-dockerplugins/plugins"
	"github.com/go-dockerplugins/plugins/metrics"
	"github.com/go-dockerplugins/plugins/pluginstest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// serve serves a metrics collector plugin and returns a typed client for it.
func serve(t *testing.T) (*metrics.Client, *pluginstest.Plugin) {
	t.Helper()
	env := pluginstest.New(t)
	fake := env.ServeSocket("collector", metrics.Interface)
	p, err := env.Store().Get("collector", metrics.Interface)
	require.NoError(t, err)
	c, err := metrics.FromPlugin(p)
	require.NoError(t, err)
	return c, fake
}

// method is one of the interface's methods, through the typed client.
type method struct {
	name string // as the plugin sees it: the path without its slash
	call func(*metrics.Client, context.Context) error
}

var methods = []method{
	{"MetricsCollector.StartMetrics", (*metrics.Client).StartMetrics},
	{"MetricsCollector.StopMetrics", (*metrics.Client).StopMetrics},
}

func TestFromPlugin(t *testing.T) {
	env := pluginstest.New(t)
	env.ServeSocket("collector", metrics.Interface)
	env.ServeSocket("vol", "VolumeDriver")

	p, err := env.Store().Get("collector", metrics.Interface)
	require.NoError(t, err)
	_, err = metrics.FromPlugin(p)
	require.NoError(t, err)

	p, err = env.Store().Get("vol", "VolumeDriver")
	require.NoError(t, err)
	_, err = metrics.FromPlugin(p)
	assert.ErrorIs(t, err, plugins.ErrNotImplements)
}

// Any 200 answer succeeds, whatever it holds: the engine does not read it.
func TestRequestAndAnswers(t *testing.T) {
	answers := []struct {
		name, body string
	}{
		{"empty", ""},
		{"an object", "{}\n"},
		{"Err is not read", `{"Err": "ignored"}`},
		{"not JSON", "OK"},
	}
	for _, m := range methods {
		for _, a := range answers {
			t.Run(m.name+"/"+a.name, func(t *testing.T) {
				c, fake := serve(t)
				fake.HandleFunc(m.name, func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, a.body) })
				require.NoError(t, m.call(c, context.Background()))

				calls := fake.Calls(m.name)
				require.Len(t, calls, 1)
				assert.Equal(t, "/"+m.name, calls[0].Path)
				assert.Empty(t, calls[0].Body, "no body, as the engine sends")
				assert.Equal(t, int64(0), calls[0].ContentLength)
			})
		}
	}
}

func TestErrors(t *testing.T) {
	for _, m := range methods {
		t.Run(m.name, func(t *testing.T) {
			c, fake := serve(t)
			ctx := context.Background()

			fake.Inject(pluginstest.Fault{Method: m.name, Times: 1, Status: http.StatusInternalServerError, Err: "no storage"})
			err := m.call(c, ctx)
			require.EqualError(t, err, "/"+m.name+": no storage", "with the engine's leading slash")
			var se *plugins.StatusError
			require.ErrorAs(t, err, &se)
			assert.Equal(t, http.StatusInternalServerError, se.StatusCode)
			var ae *plugins.AnswerError
			assert.False(t, errors.As(err, &ae))

			// Not implemented: an error, which the engine only logs.
			err = m.call(c, ctx)
			assert.True(t, plugins.IsNotFound(err), "%v", err)
			assert.EqualError(t, err, "/"+m.name+": 404 page not found\n")
		})
	}
}

// The engine sets no timeout on these calls: only the context bounds them.
func TestNoTimeout(t *testing.T) {
	for _, m := range methods {
		t.Run(m.name, func(t *testing.T) {
			c, fake := serve(t)
			fake.Handle(m.name, pluginstest.Reply(struct{}{}))
			fake.Inject(pluginstest.Fault{Method: m.name, Delay: 300 * time.Millisecond})

			require.NoError(t, m.call(c, context.Background()), "a slow answer without a deadline")

			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()
			start := time.Now()
			assert.ErrorIs(t, m.call(c, ctx), context.DeadlineExceeded)
			assert.Less(t, time.Since(start), 750*time.Millisecond)
		})
	}
}
