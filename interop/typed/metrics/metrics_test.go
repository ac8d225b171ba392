// Package metrics_test checks the typed MetricsCollector client against the
// engine. The engine's adapter (internal/metrics) cannot be imported; each
// of its methods is one call of the engine's client, made here as it makes
// it, against the same plugin. There is no plugin SDK for metrics
// collectors: the plugin is a pluginstest one.
package metrics_test

import (
	"context"
	"net/http"
	"testing"

	engineplugins "github.com/docker/docker/pkg/plugins"
	"github.com/go-dockerplugins/plugins"
	"github.com/go-dockerplugins/plugins/internal/typedtest"
	"github.com/go-dockerplugins/plugins/interop/internal/enginetest"
	"github.com/go-dockerplugins/plugins/metrics"
	"github.com/go-dockerplugins/plugins/pluginstest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// method is a method of the interface, as the engine's adapter calls it
// and through the typed client.
type method struct {
	name   string // as the engine passes it, with its slash
	engine func(*engineplugins.Client) error
	typed  func(*metrics.Client, context.Context) error
}

var methods = []method{
	{
		name:   "/MetricsCollector.StartMetrics",
		engine: func(c *engineplugins.Client) error { return c.Call("/MetricsCollector.StartMetrics", nil, nil) },
		typed:  (*metrics.Client).StartMetrics,
	},
	{
		name:   "/MetricsCollector.StopMetrics",
		engine: func(c *engineplugins.Client) error { return c.Call("/MetricsCollector.StopMetrics", nil, nil) },
		typed:  (*metrics.Client).StopMetrics,
	},
}

// fixture serves the plugin and makes typed clients of it.
var fixture = typedtest.Fixture[*metrics.Client]{Name: "collector", Interface: metrics.Interface, FromPlugin: metrics.FromPlugin}

// The same answers, through both: the same requests on the wire, and the
// same outcome, error text included.
func TestAgainstEngine(t *testing.T) {
	answers := []struct {
		name    string
		handler http.Handler
		wantErr string // %s is the method
		status  int
	}{
		{name: "an empty answer", handler: typedtest.Raw("")},
		{name: "an object", handler: typedtest.Raw("{}\n")},
		{name: "Err in a 200 answer is not read", handler: typedtest.Raw(`{"Err": "ignored"}`)},
		{name: "not JSON", handler: typedtest.Raw("started")},
		{name: "another status", handler: pluginstest.ReplyError(http.StatusInternalServerError, "no storage"), wantErr: "%s: no storage", status: 500},
		{name: "not implemented", handler: http.NotFoundHandler(), wantErr: "%s: 404 page not found\n", status: 404},
		{name: "an IPAM-style error body is raw text", handler: typedtest.RawStatus(http.StatusBadRequest, `{"Error":"bad"}`), wantErr: "%s: {\"Error\":\"bad\"}", status: 400},
	}
	for _, m := range methods {
		for _, a := range answers {
			t.Run(m.name+"/"+a.name, func(t *testing.T) {
				fake, typed, engine := enginetest.Serve(t, fixture)
				fake.Handle(m.name[1:], a.handler)

				engineErr := m.engine(engine)
				typedErr := m.typed(typed, context.Background())
				if a.wantErr == "" {
					require.NoError(t, engineErr)
					require.NoError(t, typedErr)
				} else {
					want := typedtest.ErrText(a.wantErr, m.name)
					require.EqualError(t, engineErr, want)
					typedtest.StatusError(t, typedErr, a.status, want)
					assert.Equal(t, engineplugins.IsNotFound(engineErr), plugins.IsNotFound(typedErr))
				}

				calls := fake.Calls(m.name[1:])
				require.Len(t, calls, 2)
				engineReq, typedReq := calls[0], calls[1]
				assert.Equal(t, m.name, typedReq.Path)
				assert.Empty(t, typedReq.Body)
				enginetest.SameRequest(t, engineReq, typedReq)
			})
		}
	}
}
