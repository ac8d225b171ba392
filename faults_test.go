//go:build unix

package plugins

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/docker/go-connections/tlsconfig"
	"github.com/go-dockerplugins/plugins/internal/testkit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Fault tests: real servers and processes, the real clock where the
// schedule itself is under test, bounded time throughout.

// The plugin's socket appears 1.5s after the call or the lookup began: it
// succeeds on the documented schedule, after waits of 1s and 2s.
func TestFaultPluginNotUpYet(t *testing.T) {
	const late = 1500 * time.Millisecond
	wantWaits := []time.Duration{time.Second, 2 * time.Second}

	t.Run("Call", func(t *testing.T) {
		t.Parallel()
		sock := filepath.Join(testkit.ShortDir(t), "late.sock")
		var seen retries
		c, err := NewClientWithOptions("unix://"+sock, tlsconfig.Options{}, WithLogger(testkit.QuietLogger()), WithRetryObserver(seen.observe))
		require.NoError(t, err)
		t.Cleanup(c.CloseIdleConnections)

		start := time.Now()
		testkit.ServeLate(t, sock, newFakePlugin().on("/Echo.Echo", echo)).StartAfter(late)
		var out echoArgs
		require.NoError(t, c.Call("Echo.Echo", echoArgs{"late", 1}, &out))
		elapsed := time.Since(start)
		assert.Equal(t, echoArgs{"late", 1}, out)
		assert.Equal(t, wantWaits, seen.Waits())
		assert.GreaterOrEqual(t, elapsed, 3*time.Second, "the third attempt comes after 1s+2s")
		assert.Less(t, elapsed, 6*time.Second)
		for _, ev := range seen.Events() {
			assert.ErrorIs(t, ev.Err, syscall.ENOENT)
		}
	})
	t.Run("Get", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		require.NoError(t, os.MkdirAll(e.sockets, 0o755))
		var seen retries
		s := e.store(withClock(realClock{}), WithRetryObserver(seen.observe))

		start := time.Now()
		p := newFakePlugin("VolumeDriver")
		testkit.ServeLate(t, e.socket("late"), p).StartAfter(late)
		got, err := s.Get("late", "VolumeDriver")
		elapsed := time.Since(start)
		require.NoError(t, err)
		defer got.Client.CloseIdleConnections()
		assert.Equal(t, wantWaits, seen.Waits())
		for _, ev := range seen.Events() {
			assert.Empty(t, ev.Method, "lookup retries, not call retries")
			assert.ErrorIs(t, ev.Err, ErrNotFound)
		}
		assert.GreaterOrEqual(t, elapsed, 3*time.Second)
		assert.Less(t, elapsed, 6*time.Second)
		assert.EqualValues(t, 1, p.activated.Load())
	})
}

// helperEnv, when set, makes the test binary a tiny plugin process serving
// on the UNIX socket it names; see TestHelperPluginProcess.
const (
	helperEnv     = "PLUGINS_TEST_HELPER_SOCKET"
	helperModeEnv = "PLUGINS_TEST_HELPER_MODE"
	helperPartial = 64 << 10 // what a stalling helper reads before it stalls
)

// uploadAnswer is what the helper plugin answers to /Upload.Put.
type uploadAnswer struct {
	Len   int
	Sum   string
	Count int // complete requests received so far
}

// TestHelperPluginProcess is not a test: it is the plugin process that
// TestFaultPluginKilledMidCall starts. In mode "stall" it reads the start of
// the first request body, says "partial" on stdout and waits to be killed;
// in mode "serve" it answers every request with the length and SHA-256 of
// its body.
func TestHelperPluginProcess(t *testing.T) {
	sock := os.Getenv(helperEnv)
	if sock == "" {
		t.Skip("only run as a helper process")
	}
	_ = os.Remove(sock) // left by the killed instance, as a crashed plugin leaves it
	l, err := net.Listen("unix", sock)
	if err != nil {
		fmt.Println("listen:", err)
		os.Exit(2)
	}
	var mu sync.Mutex
	count := 0
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if os.Getenv(helperModeEnv) == "stall" {
			_, _ = io.CopyN(io.Discard, r.Body, helperPartial)
			fmt.Println("partial")
			select {} // until SIGKILL
		}
		sum := sha256.New()
		n, err := io.Copy(sum, r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		mu.Lock()
		count++
		ans := uploadAnswer{Len: int(n), Sum: hex.EncodeToString(sum.Sum(nil)), Count: count}
		mu.Unlock()
		_ = json.NewEncoder(w).Encode(ans)
	})
	fmt.Println("listening")
	_ = http.Serve(l, h)
}

