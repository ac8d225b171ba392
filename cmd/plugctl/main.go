// Command plugctl lists, inspects, calls and checks Docker legacy (v1)
// plugins, and runs a self-contained demo of the plugins library.
//
// Usage:
//
//	plugctl ls [--no-activate] [-q | --format FORMAT] [flags]
//	plugctl inspect NAME [flags]
//	plugctl call NAME METHOD [JSON | @FILE | -] [flags]
//	plugctl check NAME [--write] [--format FORMAT] [flags]
//	plugctl demo [flags]
//	plugctl version | completion SHELL | help [COMMAND]
//
// Run "plugctl -h" or "plugctl COMMAND -h" for the flags, and see
// docs/plugctl.md.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// Once a signal has asked plugctl to stop, a second one ends it at once.
	go func() {
		<-ctx.Done()
		stop()
	}()
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
