package testkit

import (
	"net"
	"os"
	"path/filepath"
)

// ShortDir returns a fresh directory, removed at cleanup, with a short
// path: a UNIX socket path is limited to about 100 bytes, which
// t.TempDir() can exceed.
func ShortDir(t TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "pl")
	if err != nil {
		t.Fatalf("testkit: %v", err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	return dir
}

// SocketPath returns the path of NAME.sock in a fresh ShortDir.
func SocketPath(t TB, name string) string {
	t.Helper()
	return filepath.Join(ShortDir(t), name+".sock")
}

// ListenUnix listens on a UNIX socket at path, creating its directory; the
// listener is closed at cleanup.
func ListenUnix(t TB, path string) net.Listener {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatalf("testkit: %v", err)
	}
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatalf("testkit: %v", err)
	}
	t.Cleanup(func() { _ = l.Close() })
	return l
}

// ListenTCP listens on a loopback TCP port; the listener is closed at
// cleanup.
func ListenTCP(t TB) net.Listener {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("testkit: %v", err)
	}
	t.Cleanup(func() { _ = l.Close() })
	return l
}

// StaleSocket leaves a socket file at path, creating its directory, that
// nothing listens on: what a crashed plugin leaves behind.
func StaleSocket(t TB, path string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatalf("testkit: %v", err)
	}
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatalf("testkit: %v", err)
	}
	l.SetUnlinkOnClose(false)
	if err := l.Close(); err != nil {
		t.Fatalf("testkit: %v", err)
	}
}