// helperPlugin is a running helper plugin process.
type helperPlugin struct {
	cmd   *exec.Cmd
	lines *bufio.Scanner
}

func startHelperPlugin(t *testing.T, sock, mode string) *helperPlugin {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperPluginProcess$")
	cmd.Env = append(os.Environ(), helperEnv+"="+sock, helperModeEnv+"="+mode)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	h := &helperPlugin{cmd: cmd, lines: bufio.NewScanner(out)}
	h.expect(t, "listening")
	return h
}

// expect waits (boundedly) for the helper to print line.
func (h *helperPlugin) expect(t *testing.T, line string) {
	t.Helper()
	got := make(chan string, 1)
	go func() {
		for h.lines.Scan() {
			if s := h.lines.Text(); s == line || strings.HasPrefix(s, "listen:") {
				got <- s
				return
			}
		}
		got <- "exited"
	}()
	select {
	case s := <-got:
		require.Equal(t, line, s, "helper plugin process")
	case <-time.After(20 * time.Second):
		t.Fatalf("helper plugin process did not say %q", line)
	}
}

// A plugin process is killed (SIGKILL) while it reads a call's body and is
// restarted on the same socket: the call is retried and the new process
// receives the whole body, once, in the attempt that succeeds.
func TestFaultPluginKilledMidCall(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	sock := filepath.Join(testkit.ShortDir(t), "p.sock")
	first := startHelperPlugin(t, sock, "stall")

	// The restart happens during the first back-off wait, so the retry
	// finds the new process.
	clk := newFakeClock()
	clk.onSleep = func(n int) {
		if n == 1 {
			startHelperPlugin(t, sock, "serve")
		}
	}
	var seen retries
	c := testClient(t, "unix://"+sock, tlsconfig.Options{}, withClock(clk), WithRetryObserver(seen.observe))

	payload := strings.Repeat("0123456789abcdef", 256<<10) // 4 MiB: far more than socket buffers hold
	want, err := encodeJSON(payload)
	require.NoError(t, err)
	wantSum := sha256.Sum256(want)

	done := make(chan error, 1)
	var ans uploadAnswer
	go func() { done <- c.Call("Upload.Put", payload, &ans) }()

	first.expect(t, "partial")
	require.NoError(t, first.cmd.Process.Signal(syscall.SIGKILL))
	_ = first.cmd.Wait()

	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(30 * time.Second):
		t.Fatal("the call did not end")
	}
	assert.Equal(t, uploadAnswer{Len: len(want), Sum: hex.EncodeToString(wantSum[:]), Count: 1}, ans,
		"the restarted plugin got the whole body, once")
	require.Len(t, seen.Events(), 1, "one retry: the attempt cut by the kill")
	t.Logf("cause of the retry: %v", seen.Events()[0].Err)
}

