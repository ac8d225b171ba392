//go:build !windows

package conformance

import (
	"context"
	"errors"
	"net"
)

// dialPipe fails: named pipes exist only on Windows.
func dialPipe(context.Context, string) (net.Conn, error) {
	return nil, errors.New("npipe:// plugin addresses are only supported on Windows")
}
