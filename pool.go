package plugins

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"sync"
	"time"
)

const (
	// maxIdleConns bounds the connections a client keeps open between
	// calls; it covers a few dozen concurrent callers without redialling.
	maxIdleConns = 32
	// idleConnTimeout is how long an unused connection is kept open.
	idleConnTimeout = 30 * time.Second
	// readBufSize and writeBufSize size each connection's buffers: large
	// enough for a call's head and JSON in one system call; larger reads
	// and writes bypass them.
	readBufSize  = 32 << 10
	writeBufSize = 16 << 10
)

// connPool dials a plugin and keeps the connections it answered on for the
// next calls. Requests are written and answers read in the caller's
// goroutine: unlike net/http's Transport, a call hands nothing over to
// other goroutines, which is most of the cost of a small call.
type connPool struct {
	ep          endpoint
	tls         *tls.Config // nil unless the scheme is https
	idleTimeout time.Duration

	mu     sync.Mutex
	idle   []*pconn    // oldest first; calls take the most recent
	busy   *pconn      // the connections in use, linked through prev and next
	timer  *time.Timer // closes connections idle too long; nil until needed
	armed  bool        // whether timer is pending
	closed bool        // no connection is kept or made any more
}

// errPoolShut is the failure of an attempt on a pool shut down under it:
// the client was closed, or its plugin moved and the next attempt goes to
// the new address.
var errPoolShut = errors.New("connections closed")

func newConnPool(ep endpoint, cfg *tls.Config) *connPool {
	return &connPool{ep: ep, tls: cfg, idleTimeout: idleConnTimeout}
}

// pconn is a connection of the pool and its buffers.
type pconn struct {
	conn   net.Conn
	cr     *connReader // under br: bounds the head of an answer
	br     *bufio.Reader
	bw     *bufio.Writer
	probe  *liveness // nil where liveness cannot be checked
	idleAt time.Time
	reused bool // whether it served a call before this one
	// prev and next link the pool's connections in use, so that closing
	// the pool closes them too, at the cost of no allocation.
	prev, next *pconn
	inUse      bool
	// scratch formats numbers of the request head without allocating.
	scratch [20]byte
}

// get returns an idle connection that still looks usable, or a new one
// when there is none or fresh is set. gate, when set, bounds the dials in
// progress: a dial holds a place in it until it connects or fails, so a
// plugin that refuses connections holds it for one failed dial.
func (p *connPool) get(ctx context.Context, fresh bool, gate chan struct{}) (*pconn, error) {
	for !fresh {
		pc, err := p.takeIdle()
		if pc == nil || err != nil {
			if err != nil {
				return nil, err
			}
			break
		}
		// A server may close a connection it kept idle at any time; finding
		// out now is cheaper than failing the request and sending it again.
		if pc.probe == nil || pc.probe.alive() {
			pc.reused = true
			return pc, nil
		}
		p.done(pc, false)
	}
	conn, err := p.connect(ctx, gate)
	if err != nil {
		return nil, err
	}
	pc, err := p.open(ctx, conn)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		_ = pc.conn.Close()
		return nil, errPoolShut
	}
	p.link(pc)
	p.mu.Unlock()
	return pc, nil
}

// takeIdle removes and returns the most recently used idle connection,
// now in use, unless it has been idle too long.
func (p *connPool) takeIdle() (*pconn, error) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, errPoolShut
	}
	n := len(p.idle)
	if n == 0 {
		p.mu.Unlock()
		return nil, nil
	}
	pc := p.idle[n-1]
	p.idle[n-1] = nil
	p.idle = p.idle[:n-1]
	if time.Since(pc.idleAt) > p.idleTimeout {
		// The newest is stale, so are the others; the timer closes them.
		p.mu.Unlock()
		_ = pc.conn.Close()
		return nil, nil
	}
	p.link(pc)
	p.mu.Unlock()
	return pc, nil
}

// link adds pc to the connections in use; p.mu must be held.
func (p *connPool) link(pc *pconn) {
	pc.prev, pc.next, pc.inUse = nil, p.busy, true
	if p.busy != nil {
		p.busy.prev = pc
	}
	p.busy = pc
}

// unlink removes pc from the connections in use; p.mu must be held.
func (p *connPool) unlink(pc *pconn) {
	if !pc.inUse {
		return
	}
	if pc.prev != nil {
		pc.prev.next = pc.next
	} else {
		p.busy = pc.next
	}
	if pc.next != nil {
		pc.next.prev = pc.prev
	}
	pc.prev, pc.next, pc.inUse = nil, nil, false
}

