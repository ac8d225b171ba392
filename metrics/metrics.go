package metrics

import (
	"context"

	"github.com/go-dockerplugins/plugins"
	"github.com/go-dockerplugins/plugins/internal/typed"
)

// Interface is the name metrics collector plugins list in their manifest.
const Interface = "MetricsCollector"

// The methods, as the engine calls them: with a leading slash in the name,
// which its error texts carry, no body, and the answer not read.
var (
	startMetrics = plugins.Method[struct{}, struct{}]{Name: "/MetricsCollector.StartMetrics", NoBody: true, Discard: true}
	stopMetrics  = plugins.Method[struct{}, struct{}]{Name: "/MetricsCollector.StopMetrics", NoBody: true, Discard: true}
)

// Client calls the methods of a metrics collector plugin.
type Client struct {
	plugin *plugins.Client
}

// NewClient returns a Client that calls the plugin through c.
func NewClient(c *plugins.Client) *Client {
	return &Client{plugin: c}
}

// FromPlugin returns a Client for p, an activated plugin, or an error
// matching plugins.ErrNotImplements if p's manifest does not list Interface.
func FromPlugin(p *plugins.Plugin) (*Client, error) {
	return plugins.TypedClient(p, Interface, NewClient)
}

// StartMetrics tells the plugin to start collecting the engine's metrics:
// the engine sends it when the plugin is enabled.
//
// Any 200 answer succeeds, even an empty one: it is not read. Another
// status is a *plugins.StatusError,
// "/MetricsCollector.StartMetrics: <message>", a 404 included; the engine
// only logs such errors ("Error starting metrics collector plugin") and goes
// on, so a daemon may do the same.
func (c *Client) StartMetrics(ctx context.Context) error {
	return typed.ErrOnly(startMetrics.Call(ctx, c.plugin, struct{}{}))
}

// StopMetrics tells the plugin to stop collecting: the engine sends it, to
// every enabled managed plugin at once, when it shuts down, before it closes
// the metrics socket.
//
// As with StartMetrics, any 200 answer succeeds, and another status is a
// *plugins.StatusError, "/MetricsCollector.StopMetrics: <message>", which
// the engine only logs.
func (c *Client) StopMetrics(ctx context.Context) error {
	return typed.ErrOnly(stopMetrics.Call(ctx, c.plugin, struct{}{}))
}
