//go:build windows

package conformance

import (
	"context"
	"net"

	"github.com/Microsoft/go-winio"
)

// dialPipe connects to a Windows named pipe such as //./pipe/myplugin.
func dialPipe(ctx context.Context, path string) (net.Conn, error) {
	return winio.DialPipeContext(ctx, path)
}
