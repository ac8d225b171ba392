package observability_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/go-dockerplugins/plugins"
	"github.com/go-dockerplugins/plugins/pluginstest"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// tracer turns each call into a client span with the RPC semantic
// conventions' attributes (rpc.system, rpc.service, rpc.method,
// server.address), a child of the span in the call's context, if any.
type tracer struct{ t trace.Tracer }

func (tr tracer) observe(info plugins.CallInfo) {
	service, method, _ := strings.Cut(strings.TrimPrefix(info.Method, "/"), ".")
	_, span := tr.t.Start(info.Context, service+"/"+method,
		trace.WithSpanKind(trace.SpanKindClient),
		trace.WithTimestamp(info.Start),
		trace.WithAttributes(
			attribute.String("rpc.system", "docker_plugin"),
			attribute.String("rpc.service", service),
			attribute.String("rpc.method", method),
			attribute.String("server.address", info.Addr),
			attribute.Int("docker_plugin.sends", info.Sends),
		))
	if info.Err != nil {
		span.RecordError(info.Err)
		span.SetStatus(codes.Error, info.Err.Error())
	}
	span.End(trace.WithTimestamp(info.Start.Add(info.Duration)))
}

// An OpenTelemetry span per call, fed by WithCallObserver, in the trace of
// the caller's context: the handshake of the Get, then the call.
func Example_openTelemetry() {
	recorder := tracetest.NewSpanRecorder()
	provider := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(recorder))
	tr := tracer{provider.Tracer("github.com/go-dockerplugins/plugins")}

	var scope pluginstest.Scope // a test passes its *testing.T instead
	defer scope.Close()
	env := pluginstest.New(&scope)
	env.ServeSocket("myvolumes", "VolumeDriver").
		Handle("VolumeDriver.Mount", pluginstest.Reply(map[string]string{"Mountpoint": "/mnt/data"}))
	store := env.NewStore(plugins.WithCallObserver(tr.observe))

	ctx, parent := provider.Tracer("daemon").Start(context.Background(), "container start")
	p, err := store.GetContext(ctx, "myvolumes", "VolumeDriver")
	if err != nil {
		fmt.Println(err)
		return
	}
	var out struct{ Mountpoint string }
	if err := p.Client.CallContext(ctx, "VolumeDriver.Mount", map[string]string{"Name": "data"}, &out); err != nil {
		fmt.Println(err)
	}
	parent.End()

	for _, s := range recorder.Ended() {
		if s.SpanKind() != trace.SpanKindClient {
			continue
		}
		attrs := map[attribute.Key]string{}
		for _, kv := range s.Attributes() {
			attrs[kv.Key] = kv.Value.Emit()
		}
		fmt.Println(s.Name(), attrs["rpc.system"], attrs["rpc.service"], attrs["rpc.method"],
			strings.HasPrefix(attrs["server.address"], "unix://"), s.Parent().SpanID() == parent.SpanContext().SpanID())
	}
	// Output:
	// Plugin/Activate docker_plugin Plugin Activate true true
	// VolumeDriver/Mount docker_plugin VolumeDriver Mount true true
}
