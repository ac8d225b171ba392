// Package conformance checks a legacy plugin against what the Docker engine
// really reads, and says what the engine will make of it.
//
// The engine does not always read what the plugin documentation and the
// plugin SDK say: a log driver that answers Capabilities as the
// documentation shows ({"ReadLogs": true}) is never asked for logs, since
// the engine reads {"Cap": {"ReadLogs": true}}; an IPAM driver that reports
// an error in Err with status 200 is taken as successful, since the engine
// reads Error; a volume whose CreatedAt is not RFC 3339 makes the engine
// drop the whole answer; a legacy log plugin that declares LoggingDriver is
// never found. Others show only under load: a plugin that closes kept-alive
// connections, or answers slower than the engine's timeouts. Run finds
// these in a plugin's own tests, before its users do.
//
// Run activates nothing itself: it takes an activated plugin, sends its
// handshake again by hand to check the wire (framing, Content-Type,
// keep-alive), then, for each interface its manifest lists, calls the
// interface's methods through this module's typed clients (volume,
// network, ipam, ...), which read answers as the engine does. Only calls
// that change nothing are made, unless WithWrite: then a probe volume,
// network and endpoint, IPAM pool and address are created and removed,
// whatever happens. Every outcome is a Finding: the check (see Checks, the
// list as data), PASS, SKIP, WARN or FAIL, what the plugin did, and for a
// warning or a failure what the engine does because of it.
//
// In a plugin's tests, serve it (with pluginstest, or its SDK handler on a
// listener of the test's own) and check it:
//
//	report, err := conformance.Run(ctx, plugin, conformance.WithWrite())
//	require.NoError(t, err)
//	require.NoError(t, report.Err()) // every FAIL, one a line
//
// RunAddr does the same for a plugin that listens at an address, without a
// plugin directory. The command plugctl check runs the same checks on a
// plugin found in the plugin directories; docs/check.md describes them all.
package conformance
