//go:build unix

package plugins

import (
	"net"
	"syscall"
)

// liveness tells whether an idle connection is still usable, with one
// non-blocking read on its socket.
type liveness struct {
	rc    syscall.RawConn
	check func(fd uintptr) // l.read, bound once so that alive does not allocate
	ok    bool
	buf   [1]byte
}

// newLiveness returns a liveness check of conn, or nil if conn has no socket.
func newLiveness(conn net.Conn) *liveness {
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	l := &liveness{rc: rc}
	l.check = l.read
	return l
}

// alive reports whether the connection has neither been closed by the
// server nor received anything since its last answer: either way it cannot
// carry another request. Go's sockets are non-blocking, so an idle healthy
// connection reads EAGAIN.
func (l *liveness) alive() bool {
	l.ok = false
	if l.rc.Control(l.check) != nil {
		return false
	}
	return l.ok
}

func (l *liveness) read(fd uintptr) {
	_, err := syscall.Read(int(fd), l.buf[:])
	l.ok = err == syscall.EAGAIN || err == syscall.EWOULDBLOCK
}
