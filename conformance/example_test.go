package conformance_test

import (
	"context"
	"fmt"

	"github.com/go-dockerplugins/plugins/conformance"
	"github.com/go-dockerplugins/plugins/logdriver"
	"github.com/go-dockerplugins/plugins/pluginstest"
)

// A plugin author checks, in a test, a logging plugin that answers
// Capabilities as the plugin documentation shows it: each finding is a
// value, and the failure says what the engine will do.
func Example() {
	var scope pluginstest.Scope // a test passes its *testing.T instead
	defer scope.Close()
	env := pluginstest.New(&scope)
	env.ServeSocket("mylogs", logdriver.Interface).
		Handle("LogDriver.Capabilities", pluginstest.Reply(map[string]bool{"ReadLogs": true}))

	p, err := env.Store().Get("mylogs", logdriver.Interface)
	if err != nil {
		fmt.Println(err)
		return
	}
	report, err := conformance.Run(context.Background(), p)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, f := range report.Findings {
		if f.Status == conformance.Fail || f.Status == conformance.Warn {
			fmt.Printf("%s/%s: %s: %s\n%s\n", f.Interface, f.Check, f.Status, f.Detail, f.Consequence)
		}
	}
	fmt.Println(report.Count(conformance.Pass), "passed")
	// A test would end with require.NoError(t, report.Err()).
	fmt.Println(report.Err() != nil)
	// Output:
	// LogDriver/capabilities: FAIL: {"ReadLogs": true}, outside Cap
	// The engine reads only {"Cap": {"ReadLogs": true}}: it never calls ReadLogs.
	// 8 passed
	// true
}

// A plugin served on a listener of the test's own, as a plugin built with
// the SDK is (handler.Serve(listener)), is checked by its address, with
// the life cycle of a probe volume: here, a volume plugin that lists
// volumes but cannot create one.
func ExampleRunAddr() {
	var scope pluginstest.Scope
	defer scope.Close()
	env := pluginstest.New(&scope)
	p := env.ServeSocket("myvolumes", "VolumeDriver").
		Handle("VolumeDriver.List", pluginstest.Reply(map[string][]string{"Volumes": {}})).
		Handle("VolumeDriver.Create", pluginstest.ReplyError(500, "read-only file system"))

	report, err := conformance.RunAddr(context.Background(), p.Addr(), conformance.WithWrite())
	if err != nil {
		fmt.Println(err)
		return
	}
	f, _ := report.Find("VolumeDriver", "create")
	fmt.Println(f.Status, f.Detail)
	fmt.Println(f.Consequence)
	// Output:
	// FAIL status 500: VolumeDriver.Create: read-only file system
	// docker volume create with this driver fails with the plugin's error.
}
