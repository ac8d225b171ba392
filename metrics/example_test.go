package metrics_test

import (
	"context"
	"fmt"

	"github.com/go-dockerplugins/plugins/metrics"
	"github.com/go-dockerplugins/plugins/pluginstest"
)

// A daemon tells a collector plugin to start and stop collecting metrics,
// and, like the engine, only reports errors.
func Example() {
	var scope pluginstest.Scope // a test passes its *testing.T instead
	defer scope.Close()
	env := pluginstest.New(&scope)
	env.ServeSocket("collector", metrics.Interface).
		Handle("MetricsCollector.StartMetrics", pluginstest.Reply(struct{}{}))

	p, err := env.Store().Get("collector", metrics.Interface)
	if err != nil {
		fmt.Println(err)
		return
	}
	collector, err := metrics.FromPlugin(p)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(collector.StartMetrics(context.Background()))
	fmt.Println(collector.StopMetrics(context.Background())) // not implemented by this plugin
	// Output:
	// <nil>
	// /MetricsCollector.StopMetrics: 404 page not found
}
