// Package authorization is a typed client for legacy (v1) authorization
// plugins: the "authz" interface, whose methods are AuthZPlugin.AuthZReq
// and AuthZPlugin.AuthZRes.
//
// The engine asks every configured plugin, in order, about each API request
// before its handler runs (AuthZReq) and again, with the handler's response,
// before the response is sent (AuthZRes). A plugin decides with a 200
// answer: Allow true lets the request (or response) through, Allow false
// denies it with Msg. Err in a 200 answer is ignored by the engine, so this
// client returns the answer as is and no error; only a call that fails (a
// status other than 200, say) is an error.
//
// Usage, in a daemon:
//
//	p, err := plugins.Get("myauthz", authorization.Interface)
//	if err != nil {
//		return err
//	}
//	authz, err := authorization.FromPlugin(p)
//	if err != nil {
//		return err
//	}
//	resp, err := authz.AuthZReq(ctx, authorization.Request{RequestMethod: "GET", RequestURI: "/v1.51/info"})
//	switch {
//	case err != nil:
//		return fmt.Errorf("plugin %s failed with error: %w", p.Name, err) // the engine's text
//	case !resp.Allow:
//		return fmt.Errorf("authorization denied by plugin %s: %s", p.Name, resp.Msg)
//	}
package authorization
