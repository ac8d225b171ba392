package testkit

import (
	"io"
	"log"
	"net"
	"net/http"
	"sync"
	"time"
)

// Late serves an http.Handler on a UNIX socket that does not exist until
// the test says so (Start) or a delay has passed (StartAfter): a plugin
// that is still starting. It stops at cleanup.
type Late struct {
	t    TB
	path string
	h    http.Handler

	mu    sync.Mutex
	srv   *http.Server
	later Pending
}

// ServeLate returns a Late that will serve h on a UNIX socket at path.
func ServeLate(t TB, path string, h http.Handler) *Late {
	l := &Late{t: t, path: path, h: h}
	t.Cleanup(l.stop)
	return l
}

// Start serves now, if not already.
func (l *Late) Start() {
	l.t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.startLocked(); err != nil {
		l.t.Fatalf("testkit: %v", err)
	}
}

// StartAfter serves after d, in the background, if not already; a failure
// to listen then is reported with Errorf.
func (l *Late) StartAfter(d time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.later.Schedule(&l.mu, d, func() {
		// Under the lock, so that the report comes before cleanup ends.
		if err := l.startLocked(); err != nil {
			Errorf(l.t, "testkit: %v", err)
		}
	})
}

func (l *Late) startLocked() error {
	if l.srv != nil {
		return nil
	}
	ln, err := net.Listen("unix", l.path)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: l.h, ErrorLog: log.New(io.Discard, "", 0)}
	l.srv = srv
	go func() { _ = srv.Serve(ln) }()
	return nil
}

func (l *Late) stop() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.later.Cancel()
	if l.srv != nil {
		_ = l.srv.Close()
	}
}

// Pending is at most one call to come, made after a delay with its owner's
// lock held, unless cancelled or replaced meanwhile: a start that a stop
// must be able to call off, even once its timer has fired. The zero value
// has none; the owner's lock must be held to use it.
type Pending struct{ timer *time.Timer }

// Schedule replaces the call to come with fn after d; fn runs with mu (the
// owner's lock) held.
func (p *Pending) Schedule(mu sync.Locker, d time.Duration, fn func()) {
	p.Cancel()
	var timer *time.Timer
	timer = time.AfterFunc(d, func() {
		mu.Lock()
		defer mu.Unlock()
		if p.timer != timer { // cancelled or replaced while it fired
			return
		}
		p.timer = nil
		fn()
	})
	p.timer = timer
}

// Cancel calls off the call to come, if any.
func (p *Pending) Cancel() {
	if p.timer != nil {
		p.timer.Stop()
		p.timer = nil
	}
}
