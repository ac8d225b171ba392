// Package metrics is a typed client for metrics collector plugins: the
// "MetricsCollector" interface, whose methods are
// MetricsCollector.StartMetrics and MetricsCollector.StopMetrics.
//
// The engine serves its Prometheus metrics on a UNIX socket and tells each
// collector plugin to start and stop collecting them. Both calls carry no
// body, and the engine neither reads the answer nor acts on an error other
// than by logging it.
//
// The engine sends these calls to managed (v2) plugins only in practice. A
// legacy (v1) plugin that lists MetricsCollector deadlocks the engine's
// activation of it (the engine's handler looks the plugin up again while
// its activation lock is held), so it never gets StartMetrics, nor the
// metrics socket, nor StopMetrics, which goes only to managed plugins.
//
// Usage, in a daemon:
//
//	p, err := plugins.Get("mycollector", metrics.Interface)
//	if err != nil {
//		return err
//	}
//	collector, err := metrics.FromPlugin(p)
//	if err != nil {
//		return err
//	}
//	if err := collector.StartMetrics(ctx); err != nil {
//		log.Printf("Error starting metrics collector plugin %s: %v", p.Name, err)
//	}
package metrics
