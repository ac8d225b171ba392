// Package metrics_test checks the typed MetricsCollector client against the
// engine. The engine's adapter (internal/metrics) cannot be imported; each
// of its methods is one call of the engine's client, made here as it makes
// it, against the same plugin. There is no plugin SDK for metrics
// collectors: the plugin is a pluginstest one.
package metrics_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"testing"

	engineplugins "github.com/docker/docker/pkg/plugins"
	"github.com/docker/go-connections/tlsconfig"
	"github.com/go-dockerplugins/plugins"
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

// The same answers, through both: the same requests on the wire, and the
// same outcome, error text included.
func TestAgainstEngine(t *testing.T) {
	answers := []struct {
		name    string
		handler http.Handler
		wantErr string // %s is the method
		status  int
	}{
		{name: "an empty answer", handler: answer("")},
		{name: "an object", handler: answer("{}\n")},
		{name: "Err in a 200 answer is not read", handler: answer(`{"Err": "ignored"}`)},
		{name: "not JSON", handler: answer("started")},
		{name: "another status", handler: pluginstest.ReplyError(http.StatusInternalServerError, "no storage"), wantErr: "%s: no storage", status: 500},
		{name: "not implemented", handler: http.NotFoundHandler(), wantErr: "%s: 404 page not found\n", status: 404},
		{name: "an IPAM-style error body is raw text", handler: replyStatus(http.StatusBadRequest, `{"Error":"bad"}`), wantErr: "%s: {\"Error\":\"bad\"}", status: 400},
	}
	for _, m := range methods {
		for _, a := range answers {
			t.Run(m.name+"/"+a.name, func(t *testing.T) {
				env := pluginstest.New(t)
				fake := env.ServeSocket("collector", metrics.Interface).Handle(m.name[1:], a.handler)
				p, err := env.Store().Get("collector", metrics.Interface)
				require.NoError(t, err)
				typed, err := metrics.FromPlugin(p)
				require.NoError(t, err)
				engine, err := engineplugins.NewClient(fake.Addr(), &tlsconfig.Options{InsecureSkipVerify: true})
				require.NoError(t, err)

				engineErr := m.engine(engine)
				typedErr := m.typed(typed, context.Background())
				if a.wantErr == "" {
					require.NoError(t, engineErr)
					require.NoError(t, typedErr)
				} else {
					want := m.name + a.wantErr[2:]
					require.EqualError(t, engineErr, want)
					require.EqualError(t, typedErr, want)
					var se *plugins.StatusError
					require.True(t, errors.As(typedErr, &se))
					assert.Equal(t, a.status, se.StatusCode)
					assert.Equal(t, engineplugins.IsNotFound(engineErr), plugins.IsNotFound(typedErr))
				}

				calls := fake.Calls(m.name[1:])
				require.Len(t, calls, 2)
				engineReq, typedReq := calls[0], calls[1]
				assert.Equal(t, m.name, typedReq.Path)
				assert.Equal(t, engineReq.Path, typedReq.Path)
				assert.Equal(t, engineReq.HTTPMethod, typedReq.HTTPMethod)
				assert.Equal(t, engineReq.Host, typedReq.Host)
				assert.Equal(t, engineReq.Header, typedReq.Header)
				assert.Equal(t, engineReq.ContentLength, typedReq.ContentLength)
				assert.Empty(t, typedReq.Body)
				assert.Equal(t, engineReq.Body, typedReq.Body)
			})
		}
	}
}

func answer(body string) http.Handler {
	return replyStatus(http.StatusOK, body)
}

func replyStatus(status int, body string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	})
}
