package plugins

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	"github.com/stretchr/testify/require"
)

// shortDir returns a fresh directory with a short path: UNIX socket paths
// are limited to about 100 bytes, which t.TempDir() can exceed.
func shortDir(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "pl")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// quietLogger discards what the library logs during tests.
func quietLogger() logrus.FieldLogger {
	l := logrus.New()
	l.SetOutput(io.Discard)
	return l
}

// withClock replaces the clock, for tests of back-off and budgets.
func withClock(c clock) Option {
	return clientOption(func(cfg *config) { cfg.clock = c })
}

// fakeClock advances by the waits it is asked to sleep, instantly.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	sleeps  []time.Duration
	onSleep func(n int) // called after the n-th sleep (1-based), outside the lock
}

// newFakeClock starts at the real time, so that a context's deadline is as
// far from it as from the real clock, then moves only by the waits asked.
func newFakeClock() *fakeClock { return &fakeClock{now: time.Now()} }

func (f *fakeClock) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	f.mu.Lock()
	f.sleeps = append(f.sleeps, d)
	f.now = f.now.Add(d)
	n, hook := len(f.sleeps), f.onSleep
	f.mu.Unlock()
	if hook != nil {
		hook(n)
	}
	return ctx.Err()
}

func (f *fakeClock) Sleeps() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Duration(nil), f.sleeps...)
}

// request is what a fake plugin received.
type request struct {
	Method           string
	Path             string
	RawQuery         string
	Host             string
	Header           http.Header
	ContentLength    int64
	TransferEncoding []string
	Body             []byte
}

// fakePlugin is an HTTP plugin that activates with its manifest, answers
// other methods with the handlers set on it, and records every request.
type fakePlugin struct {
	implements []string
	mu         sync.Mutex
	handlers   map[string]http.HandlerFunc
	requests   []request
	activated  atomic.Int32
}

func newFakePlugin(implements ...string) *fakePlugin {
	return &fakePlugin{implements: implements, handlers: make(map[string]http.HandlerFunc)}
}

// on sets the handler of a service method, e.g. "/VolumeDriver.Create".
func (p *fakePlugin) on(path string, h http.HandlerFunc) *fakePlugin {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.handlers[path] = h
	return p
}

func (p *fakePlugin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	p.mu.Lock()
	p.requests = append(p.requests, request{
		Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery, Host: r.Host,
		Header: r.Header.Clone(), ContentLength: r.ContentLength,
		TransferEncoding: r.TransferEncoding, Body: body,
	})
	h := p.handlers[r.URL.Path]
	p.mu.Unlock()
	if h != nil {
		h(w, r)
		return
	}
	if r.URL.Path == "/Plugin.Activate" {
		p.activated.Add(1)
		w.Header().Set("Content-Type", "application/vnd.docker.plugins.v1.1+json")
		_ = json.NewEncoder(w).Encode(Manifest{Implements: p.implements})
		return
	}
	http.Error(w, `{"Err":"no such method"}`, http.StatusNotFound)
}

func (p *fakePlugin) Requests() []request {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]request(nil), p.requests...)
}

// serve serves h on l until the test ends; configure, if given, adjusts
// the server before it starts.
func serve(t testing.TB, l net.Listener, h http.Handler, configure ...func(*http.Server)) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	srv.Listener.Close()
	srv.Listener = l
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	for _, c := range configure {
		c(srv.Config)
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

// serveUnix serves h on a UNIX socket at path.
func serveUnix(t testing.TB, path string, h http.Handler, configure ...func(*http.Server)) *httptest.Server {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	l, err := net.Listen("unix", path)
	require.NoError(t, err)
	return serve(t, l, h, configure...)
}

// serveTCP serves h on a loopback TCP port and returns host:port.
func serveTCP(t testing.TB, h http.Handler) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	serve(t, l, h)
	return l.Addr().String()
}

// serveTLS serves h over TLS on a loopback port with cfg and returns host:port.
func serveTLS(t testing.TB, h http.Handler, cfg *tls.Config) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := httptest.NewUnstartedServer(h)
	srv.Listener.Close()
	srv.Listener = l
	srv.TLS = cfg
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return l.Addr().String()
}

func writeFile(t testing.TB, path, content string) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
}

// env is a plugin directory layout of its own: a sockets directory and two
// spec directories, none of the machine's.
type env struct {
	sockets string
	specs   [2]string
}

func newEnv(t testing.TB) env {
	root := shortDir(t)
	return env{
		sockets: filepath.Join(root, "s"),
		specs:   [2]string{filepath.Join(root, "e"), filepath.Join(root, "u")},
	}
}

func (e env) registry() *LocalRegistry {
	return NewLocalRegistry(WithSocketsDir(e.sockets), WithSpecsDirs(e.specs[:]...), WithLogger(quietLogger()))
}

