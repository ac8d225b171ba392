package authorization

import (
	"context"

	"github.com/go-dockerplugins/plugins"
)

// Interface is the name authorization plugins list in their manifest.
const Interface = "authz"

// The methods, as the engine calls them: a plain call each, with no timeout
// and no error in a 200 answer (the engine ignores Err).
var (
	authZReq = plugins.Method[Request, Response]{Name: "AuthZPlugin.AuthZReq"}
	authZRes = plugins.Method[Request, Response]{Name: "AuthZPlugin.AuthZRes"}
)

// Client calls the methods of an authorization plugin.
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

// AuthZReq asks the plugin whether an API request may proceed, with req
// holding the request's fields (no Response* fields): the engine sends it
// for every API request, before its handler runs.
//
// A 200 answer is returned as is and is no error, whatever its Err says: the
// engine ignores Err. Allow false is a denial, which the engine reports to
// the API client as "authorization denied by plugin <name>: <Msg>" (HTTP
// 403). Any other status is a *plugins.StatusError,
// "AuthZPlugin.AuthZReq: <message>"; the engine reports it as
// "plugin <name> failed with error: AuthZPlugin.AuthZReq: <message>", a
// failure of the daemon rather than a denial. No method of the interface is
// optional: a 404 is such an error too.
func (c *Client) AuthZReq(ctx context.Context, req Request) (Response, error) {
	return authZReq.Call(ctx, c.plugin, req)
}

// AuthZRes asks the plugin whether an API response may be sent, with req
// holding the fields sent to AuthZReq plus the Response* fields: the engine
// sends it after the request's handler ran.
//
// The answer is treated as AuthZReq's: Allow false is a denial (the engine
// then discards the buffered response), Err in a 200 answer is ignored, and
// another status is a *plugins.StatusError "AuthZPlugin.AuthZRes: <message>",
// which the engine reports, prefixed with "plugin <name> failed with error: ",
// only if the handler itself succeeded.
func (c *Client) AuthZRes(ctx context.Context, req Request) (Response, error) {
	return authZRes.Call(ctx, c.plugin, req)
}
