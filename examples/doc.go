// Package examples holds no code: its sub-packages show, in runnable
// examples, how a daemon feeds what the library observes into the tools
// it already uses, and live in a module of their own so that the
// library's users never download those tools.
//
//   - observability: a Prometheus histogram and retries counter, and an
//     OpenTelemetry span per call, from WithCallObserver.
//   - logging: the library's log lines through containerd/log and log/slog.
//
// Run them with: cd examples && go test ./...
package examples
