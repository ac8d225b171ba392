package testkit_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-dockerplugins/plugins/internal/testkit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// scope is a TB whose cleanups the test runs when it wants.
type scope struct {
	testing.TB
	fns []func()
}

func (s *scope) Cleanup(fn func()) { s.fns = append(s.fns, fn) }

func (s *scope) close() {
	for i := len(s.fns) - 1; i >= 0; i-- {
		s.fns[i]()
	}
}

func TestShortDir(t *testing.T) {
	s := &scope{TB: t}
	dir := testkit.ShortDir(s)
	assert.Less(t, len(dir), 60, "leaves room for socket names")
	sock := testkit.SocketPath(s, "p")
	assert.Equal(t, "p.sock", filepath.Base(sock))
	s.close()
	_, err := os.Stat(dir)
	assert.ErrorIs(t, err, os.ErrNotExist)
	_, err = os.Stat(filepath.Dir(sock))
	assert.ErrorIs(t, err, os.ErrNotExist)
}

func TestBuffer(t *testing.T) {
	var b testkit.Buffer
	var wg sync.WaitGroup
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _ = io.WriteString(&b, "x")
			_ = b.String()
		}()
	}
	wg.Wait()
	assert.Equal(t, strings.Repeat("x", 10), b.String())
}

func TestErrorfOffTheTestGoroutine(t *testing.T) {
	var fatal string
	testkit.Errorf(fatalOnly{&fatal}, "late: %d", 1)
	assert.Equal(t, "late: 1", fatal, "Fatalf without Errorf")
}

type fatalOnly struct{ msg *string }

func (fatalOnly) Helper()                             {}
func (fatalOnly) Cleanup(func())                      {}
func (f fatalOnly) Fatalf(format string, args ...any) { *f.msg = fmt.Sprintf(format, args...) }

// serveTLS serves an empty answer with cfg on a loopback port and returns
// its port.
func serveTLS(t *testing.T, cfg *tls.Config) string {
	l, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	require.NoError(t, err)
	srv := &http.Server{Handler: http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	_, port, _ := net.SplitHostPort(l.Addr().String())
	return port
}

func dialTLS(host, port string, cfg *tls.Config) error {
	c, err := tls.Dial("tcp", net.JoinHostPort("127.0.0.1", port), cfg)
	if err != nil {
		return err
	}
	defer c.Close()
	return c.Handshake()
}

func TestCA(t *testing.T) {
	ca := testkit.NewCA(t, filepath.Join(testkit.ShortDir(t), "certs"))
	pem, err := os.ReadFile(ca.File())
	require.NoError(t, err)
	fromFile := x509.NewCertPool()
	require.True(t, fromFile.AppendCertsFromPEM(pem))
	client := func(name string) *tls.Config { return &tls.Config{RootCAs: fromFile, ServerName: name} }

	port := serveTLS(t, ca.ServerConfig())
	for _, name := range []string{"127.0.0.1", "localhost"} {
		assert.NoError(t, dialTLS(name, port, client(name)), name)
	}
	assert.NoError(t, dialTLS("127.0.0.1", port, &tls.Config{RootCAs: ca.Pool(), ServerName: "127.0.0.1"}))

	other := testkit.NewCA(t, testkit.ShortDir(t))
	assert.ErrorContains(t, dialTLS("127.0.0.1", port, &tls.Config{RootCAs: other.Pool(), ServerName: "127.0.0.1"}), "unknown authority")

	misnamed := ca.ServerConfig()
	misnamed.Certificates = []tls.Certificate{ca.Issue("other.example")}
	assert.ErrorContains(t, dialTLS("localhost", serveTLS(t, misnamed), client("localhost")), "certificate is valid for other.example, not localhost")

	expired := ca.ServerConfig()
	expired.Certificates = []tls.Certificate{ca.Expired()}
	assert.ErrorContains(t, dialTLS("127.0.0.1", serveTLS(t, expired), client("127.0.0.1")), "certificate has expired")

	mutual := serveTLS(t, ca.MutualConfig())
	certFile, keyFile := ca.ClientFiles()
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	require.NoError(t, err)
	withCert := client("127.0.0.1")
	withCert.Certificates = []tls.Certificate{cert}
	assert.NoError(t, dialTLS("127.0.0.1", mutual, withCert))
	again, _ := ca.ClientFiles()
	assert.Equal(t, certFile, again, "written once")
}

// roundTrip sends raw on a new connection to the socket of addr and
// returns the answer.
func roundTrip(t *testing.T, addr, raw string) (*http.Response, net.Conn) {
	t.Helper()
	conn, err := net.Dial("unix", strings.TrimPrefix(addr, "unix://"))
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	_, err = io.WriteString(conn, raw)
	require.NoError(t, err)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err)
	return resp, conn
}