// A stale socket (the plugin crashed, its socket file remains): retries,
// then an error naming the plugin, its address and the last cause; a
// context or a request timeout ends the wait when told.
func TestFaultStaleSocket(t *testing.T) {
	e := newEnv(t)
	staleSocket(t, e.socket("stale"))
	addr := "unix://" + e.socket("stale")

	t.Run("budget spent", func(t *testing.T) {
		clk := newFakeClock()
		var seen retries
		s := e.store(withClock(clk), WithRetryObserver(seen.observe))
		_, err := s.Get("stale", "VolumeDriver")
		require.Error(t, err)
		assert.ErrorIs(t, err, syscall.ECONNREFUSED, "the last cause")
		for _, want := range []string{`"stale"`, addr, "Plugin.Activate", "gave up after 5 attempts"} {
			assert.Contains(t, err.Error(), want)
		}
		s1 := time.Second
		assert.Equal(t, []time.Duration{s1, 2 * s1, 4 * s1, 8 * s1}, clk.Sleeps())
		assert.Len(t, seen.Events(), 4)
	})
	t.Run("context", func(t *testing.T) {
		s := e.store(withClock(realClock{}))
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := s.GetContext(ctx, "stale", "VolumeDriver")
		require.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Contains(t, err.Error(), `"stale"`)
		assert.Less(t, time.Since(start), 950*time.Millisecond, "ended in the first 1s back-off wait")
	})
	t.Run("WithRequestTimeout", func(t *testing.T) {
		c, err := NewClientWithOptions(addr, tlsconfig.Options{}, WithLogger(testkit.QuietLogger()))
		require.NoError(t, err)
		start := time.Now()
		err = c.CallWithOptions("VolumeDriver.Create", nil, nil, WithRequestTimeout(200*time.Millisecond))
		require.ErrorIs(t, err, context.DeadlineExceeded)
		assert.ErrorIs(t, err, syscall.ECONNREFUSED, "and says what it was waiting for")
		assert.Contains(t, err.Error(), addr)
		assert.Less(t, time.Since(start), 950*time.Millisecond)
	})
}

// Servers that close connections: one whose keep-alive connections time
// out almost at once, one that answers every request with Connection:
// close. Thousands of calls, sequential and concurrent: no error, no
// back-off wait, and each call reaches the plugin exactly once.
func TestFaultServerClosesConnections(t *testing.T) {
	tests := []struct {
		name      string
		configure func(*http.Server)
		close     bool
	}{
		{"short IdleTimeout", func(s *http.Server) { s.IdleTimeout = 500 * time.Microsecond }, false},
		{"Connection: close", nil, true},
	}
	const sequential, goroutines, perGoroutine = 1000, 8, 125
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var served atomic.Int64
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				served.Add(1)
				if tt.close {
					w.Header().Set("Connection", "close")
				}
				echo(w, r)
			})
			sock := filepath.Join(testkit.ShortDir(t), "p.sock")
			var configure []func(*http.Server)
			if tt.configure != nil {
				configure = append(configure, tt.configure)
			}
			serveUnix(t, sock, h, configure...)
			var seen retries
			// Real clock, 1ms waits: a retry would cost little, and is counted.
			c, err := NewClientWithOptions("unix://"+sock, tlsconfig.Options{}, WithLogger(testkit.QuietLogger()),
				WithBackoff(func(int) time.Duration { return time.Millisecond }), WithRetryObserver(seen.observe))
			require.NoError(t, err)
			t.Cleanup(c.CloseIdleConnections)

			call := func(i int) error {
				var out echoArgs
				if err := c.Call("Echo.Echo", echoArgs{"n", i}, &out); err != nil {
					return err
				}
				if out.N != i {
					return fmt.Errorf("call %d answered %d", i, out.N)
				}
				return nil
			}
			var errs atomic.Int64
			for i := 0; i < sequential; i++ {
				if !assert.NoError(t, call(i)) {
					errs.Add(1)
				}
			}
			var wg sync.WaitGroup
			for g := 0; g < goroutines; g++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; i < perGoroutine; i++ {
						if !assert.NoError(t, call(g*perGoroutine+i)) {
							errs.Add(1)
						}
					}
				}()
			}
			wg.Wait()
			calls := int64(sequential + goroutines*perGoroutine)
			assert.Zero(t, errs.Load())
			assert.Equal(t, calls, served.Load(), "no call was sent twice")
			// A connection the plugin closed while idle is replaced at once:
			// no back-off (1s by default) for the call that finds it closed.
			// One it closes as a request goes out is sent again at once,
			// which the observer sees with no wait.
			for _, ev := range seen.Events() {
				assert.Zero(t, ev.Wait, "a call waited for a back-off: %+v", ev)
			}
		})
	}
}

