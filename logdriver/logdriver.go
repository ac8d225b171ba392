package logdriver

import (
	"context"
	"io"

	"github.com/go-dockerplugins/plugins"
	"github.com/go-dockerplugins/plugins/internal/typed"
)

// Interface is the name logging plugins list in their manifest. (Managed
// plugins often declare "LoggingDriver", which works only because managed
// plugins are never sent the handshake; a legacy plugin must list this.)
const Interface = "LogDriver"

// The methods, as the engine calls them: plain calls without timeouts,
// Capabilities with no body, and ReadLogs as a stream.
var (
	capabilities = plugins.Method[struct{}, CapabilitiesResponse]{
		Name: "LogDriver.Capabilities", NoBody: true, Optional: true,
		Failure: plugins.AnswerFailure("LogDriver.Capabilities", "", func(r *CapabilitiesResponse) string { return r.Err }),
	}
	startLogging = plugins.Method[StartLoggingRequest, Response]{Name: "LogDriver.StartLogging", Failure: plugins.AnswerFailure("LogDriver.StartLogging", "", errText)}
	stopLogging  = plugins.Method[StopLoggingRequest, Response]{Name: "LogDriver.StopLogging", Failure: plugins.AnswerFailure("LogDriver.StopLogging", "", errText)}
	readLogs     = plugins.Method[ReadLogsRequest, struct{}]{Name: "LogDriver.ReadLogs"}
)

// errText is the Err of an answer: the engine's error for a 200 answer, as
// is.
func errText(r *Response) string { return r.Err }

// Client calls the methods of a logging plugin.
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

// Capabilities asks what the plugin can do besides taking logs: the engine
// asks it first for every container, and calls ReadLogs only if the answer
// says ReadLogs. The answer is {"Cap": {"ReadLogs": true}}, as the engine
// reads it; the plugin documentation's {"ReadLogs": true} is wrong, and
// both the engine and this client read it as no capabilities.
//
// The method is optional: a 404 answer returns no capabilities and no
// error. Other errors are returned, with no capabilities: a 200 answer's Err
// as is (a *plugins.AnswerError), another status as a *plugins.StatusError.
// The engine ignores every error here and assumes no capabilities.
func (c *Client) Capabilities(ctx context.Context) (Capability, error) {
	resp, err := capabilities.Call(ctx, c.plugin, struct{}{})
	if err != nil {
		return Capability{}, err
	}
	return resp.Cap, nil
}

// StartLogging asks the plugin to take a container's logs from the FIFO
// req.File: the engine calls it when the container starts, once the FIFO
// exists, then writes the container's output to it as entries (see
// EntryReader).
//
// A 200 answer's Err is returned as is (a *plugins.AnswerError), another
// status as a *plugins.StatusError. The engine then fails the container's
// start with "error creating logger: <error>".
func (c *Client) StartLogging(ctx context.Context, req StartLoggingRequest) error {
	return typed.ErrOnly(startLogging.Call(ctx, c.plugin, req))
}

// StopLogging tells the plugin that the FIFO req.File will be closed: the
// engine calls it when the container stops, then closes and removes the
// FIFO, but only if the call succeeded.
//
// Errors are StartLogging's: a 200 answer's Err as is, another status as a
// *plugins.StatusError.
func (c *Client) StopLogging(ctx context.Context, req StopLoggingRequest) error {
	return typed.ErrOnly(stopLogging.Call(ctx, c.plugin, req))
}

// ReadLogs asks the plugin for a container's logs and returns the answer's
// body, a stream of entries to read with NewEntryReader, which the caller
// must close; the context bounds reading it too. The engine calls it for
// "docker logs" only if Capabilities said ReadLogs, and reports an error as
// "error getting log reader: <error>".
//
// Only a status other than 200 is an error (a *plugins.StatusError): a 200
// answer is the stream, with no Err to look for. The engine reads entries
// until the end of the stream, drops those before req.Config.Since and
// stops at the first after req.Config.Until.
func (c *Client) ReadLogs(ctx context.Context, req ReadLogsRequest) (io.ReadCloser, error) {
	return readLogs.Stream(ctx, c.plugin, req)
}
