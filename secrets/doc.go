// Package secrets is a typed client for secret provider plugins: the
// secretprovider interface, through which a swarm manager fetches the value
// of a secret whose spec names a driver.
//
// GetSecret sends what the engine sends, with the engine's JSON names
// (every key omitted when empty), to /SecretProvider.GetSecret: the engine
// names the method with its leading slash, and so does the text of its
// errors. An Err in a 200 answer is returned as a *plugins.AnswerError whose
// text is the plugin's, verbatim, as docker v29.1 and later do; any other
// status as a *plugins.StatusError, "/SecretProvider.GetSecret: <message>".
// The engine sets no timeout: a deadline on the context is the caller's.
//
// A daemon finds a plugin and calls it with:
//
//	p, err := plugins.Get("vault", secrets.Interface)
//	if err != nil {
//		return err
//	}
//	sp, err := secrets.FromPlugin(p)
//	if err != nil {
//		return err
//	}
//	resp, err := sp.GetSecret(ctx, secrets.Request{SecretName: "db-password", ServiceName: "web"})
//	if err != nil {
//		return err
//	}
//	if err := secrets.ValidateValue(resp.Value); err != nil {
//		return err
//	}
//
// Where the plugin SDK (github.com/docker/go-plugins-helpers/secrets)
// declares the messages differently, this package follows the engine; each
// type says where.
package secrets