// A hung plugin (accepts, reads, never answers): a request timeout and a
// context end calls to it, while lookups and calls of other plugins, and
// other calls to a plugin with a hung call, go on undelayed.
func TestFaultHungPluginDoesNotBlockOthers(t *testing.T) {
	e := newEnv(t)
	hung := testkit.ServeRawSocket(t, e.socket("hung"), testkit.Hang)
	release := make(chan struct{})
	var stuck atomic.Int32
	slow := newFakePlugin("VolumeDriver").on("/VolumeDriver.Hang", func(w http.ResponseWriter, r *http.Request) {
		stuck.Add(1)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}).on("/Echo.Echo", echo)
	serveUnix(t, e.socket("slow"), slow)
	t.Cleanup(func() { close(release) })
	const others = 6
	for i := 0; i < others; i++ {
		serveUnix(t, e.socket(fmt.Sprint("p", i)), newFakePlugin("VolumeDriver").on("/Echo.Echo", echo))
	}
	s := e.store(withClock(realClock{}))
	slowPlugin, err := s.Get("slow", "VolumeDriver")
	require.NoError(t, err)

	const hangFor = 2 * time.Second
	var pending sync.WaitGroup
	hungErrs := make(chan error, 5)
	pending.Add(1)
	go func() { // activation of the hung plugin, bounded by a context
		defer pending.Done()
		ctx, cancel := context.WithTimeout(context.Background(), hangFor)
		defer cancel()
		_, err := s.GetContext(ctx, "hung", "VolumeDriver")
		hungErrs <- err
	}()
	for i := 0; i < 4; i++ { // calls to a plugin that hangs on one method
		pending.Add(1)
		go func() {
			defer pending.Done()
			hungErrs <- slowPlugin.Client.CallWithOptions("VolumeDriver.Hang", nil, nil, WithRequestTimeout(hangFor))
		}()
	}
	start := time.Now()
	require.Eventually(t, func() bool { return hung.Requests() >= 1 && stuck.Load() >= 4 }, 5*time.Second, time.Millisecond)

	// Everything else completes while those are stuck.
	for i := 0; i < others; i++ {
		p, err := s.Get(fmt.Sprint("p", i), "VolumeDriver")
		require.NoError(t, err)
		var out echoArgs
		require.NoError(t, p.Client.Call("Echo.Echo", echoArgs{"x", i}, &out))
		assert.Equal(t, i, out.N)
		p.Client.CloseIdleConnections()
	}
	require.NoError(t, slowPlugin.Client.Call("Echo.Echo", echoArgs{}, nil))
	assert.Len(t, hungErrs, 0, "done while the hung calls still wait")

	pending.Wait()
	assert.Less(t, time.Since(start), hangFor+3*time.Second, "which end when told")
	close(hungErrs)
	for err := range hungErrs {
		assert.ErrorIs(t, err, context.DeadlineExceeded)
	}
	slowPlugin.Client.CloseIdleConnections()
}

// dropAfter serves h, but reads only the first n bytes of the first
// request's body, then drops the connection: a plugin that died mid-read.
func dropAfter(n int64, h http.Handler) (http.Handler, *atomic.Int32) {
	var seen atomic.Int32
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if seen.Add(1) == 1 {
			_, _ = io.CopyN(io.Discard, r.Body, n)
			if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
				if uc, ok := conn.(*net.UnixConn); ok {
					_ = uc.CloseRead() // the client's writes fail at once, as when the plugin crashes
				}
				conn.Close()
			}
			return
		}
		h.ServeHTTP(w, r)
	}), &seen
}

// digest answers with the length and SHA-256 of the request body.
func digest(w http.ResponseWriter, r *http.Request) {
	sum := sha256.New()
	n, _ := io.Copy(sum, r.Body)
	_ = json.NewEncoder(w).Encode(uploadAnswer{Len: int(n), Sum: hex.EncodeToString(sum.Sum(nil)), Count: 1})
}

// readSeeker hides every method of its reader but Read and Seek, so that
// SendFile knows neither its type nor its length.
type readSeeker struct{ io.ReadSeeker }

