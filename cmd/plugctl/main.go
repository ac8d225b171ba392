// Command plugctl lists, inspects and calls Docker legacy (v1) plugins, and
// runs a self-contained demo of the plugins library.
//
// Usage:
//
//	plugctl [global flags] ls [--no-activate] [--json]
//	plugctl [global flags] inspect NAME
//	plugctl [global flags] call NAME METHOD [JSON | @FILE | -]
//	plugctl [global flags] demo
//
// Run "plugctl -h" or "plugctl COMMAND -h" for the flags.
package main

import (
	"context"
	"os"
	"os/signal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
