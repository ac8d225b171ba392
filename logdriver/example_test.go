package logdriver_test

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/go-dockerplugins/plugins/logdriver"
	"github.com/go-dockerplugins/plugins/pluginstest"
)

// A daemon starts logging a container to a plugin that can read logs back,
// then reads them as "docker logs" does.
func Example() {
	var scope pluginstest.Scope // a test passes its *testing.T instead
	defer scope.Close()
	env := pluginstest.New(&scope)
	written := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	env.ServeSocket("mylogs", logdriver.Interface).
		Handle("LogDriver.Capabilities", pluginstest.Reply(logdriver.CapabilitiesResponse{Cap: logdriver.Capability{ReadLogs: true}})).
		Handle("LogDriver.StartLogging", pluginstest.Reply(logdriver.Response{})).
		HandleFunc("LogDriver.ReadLogs", func(w http.ResponseWriter, _ *http.Request) {
			entries := logdriver.NewEntryWriter(w)
			_ = entries.WriteEntry(logdriver.Entry{Source: "stdout", TimeNano: written.UnixNano(), Line: []byte("hello")})
			_ = entries.WriteEntry(logdriver.Entry{Source: "stderr", TimeNano: written.UnixNano(), Line: []byte("oops")})
		})

	p, err := env.Store().Get("mylogs", logdriver.Interface)
	if err != nil {
		fmt.Println(err)
		return
	}
	logs, err := logdriver.FromPlugin(p)
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	info := logdriver.Info{ContainerID: "c0ffee", ContainerName: "/web", DaemonName: "docker"}
	caps, _ := logs.Capabilities(ctx) // the engine ignores its errors
	if err := logs.StartLogging(ctx, logdriver.StartLoggingRequest{File: "/run/docker/logging/c0ffee", Info: info}); err != nil {
		fmt.Println("error creating logger:", err)
		return
	}
	if !caps.ReadLogs {
		return
	}
	stream, err := logs.ReadLogs(ctx, logdriver.ReadLogsRequest{Info: info, Config: logdriver.ReadConfig{Tail: -1}})
	if err != nil {
		fmt.Println("error getting log reader:", err)
		return
	}
	defer stream.Close()
	entries := logdriver.NewEntryReader(stream)
	for {
		e, err := entries.Next()
		if err != nil {
			fmt.Println(err)
			break
		}
		fmt.Println(e.Time().UTC().Format(time.RFC3339), e.Source, string(e.Line))
	}
	// Output:
	// 2025-03-04T05:06:07Z stdout hello
	// 2025-03-04T05:06:07Z stderr oops
	// EOF
}