const post = "POST /X.Y HTTP/1.1\r\nHost: p\r\nContent-Length: 4\r\n\r\nbody"

func TestRawKeepsConnectionsAndCounts(t *testing.T) {
	var mu sync.Mutex
	var got []string
	raw := testkit.ServeRawSocket(t, testkit.SocketPath(t, "raw"), func(conn net.Conn, n int, req *http.Request) bool {
		mu.Lock()
		got = append(got, fmt.Sprint(n, " ", req.URL.Path))
		mu.Unlock()
		_, _ = io.WriteString(conn, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")
		return n == 0
	})
	assert.True(t, strings.HasPrefix(raw.Addr(), "unix:///"), raw.Addr())
	conn, err := net.Dial("unix", strings.TrimPrefix(raw.Addr(), "unix://"))
	require.NoError(t, err)
	defer conn.Close()
	// Two requests on one connection: the unread body of the first is
	// skipped; the connection is closed after the second.
	_, err = io.WriteString(conn, post+post)
	require.NoError(t, err)
	all, err := io.ReadAll(conn)
	require.NoError(t, err)
	assert.Equal(t, 2, strings.Count(string(all), "HTTP/1.1 200 OK"))
	mu.Lock()
	assert.Equal(t, []string{"0 /X.Y", "1 /X.Y"}, got)
	mu.Unlock()
	assert.Equal(t, 1, raw.Conns())
	assert.Equal(t, 2, raw.Requests())
}

func TestRawAnswers(t *testing.T) {
	t.Run("Answer reads the body first", func(t *testing.T) {
		bodies := make(chan string, 1)
		raw := testkit.ServeRawSocket(t, testkit.SocketPath(t, "raw"), testkit.ReadBody(func(conn net.Conn, n int, req *http.Request) bool {
			b, _ := io.ReadAll(req.Body)
			bodies <- string(b)
			return testkit.Answer("HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n", true)(conn, n, req)
		}))
		resp, _ := roundTrip(t, raw.Addr(), post)
		assert.Equal(t, http.StatusCreated, resp.StatusCode)
		assert.Equal(t, "body", <-bodies)
	})
	t.Run("AnswerEarly holds the connection", func(t *testing.T) {
		raw := testkit.ServeRawSocket(t, testkit.SocketPath(t, "raw"), testkit.AnswerEarly(413, `{"Err":"too large"}`, 200*time.Millisecond))
		start := time.Now()
		resp, conn := roundTrip(t, raw.Addr(), "POST /X.Y HTTP/1.1\r\nHost: p\r\nContent-Length: 1000000\r\n\r\n")
		assert.Equal(t, 413, resp.StatusCode)
		b, _ := io.ReadAll(resp.Body)
		assert.Equal(t, `{"Err":"too large"}`, string(b))
		_, err := conn.Read(make([]byte, 1))
		assert.ErrorIs(t, err, io.EOF)
		assert.GreaterOrEqual(t, time.Since(start), 200*time.Millisecond, "closed after the hold")
	})
	t.Run("Drop", func(t *testing.T) {
		raw := testkit.ServeRawSocket(t, testkit.SocketPath(t, "raw"), testkit.Drop)
		conn, err := net.Dial("unix", strings.TrimPrefix(raw.Addr(), "unix://"))
		require.NoError(t, err)
		defer conn.Close()
		_, _ = io.WriteString(conn, post)
		all, err := io.ReadAll(conn)
		require.NoError(t, err)
		assert.Empty(t, all)
	})
}

// A hung answer ends when the client hangs up, and at cleanup at the
// latest, which does not wait for it.
func TestRawHangEndsAtCleanup(t *testing.T) {
	s := &scope{TB: t}
	raw := testkit.ServeRawSocket(s, testkit.SocketPath(s, "raw"), testkit.Hang)
	conn, err := net.Dial("unix", strings.TrimPrefix(raw.Addr(), "unix://"))
	require.NoError(t, err)
	defer conn.Close()
	_, _ = io.WriteString(conn, post)
	require.Eventually(t, func() bool { return raw.Requests() == 1 }, 5*time.Second, time.Millisecond)
	start := time.Now()
	s.close()
	assert.Less(t, time.Since(start), time.Second)
	_, err = conn.Read(make([]byte, 1))
	assert.ErrorIs(t, err, io.EOF, "closed without an answer")
}

func TestLate(t *testing.T) {
	get := func(sock string) error {
		c := http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", sock)
		}}}
		resp, err := c.Get("http://p/")
		if err == nil {
			resp.Body.Close()
		}
		return err
	}
	ok := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})

	sock := testkit.SocketPath(t, "late")
	late := testkit.ServeLate(t, sock, ok)
	require.Error(t, get(sock), "not up yet")
	late.Start()
	late.Start()
	require.NoError(t, get(sock))

	sock = testkit.SocketPath(t, "after")
	testkit.ServeLate(t, sock, ok).StartAfter(100 * time.Millisecond)
	start := time.Now()
	require.Error(t, get(sock))
	require.Eventually(t, func() bool { return get(sock) == nil }, 5*time.Second, 5*time.Millisecond)
	assert.GreaterOrEqual(t, time.Since(start), 100*time.Millisecond-10*time.Millisecond)

	s := &scope{TB: t}
	sock = testkit.SocketPath(t, "never")
	testkit.ServeLate(s, sock, ok).StartAfter(20 * time.Millisecond)
	s.close()
	time.Sleep(50 * time.Millisecond)
	_, err := os.Stat(sock)
	assert.ErrorIs(t, err, os.ErrNotExist, "no start once the test ended")
}