// SendFile after part of the body was sent: a reader that cannot be
// rewound is not resent (a truncated body would pass for a whole one);
// one that can be is rewound to where it started and resent whole.
func TestFaultSendFileAfterAPartialSend(t *testing.T) {
	payload := bytes.Repeat([]byte("sendfile"), 128<<10) // 1 MiB
	tests := []struct {
		name   string
		reader func(t *testing.T) io.Reader
		resent bool
	}{
		{"pipe", func(*testing.T) io.Reader {
			pr, pw := io.Pipe()
			go func() { _, _ = pw.Write(payload); pw.Close() }()
			return pr
		}, false},
		{"reader without Seek", func(*testing.T) io.Reader { return struct{ io.Reader }{bytes.NewReader(payload)} }, false},
		{"seeker", func(*testing.T) io.Reader { return readSeeker{bytes.NewReader(payload)} }, true},
		{"file", func(t *testing.T) io.Reader {
			path := filepath.Join(testkit.ShortDir(t), "body")
			require.NoError(t, os.WriteFile(path, payload, 0o600))
			f, err := os.Open(path)
			require.NoError(t, err)
			return f
		}, true},
		{"file read from an offset", func(t *testing.T) io.Reader {
			path := filepath.Join(testkit.ShortDir(t), "body")
			require.NoError(t, os.WriteFile(path, append([]byte("HEADER"), payload...), 0o600))
			f, err := os.Open(path)
			require.NoError(t, err)
			_, err = f.Seek(6, io.SeekStart)
			require.NoError(t, err)
			return f
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var completed atomic.Int32
			h, seen := dropAfter(64<<10, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				completed.Add(1)
				digest(w, r)
			}))
			sock := filepath.Join(testkit.ShortDir(t), "p.sock")
			serveUnix(t, sock, h)
			var retried retries
			c := testClient(t, "unix://"+sock, tlsconfig.Options{}, WithRetryObserver(retried.observe))

			var ans uploadAnswer
			err := c.SendFile("Upload.Put", tt.reader(t), &ans)
			if !tt.resent {
				require.Error(t, err)
				assert.Contains(t, err.Error(), "cannot be rewound")
				assert.Contains(t, err.Error(), "Upload.Put")
				assert.Empty(t, retried.Events())
				assert.EqualValues(t, 1, seen.Load(), "nothing is resent")
				assert.Zero(t, completed.Load())
				return
			}
			require.NoError(t, err)
			sum := sha256.Sum256(payload)
			assert.Equal(t, uploadAnswer{Len: len(payload), Sum: hex.EncodeToString(sum[:]), Count: 1}, ans)
			assert.Len(t, retried.Events(), 1)
			assert.EqualValues(t, 1, completed.Load())
		})
	}
}

// TLS verification failures, with the default budgets and the real clock:
// a clear error at once, through a spec file and through a bare client,
// and no retry.
func TestFaultTLSFailuresAreReportedAtOnce(t *testing.T) {
	dir := testkit.ShortDir(t)
	pki := testkit.NewCA(t, dir)
	other := testkit.NewCA(t, testkit.ShortDir(t))
	h := newFakePlugin("VolumeDriver")

	expired := pki.ServerConfig()
	expired.Certificates = []tls.Certificate{pki.Expired()}
	misnamed := pki.ServerConfig()
	misnamed.Certificates = []tls.Certificate{pki.Issue("other.example")}

	tests := []struct {
		name    string
		addr    string
		caFile  string
		wantErr string
	}{
		{"unknown CA", serveTLS(t, h, pki.ServerConfig()), other.File(), "certificate signed by unknown authority"},
		{"wrong host name", "localhost:" + port(serveTLS(t, h, misnamed)), pki.File(), "certificate is valid for other.example, not localhost"},
		{"expired", serveTLS(t, h, expired), pki.File(), "certificate has expired"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			addr := "https://" + tt.addr
			writeFile(t, filepath.Join(e.specs[0], "secure.json"),
				fmt.Sprintf(`{"Addr": %q, "TLSConfig": {"CAFile": %q}}`, addr, tt.caFile))
			var seen retries
			s := NewStore(e.registry(), WithLogger(testkit.QuietLogger()), WithRetryObserver(seen.observe))

			start := time.Now()
			_, err := s.Get("secure", "VolumeDriver")
			require.Error(t, err)
			for _, want := range []string{tt.wantErr, `"secure"`, addr, "Plugin.Activate"} {
				assert.Contains(t, err.Error(), want)
			}

			c, err := NewClientWithOptions(addr, tlsconfig.Options{CAFile: tt.caFile},
				WithLogger(testkit.QuietLogger()), WithRetryObserver(seen.observe))
			require.NoError(t, err)
			err = c.Call("VolumeDriver.Get", nil, nil)
			require.ErrorContains(t, err, tt.wantErr)
			assert.Contains(t, err.Error(), addr)

			assert.Less(t, time.Since(start), 5*time.Second, "far less than a retry budget")
			assert.Empty(t, seen.Events(), "not retried")
		})
	}
}

