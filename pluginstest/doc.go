// Package pluginstest serves fake legacy plugins for tests.
//
// New makes a temporary plugin environment: directories of its own and a
// plugins.Store bound to them, with fast retries, so that a test never reads
// the machine's plugin directories nor waits the engine's 30-second budget.
// In it, a test serves a fake plugin in one line, found through a UNIX
// socket (ServeSocket), a .spec file over TCP (ServeSpec) or a .json file
// over TLS with generated certificates (ServeJSON); sets its handlers per
// method; injects faults (an error status, a delay, a dropped connection,
// for every call or the next N); stops and restarts it on the same address,
// or serves it late (ServeSocketLater, StartAfter), as a plugin still
// starting; and checks the requests it received.
//
// For what net/http would never send, ServeRaw serves a plugin that
// answers by hand: malformed or truncated answers, or an answer before the
// request's body is read (AnswerEarly). For TLS beyond ServeJSON, CA issues
// server and client certificates, and broken ones (Expired, Issue for
// another host).
//
// Everything is released through the TB's Cleanup, and every method is safe
// for concurrent use.
package pluginstest
