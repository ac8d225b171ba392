// Package testkit holds the fixtures that the tests of this repository
// share: a throwaway certificate authority, short temporary directories
// and stale sockets, a quiet logger, a buffer and a log safe for
// concurrent writers, plugins written with net/http that count their
// connections, fake plugins that speak HTTP/1.1 by hand, and plugins that
// start late.
//
// It does not import the plugins package, so that the tests of package
// plugins itself can use it as well as pluginstest (which builds its public
// API on it), the plugctl tests and the interop module. Everything it
// starts is stopped through the TB's Cleanup.
package testkit