// Handlers registered while Gets and GetAlls run over a directory where
// some plugins are down (stale sockets, a hung plugin): no deadlock, no
// race, each handler runs once per live plugin and never for the others.
func TestFaultHandleRacingWithGetAll(t *testing.T) {
	e := newEnv(t)
	const live, handlers = 6, 8
	for i := 0; i < live; i++ {
		serveUnix(t, e.socket(fmt.Sprint("live", i)), newFakePlugin("VolumeDriver"))
	}
	for i := 0; i < 3; i++ {
		staleSocket(t, e.socket(fmt.Sprint("stale", i)))
	}
	testkit.ServeRawSocket(t, e.socket("hung"), testkit.Hang)
	// Real clock, short budgets: a dead plugin costs about 100ms.
	s := e.store(withClock(realClock{}), WithGetAllTimeout(100*time.Millisecond),
		WithBackoff(func(int) time.Duration { return 10 * time.Millisecond }), WithCallRetryBudget(50*time.Millisecond))

	var mu sync.Mutex
	runs := map[string]int{}
	var wg sync.WaitGroup
	for h := 0; h < handlers; h++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			time.Sleep(time.Duration(h) * 5 * time.Millisecond) // spread over the Gets
			s.Handle("VolumeDriver", func(name string, _ *Client) {
				mu.Lock()
				runs[fmt.Sprint(h, "/", name)]++
				mu.Unlock()
			})
		}()
	}
	for g := 0; g < 4; g++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for i := 0; i < 3; i++ {
				all, err := s.GetAll("VolumeDriver")
				assert.NoError(t, err)
				for _, p := range all {
					assert.Contains(t, p.Name, "live")
				}
			}
		}()
		go func() {
			defer wg.Done()
			for i := 0; i < 2*live; i++ {
				name := fmt.Sprint("live", (i+g)%live)
				if i%3 == 0 {
					name = fmt.Sprint("stale", i%3)
				}
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				_, err := s.GetContext(ctx, name, "VolumeDriver")
				cancel()
				if strings.HasPrefix(name, "live") {
					assert.NoError(t, err)
				} else {
					assert.Error(t, err)
				}
			}
		}()
	}
	finished := make(chan struct{})
	go func() { wg.Wait(); close(finished) }()
	select {
	case <-finished:
	case <-time.After(20 * time.Second):
		buf := make([]byte, 1<<20)
		t.Fatalf("deadlock:\n%s", buf[:runtime.Stack(buf, true)])
	}
	for i := 0; i < live; i++ { // every live plugin catches up with every handler
		_, err := s.Get(fmt.Sprint("live", i), "VolumeDriver")
		require.NoError(t, err)
	}
	all, err := s.GetAll("VolumeDriver")
	require.NoError(t, err)
	require.Len(t, all, live)
	mu.Lock()
	defer mu.Unlock()
	assert.Len(t, runs, handlers*live)
	for k, n := range runs {
		assert.Equal(t, 1, n, k)
		assert.Contains(t, k, "/live")
	}
	for _, p := range all {
		p.Client.CloseIdleConnections()
	}
}