func TestStaleSocket(t *testing.T) {
	path := filepath.Join(testkit.ShortDir(t), "sub", "dead.sock")
	testkit.StaleSocket(t, path)
	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.ModeSocket, fi.Mode().Type())
	_, err = net.Dial("unix", path)
	assert.ErrorContains(t, err, "connection refused")
}

func TestServe(t *testing.T) {
	s := &scope{TB: t}
	held := make(chan struct{})
	srv := testkit.ServeSocket(s, testkit.SocketPath(t, "srv"), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/X.Hold" {
			w.WriteHeader(http.StatusOK)
			w.(http.Flusher).Flush()
			close(held)
			<-r.Context().Done() // until Close
			return
		}
		testkit.Echo(w, r)
	}), func(srv *http.Server) { srv.IdleTimeout = time.Hour })
	assert.True(t, strings.HasPrefix(srv.Addr(), "unix:///"), srv.Addr())
	assert.Equal(t, strings.TrimPrefix(srv.Addr(), "unix://"), srv.HostPort())

	resp, conn := roundTrip(t, srv.Addr(), post)
	b, _ := io.ReadAll(resp.Body)
	assert.Equal(t, "body", string(b), "Echo")
	assert.Equal(t, "application/vnd.docker.plugins.v1.1+json", resp.Header.Get("Content-Type"))
	require.NoError(t, conn.Close())
	require.Eventually(t, func() bool { return srv.Closed() == 1 }, 5*time.Second, time.Millisecond)
	assert.Equal(t, 1, srv.Conns())

	_, _ = roundTrip(t, srv.Addr(), "POST /X.Hold HTTP/1.1\r\nHost: p\r\nContent-Length: 0\r\n\r\n")
	<-held
	start := time.Now()
	s.close()
	assert.Less(t, time.Since(start), time.Second, "cleanup does not wait for a held answer")
	assert.Equal(t, 2, srv.Conns())
	srv.Close() // twice: nothing
}

func TestServeTLSAndConnState(t *testing.T) {
	ca := testkit.NewCA(t, testkit.ShortDir(t))
	var states testkit.Log[http.ConnState]
	srv := testkit.Serve(t, tls.NewListener(testkit.ListenTCP(t), ca.ServerConfig()), http.HandlerFunc(testkit.Echo),
		func(srv *http.Server) { srv.ConnState = func(_ net.Conn, st http.ConnState) { states.Add(st) } })
	assert.True(t, strings.HasPrefix(srv.Addr(), "tcp://127.0.0.1:"), srv.Addr())
	c := http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.Pool()}}}
	resp, err := c.Post("https://"+srv.HostPort()+"/X.Y", "", strings.NewReader("tls"))
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, "tls", string(b))
	assert.Equal(t, 1, srv.Conns())
	assert.Contains(t, states.All(), http.StateNew, "the ConnState configured is called too")
}

func TestLog(t *testing.T) {
	var l testkit.Log[int]
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l.Add(i)
		}()
	}
	wg.Wait()
	assert.ElementsMatch(t, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, l.All())
	assert.Len(t, l.Take(), 10)
	assert.Empty(t, l.Take(), "taken")
	l.Add(11)
	assert.Equal(t, []int{11}, l.All())
}