// connect dials the plugin, holding a place in gate, if set, meanwhile.
func (p *connPool) connect(ctx context.Context, gate chan struct{}) (net.Conn, error) {
	if gate != nil {
		select {
		case gate <- struct{}{}:
			defer func() { <-gate }()
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return p.ep.dial(ctx)
}

// open readies a new connection for calls: its TLS handshake, if any, and
// its buffers.
func (p *connPool) open(ctx context.Context, conn net.Conn) (*pconn, error) {
	probe := newLiveness(conn)
	if p.tls != nil {
		tc := tls.Client(conn, p.tls)
		hctx, cancel := context.WithTimeout(ctx, dialTimeout)
		err := tc.HandshakeContext(hctx)
		cancel()
		if err != nil {
			_ = conn.Close()
			return nil, err
		}
		conn = tc
	}
	cr := &connReader{r: conn, n: math.MaxInt64}
	return &pconn{
		conn:  conn,
		cr:    cr,
		br:    bufio.NewReaderSize(cr, readBufSize),
		bw:    bufio.NewWriterSize(conn, writeBufSize),
		probe: probe,
	}, nil
}

// done ends pc's use by a call: it keeps pc for a later call when keep is
// set (its last answer was read whole) and the pool wants it, and closes
// it otherwise.
func (p *connPool) done(pc *pconn, keep bool) {
	pc.idleAt = time.Now()
	p.mu.Lock()
	p.unlink(pc)
	if !keep || p.closed || len(p.idle) >= maxIdleConns {
		p.mu.Unlock()
		_ = pc.conn.Close()
		return
	}
	p.idle = append(p.idle, pc)
	if !p.armed {
		p.armed = true
		if p.timer == nil {
			p.timer = time.AfterFunc(p.idleTimeout, p.closeStale)
		} else {
			p.timer.Reset(p.idleTimeout)
		}
	}
	p.mu.Unlock()
}

// closeStale closes the connections idle for longer than the idle timeout
// and arms the timer for the next one to expire.
func (p *connPool) closeStale() {
	now := time.Now()
	p.mu.Lock()
	n := 0
	for n < len(p.idle) && now.Sub(p.idle[n].idleAt) >= p.idleTimeout {
		n++
	}
	stale := make([]*pconn, n)
	copy(stale, p.idle[:n])
	p.idle = append(p.idle[:0], p.idle[n:]...)
	clear(p.idle[len(p.idle):cap(p.idle)])
	if len(p.idle) > 0 {
		p.timer.Reset(p.idle[0].idleAt.Add(p.idleTimeout).Sub(now))
	} else {
		p.armed = false
	}
	p.mu.Unlock()
	for _, pc := range stale {
		_ = pc.conn.Close()
	}
}

// shutdown closes the pool: its idle connections now, those in use now if
// closeBusy is set (their calls fail), or else as their calls end.
func (p *connPool) shutdown(closeBusy bool) {
	p.mu.Lock()
	p.closed = true
	toClose := p.idle
	p.idle = nil
	if closeBusy {
		for pc := p.busy; pc != nil; pc = pc.next {
			toClose = append(toClose, pc)
		}
	}
	if p.timer != nil {
		p.timer.Stop()
	}
	p.armed = false
	p.mu.Unlock()
	for _, pc := range toClose {
		_ = pc.conn.Close()
	}
}

// closeIdle closes every idle connection; connections in use are closed
// or kept when their call ends, as usual.
func (p *connPool) closeIdle() {
	p.mu.Lock()
	idle := p.idle
	p.idle = nil
	if p.timer != nil {
		p.timer.Stop()
	}
	p.armed = false
	p.mu.Unlock()
	for _, pc := range idle {
		_ = pc.conn.Close()
	}
}

// errHeadTooLong ends an answer whose head does not end within
// maxResponseHeaderBytes: a broken or hostile plugin, not worth a retry.
var errHeadTooLong = fmt.Errorf("answer head longer than %d bytes", maxResponseHeaderBytes)

// maxResponseHeaderBytes bounds the status line and headers of an answer.
const maxResponseHeaderBytes = 1 << 20

// errWouldWait ends a read that would have to wait for the plugin.
var errWouldWait = errors.New("rest of the answer not arrived yet")

// connReader is what a connection's buffered reader reads from. It bounds
// the head of an answer, and, once the caller has what it asked for, reads
// nothing more from the socket: what is left of the answer is then taken
// from the buffer only.
type connReader struct {
	r      io.Reader
	n      int64 // bytes left before errHeadTooLong
	noWait bool  // fail with errWouldWait rather than read the socket
}

// reset readies the reader for the next part of an answer, bounded by n.
func (c *connReader) reset(n int64) { c.n, c.noWait = n, false }

func (c *connReader) Read(p []byte) (int, error) {
	if c.noWait {
		return 0, errWouldWait
	}
	if c.n <= 0 {
		return 0, errHeadTooLong
	}
	if int64(len(p)) > c.n {
		p = p[:c.n]
	}
	n, err := c.r.Read(p)
	c.n -= int64(n)
	return n, err
}
