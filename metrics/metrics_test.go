package metrics_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/go-dockerplugins/plugins/internal/typedtest"
	"github.com/go-dockerplugins/plugins/metrics"
	"github.com/go-dockerplugins/plugins/pluginstest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fixture serves a metrics collector plugin and makes typed clients of it.
var fixture = typedtest.Fixture[*metrics.Client]{Name: "collector", Interface: metrics.Interface, FromPlugin: metrics.FromPlugin}

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
	fixture.CheckFromPlugin(t)
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
				c, fake := fixture.Serve(t)
				fake.Handle(m.name, typedtest.Raw(a.body))
				require.NoError(t, m.call(c, context.Background()))

				req := typedtest.OnlyRequest(t, fake, m.name)
				assert.Equal(t, "/"+m.name, req.Path)
				assert.Empty(t, req.Body, "no body, as the engine sends")
				assert.Equal(t, int64(0), req.ContentLength)
			})
		}
	}
}

func TestErrors(t *testing.T) {
	for _, m := range methods {
		t.Run(m.name, func(t *testing.T) {
			c, fake := fixture.Serve(t)
			ctx := context.Background()

			fake.Inject(pluginstest.Fault{Method: m.name, Times: 1, Status: http.StatusInternalServerError, Err: "no storage"})
			err := m.call(c, ctx)
			typedtest.StatusError(t, err, http.StatusInternalServerError, "/"+m.name+": no storage", "with the engine's leading slash")
			assert.False(t, typedtest.IsAnswerError(err))

			// Not implemented: an error, which the engine only logs.
			err = m.call(c, ctx)
			typedtest.NotFound(t, err, "/"+m.name)
		})
	}
}

// The engine sets no timeout on these calls: only the context bounds them.
func TestNoTimeout(t *testing.T) {
	for _, m := range methods {
		t.Run(m.name, func(t *testing.T) {
			c, fake := fixture.Serve(t)
			typedtest.NoTimeout(t, fake, m.name, pluginstest.Reply(struct{}{}), 750*time.Millisecond, func(ctx context.Context) error {
				return m.call(c, ctx)
			})
		})
	}
}
