package testkit

import (
	"io"
	"log"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
)

// Server is a plugin written with net/http: it serves an http.Handler on a
// listener of the test's choosing (a UNIX socket, a TCP port, with TLS or
// without) and counts its connections. It stops at cleanup, or at Close,
// without waiting for handlers that hold their answer (httptest.Server
// would), and without logging.
type Server struct {
	l      net.Listener
	srv    *http.Server
	served sync.WaitGroup
	once   sync.Once

	conns, closed atomic.Int32
}

// Serve serves h on l until cleanup; configure, if given, adjusts the server
// before it starts (a ConnState it sets is still called).
func Serve(t TB, l net.Listener, h http.Handler, configure ...func(*http.Server)) *Server {
	s := &Server{l: l, srv: &http.Server{Handler: h, ErrorLog: log.New(io.Discard, "", 0)}}
	for _, c := range configure {
		c(s.srv)
	}
	next := s.srv.ConnState
	s.srv.ConnState = func(c net.Conn, st http.ConnState) {
		switch st {
		case http.StateNew:
			s.conns.Add(1)
		case http.StateClosed, http.StateHijacked:
			s.closed.Add(1)
		}
		if next != nil {
			next(c, st)
		}
	}
	s.served.Add(1)
	go func() {
		defer s.served.Done()
		_ = s.srv.Serve(l)
	}()
	t.Cleanup(s.Close)
	return s
}

// ServeSocket serves h on a UNIX socket at path (see ListenUnix).
func ServeSocket(t TB, path string, h http.Handler, configure ...func(*http.Server)) *Server {
	t.Helper()
	return Serve(t, ListenUnix(t, path), h, configure...)
}

// Addr returns the address of the server: unix://PATH or tcp://HOST:PORT
// (a TLS server's address is https://HOST:PORT; see HostPort).
func (s *Server) Addr() string {
	a := s.l.Addr()
	return a.Network() + "://" + a.String()
}

// HostPort returns the host and port of a TCP server, or the path of a
// UNIX socket.
func (s *Server) HostPort() string { return s.l.Addr().String() }

// Conns returns how many connections it accepted so far.
func (s *Server) Conns() int { return int(s.conns.Load()) }

// Closed returns how many of them were closed (by either side) or
// hijacked so far.
func (s *Server) Closed() int { return int(s.closed.Load()) }

// Close closes the listener and every connection, ending the answers in
// progress, and waits for the server to stop accepting: a plugin that
// crashed. Closing twice does nothing.
func (s *Server) Close() {
	s.once.Do(func() {
		_ = s.srv.Close()
		s.served.Wait()
	})
}

// Echo answers 200 with the request's body, as a plugin's JSON answer: a
// method that returns its arguments. It reads the whole body first, as a
// plugin decodes its request before it answers (net/http's HTTP/1 server
// may stop reading a body once the answer has begun).
func Echo(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	w.Header().Set("Content-Type", "application/vnd.docker.plugins.v1.1+json")
	_, _ = w.Write(body)
}
