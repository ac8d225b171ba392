package pluginstest

import (
	"net"
	"os"
)

// removeStale removes a socket file at path that nothing listens on, which
// would make listening there fail; a live socket is left alone.
func removeStale(path string) {
	fi, err := os.Lstat(path)
	if err != nil || fi.Mode().Type() != os.ModeSocket {
		return
	}
	if c, err := net.Dial("unix", path); err == nil {
		_ = c.Close()
		return
	}
	_ = os.Remove(path)
}
