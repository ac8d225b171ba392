package observability_test

import (
	"fmt"
	"strings"

	"github.com/go-dockerplugins/plugins"
	"github.com/go-dockerplugins/plugins/pluginstest"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// callMetrics holds what a daemon exports about its plugin calls: how
// long they take, and how often they had to be sent again, by plugin and
// method.
type callMetrics struct {
	duration *prometheus.HistogramVec
	retries  *prometheus.CounterVec
}

func newCallMetrics(reg prometheus.Registerer) *callMetrics {
	m := &callMetrics{
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "plugin_call_duration_seconds",
			Help:    "Time taken by calls to Docker plugins, retries included.",
			Buckets: prometheus.DefBuckets,
		}, []string{"plugin", "method"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "plugin_call_retries_total",
			Help: "Requests to Docker plugins sent again, at once or after a back-off wait.",
		}, []string{"plugin", "method"}),
	}
	reg.MustRegister(m.duration, m.retries)
	return m
}

// observe is the call observer: one line of the store's options.
func (m *callMetrics) observe(info plugins.CallInfo) {
	m.duration.WithLabelValues(info.Plugin, info.Method).Observe(info.Duration.Seconds())
	if info.Sends > 1 {
		m.retries.WithLabelValues(info.Plugin, info.Method).Add(float64(info.Sends - 1))
	}
}

// A Prometheus histogram of call durations and a counter of retries, by
// plugin and method, fed by WithCallObserver.
func Example_prometheus() {
	reg := prometheus.NewRegistry()
	metrics := newCallMetrics(reg)

	var scope pluginstest.Scope // a test passes its *testing.T instead
	defer scope.Close()
	env := pluginstest.New(&scope)
	env.ServeSocket("myvolumes", "VolumeDriver").
		Handle("VolumeDriver.List", pluginstest.Reply(map[string]any{"Volumes": []any{}})).
		Inject(pluginstest.Fault{Method: "VolumeDriver.List", Times: 1, Drop: true})
	store := env.NewStore(plugins.WithCallObserver(metrics.observe))

	p, err := store.Get("myvolumes", "VolumeDriver")
	if err != nil {
		fmt.Println(err)
		return
	}
	for i := 0; i < 3; i++ {
		if err := p.Client.Call("VolumeDriver.List", struct{}{}, nil); err != nil {
			fmt.Println(err)
		}
	}

	fmt.Println("calls timed:", testutil.CollectAndCount(metrics.duration, "plugin_call_duration_seconds"))
	err = testutil.CollectAndCompare(metrics.retries, strings.NewReader(`
# HELP plugin_call_retries_total Requests to Docker plugins sent again, at once or after a back-off wait.
# TYPE plugin_call_retries_total counter
plugin_call_retries_total{method="VolumeDriver.List",plugin="myvolumes"} 1
`))
	fmt.Println("retries counted:", err == nil)
	// Output:
	// calls timed: 2
	// retries counted: true
}