// store returns a quiet store over the env with a fake clock, so that
// retries cost no time, unless opts say otherwise.
func (e env) store(opts ...StoreOption) *Store {
	return NewStore(e.registry(), append([]StoreOption{WithLogger(quietLogger()), withClock(newFakeClock())}, opts...)...)
}

// socket returns the path of NAME.sock in the sockets directory.
func (e env) socket(name string) string { return filepath.Join(e.sockets, name+".sock") }

// certs is a throwaway PKI: a CA and a server certificate for 127.0.0.1
// and localhost signed by it, written as PEM files.
type certs struct {
	caFile, certFile, keyFile string
	ca                        *x509.Certificate
	caKey                     *ecdsa.PrivateKey
	server                    tls.Certificate
	pool                      *x509.CertPool
}

func newCerts(t testing.TB, dir string) *certs {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "plugins test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		KeyUsage:              x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	require.NoError(t, err)
	ca, err := x509.ParseCertificate(caDER)
	require.NoError(t, err)

	c := &certs{
		caFile: filepath.Join(dir, "ca.pem"), certFile: filepath.Join(dir, "cert.pem"), keyFile: filepath.Join(dir, "key.pem"),
		ca: ca, caKey: caKey, pool: x509.NewCertPool(),
	}
	c.pool.AddCert(ca)
	writePEM(t, c.caFile, "CERTIFICATE", caDER)
	c.server = c.issue(t, "127.0.0.1", x509.ExtKeyUsageServerAuth, "", "")
	// A client certificate, for plugins that require one.
	c.issue(t, "client", x509.ExtKeyUsageClientAuth, c.certFile, c.keyFile)
	return c
}

// issue signs a certificate for cn (also its IP or DNS name), writing it
// and its key to certFile and keyFile when they are given.
func (c *certs) issue(t testing.TB, cn string, usage x509.ExtKeyUsage, certFile, keyFile string) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	serial, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{usage},
	}
	if ip := net.ParseIP(cn); ip != nil {
		tmpl.IPAddresses = []net.IP{ip}
		tmpl.DNSNames = []string{"localhost"}
	} else {
		tmpl.DNSNames = []string{cn}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, c.ca, &key.PublicKey, c.caKey)
	require.NoError(t, err)
	keyDER, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	if certFile != "" {
		writePEM(t, certFile, "CERTIFICATE", der)
		writePEM(t, keyFile, "EC PRIVATE KEY", keyDER)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

func writePEM(t testing.TB, path, typ string, der []byte) {
	t.Helper()
	require.NoError(t, os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600))
}

// serverTLS is the TLS configuration of a plugin served with these certs.
func (c *certs) serverTLS() *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{c.server}, MinVersion: tls.VersionTLS12}
}

// retries records the retry events of an observer.
type retries struct {
	mu     sync.Mutex
	events []RetryEvent
}

func (r *retries) observe(ev RetryEvent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, ev)
}

func (r *retries) Events() []RetryEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]RetryEvent(nil), r.events...)
}

func (r *retries) Waits() []time.Duration {
	var out []time.Duration
	for _, ev := range r.Events() {
		out = append(out, ev.Wait)
	}
	return out
}

// rawPlugin serves HTTP by hand on a UNIX socket: answer is called with the
// connection, the number of the request on it (0 for the first), the
// request and its body, writes the answer, and returns false to close the
// connection. Connections still open when the test ends are closed, so
// that an answer that never ends does not hold the test. It returns the
// plugin's address and a count of the connections accepted.
func rawPlugin(t *testing.T, answer func(conn net.Conn, n int, req *http.Request, body []byte) bool) (addr string, conns *atomic.Int32) {
	t.Helper()
	sock := filepath.Join(shortDir(t), "raw.sock")
	l, err := net.Listen("unix", sock)
	require.NoError(t, err)
	conns = new(atomic.Int32)
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		open []net.Conn
	)
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		for _, c := range open {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			mu.Lock()
			open = append(open, conn)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer conn.Close()
				br := bufio.NewReader(conn)
				for n := 0; ; n++ {
					req, err := http.ReadRequest(br)
					if err != nil {
						return
					}
					body, err := io.ReadAll(req.Body)
					if err != nil || !answer(conn, n, req, body) {
						return
					}
				}
			}()
		}
	}()
	return "unix://" + sock, conns
}

// settles reports whether cond holds within a few seconds. It polls in the
// calling goroutine: a condition run by require.Eventually would count,
// among goroutines, the one that runs it.
func settles(cond func() bool) bool {
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return true
		}
	}
	return false
}

// goroutinesSettle reports whether, within a few seconds, no more
// goroutines run than base.
func goroutinesSettle(base int) bool {
	return settles(func() bool { return runtime.NumGoroutine() <= base })
}
