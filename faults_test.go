//go:build unix

package plugins_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
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
	"github.com/go-dockerplugins/plugins"
	"github.com/go-dockerplugins/plugins/internal/testkit"
	"github.com/go-dockerplugins/plugins/pluginstest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Fault tests: real servers and processes, bounded time throughout. Those
// whose schedule is checked on the fake clock are in faults_internal_test.go.

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
	t.Parallel()
	if testing.Short() {
		t.Skip("starts processes")
	}
	sock := filepath.Join(testkit.ShortDir(t), "p.sock")
	first := startHelperPlugin(t, sock, "stall")

	// The first retry waits until the test has restarted the plugin, so
	// that it finds the new process. The engine's budget: starting a
	// process may take longer than the environment's 1s.
	restart, restarted := make(chan struct{}), make(chan struct{})
	var seen testkit.Log[plugins.RetryEvent]
	c := newClient(t, "unix://"+sock, tlsconfig.Options{}, plugins.WithCallRetryBudget(plugins.DefaultRetryBudget),
		plugins.WithRetryObserver(func(ev plugins.RetryEvent) {
			seen.Add(ev)
			if ev.Attempt == 1 {
				restart <- struct{}{}
				<-restarted
			}
		}))

	payload := strings.Repeat("0123456789abcdef", 256<<10) // 4 MiB: far more than socket buffers hold
	var want bytes.Buffer
	require.NoError(t, json.NewEncoder(&want).Encode(payload)) // as the client encodes it
	wantSum := sha256.Sum256(want.Bytes())

	done := make(chan error, 1)
	var ans uploadAnswer
	go func() { done <- c.Call("Upload.Put", payload, &ans) }()

	first.expect(t, "partial")
	require.NoError(t, first.cmd.Process.Signal(syscall.SIGKILL))
	_ = first.cmd.Wait()
	select {
	case <-restart:
	case err := <-done:
		t.Fatalf("the call ended without a retry: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("the call was not retried")
	}
	startHelperPlugin(t, sock, "serve")
	close(restarted)

	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(30 * time.Second):
		t.Fatal("the call did not end")
	}
	assert.Equal(t, uploadAnswer{Len: want.Len(), Sum: hex.EncodeToString(wantSum[:]), Count: 1}, ans,
		"the restarted plugin got the whole body, once")
	require.Len(t, seen.All(), 1, "one retry: the attempt cut by the kill")
	t.Logf("cause of the retry: %v", seen.All()[0].Err)
}

// A stale socket (the plugin crashed, its socket file remains): a context
// or a request timeout ends the wait when told, with the real clock. Its
// retries until the budget is spent are in faults_internal_test.go.
func TestFaultStaleSocket(t *testing.T) {
	t.Parallel()
	env := pluginstest.New(t)
	addr := "unix://" + env.StaleSocket("stale")

	t.Run("context", func(t *testing.T) {
		t.Parallel()
		s := plugins.NewStore(env.Registry(), plugins.WithLogger(testkit.QuietLogger()))
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := s.GetContext(ctx, "stale", "VolumeDriver")
		require.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Contains(t, err.Error(), `"stale"`)
		assert.Less(t, time.Since(start), 950*time.Millisecond, "ended in the first 1s back-off wait")
	})
	t.Run("WithRequestTimeout", func(t *testing.T) {
		t.Parallel()
		c, err := plugins.NewClientWithOptions(addr, tlsconfig.Options{}, plugins.WithLogger(testkit.QuietLogger()))
		require.NoError(t, err)
		start := time.Now()
		err = c.CallWithOptions("VolumeDriver.Create", nil, nil, plugins.WithRequestTimeout(200*time.Millisecond))
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
	t.Parallel()
	tests := []struct {
		name      string
		configure func(*http.Server)
		close     bool
	}{
		{"short IdleTimeout", func(s *http.Server) { s.IdleTimeout = 500 * time.Microsecond }, false},
		{"Connection: close", func(*http.Server) {}, true},
	}
	const sequential, goroutines, perGoroutine = 1000, 8, 125
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var served atomic.Int64
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				served.Add(1)
				if tt.close {
					w.Header().Set("Connection", "close")
				}
				testkit.Echo(w, r)
			})
			srv := testkit.ServeSocket(t, testkit.SocketPath(t, "p"), h, tt.configure)
			var seen testkit.Log[plugins.RetryEvent]
			// Real clock, 1ms waits: a retry would cost little, and is counted.
			c, err := plugins.NewClientWithOptions(srv.Addr(), tlsconfig.Options{}, plugins.WithLogger(testkit.QuietLogger()),
				plugins.WithBackoff(func(int) time.Duration { return time.Millisecond }), plugins.WithRetryObserver(seen.Add))
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
			for _, ev := range seen.All() {
				assert.Zero(t, ev.Wait, "a call waited for a back-off: %+v", ev)
			}
		})
	}
}

// A hung plugin (accepts, reads, never answers): a request timeout and a
// context end calls to it, while lookups and calls of other plugins, and
// other calls to a plugin with a hung call, go on undelayed.
func TestFaultHungPluginDoesNotBlockOthers(t *testing.T) {
	t.Parallel()
	env := pluginstest.New(t)
	hung := env.ServeRaw("hung", pluginstest.RawFunc(testkit.Hang))
	var stuck atomic.Int32
	env.ServeSocket("slow", "VolumeDriver").
		HandleFunc("VolumeDriver.Hang", func(w http.ResponseWriter, r *http.Request) {
			stuck.Add(1)
			<-r.Context().Done() // until the call gives up, or the plugin stops
		}).
		Handle("Echo.Echo", echo)
	const others = 6
	for i := 0; i < others; i++ {
		env.ServeSocket(fmt.Sprint("p", i), "VolumeDriver").Handle("Echo.Echo", echo)
	}
	s := plugins.NewStore(env.Registry(), plugins.WithLogger(testkit.QuietLogger()))
	slowPlugin, err := s.Get("slow", "VolumeDriver")
	require.NoError(t, err)

	// Far longer than the rest takes (a few milliseconds), even under -race
	// on a loaded machine.
	const hangFor = 500 * time.Millisecond
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
			hungErrs <- slowPlugin.Client.CallWithOptions("VolumeDriver.Hang", nil, nil, plugins.WithRequestTimeout(hangFor))
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
func dropAfter(n int64, h http.Handler) http.Handler {
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
	})
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
	t.Parallel()
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
			t.Parallel()
			var completed atomic.Int32
			srv := testkit.ServeSocket(t, testkit.SocketPath(t, "p"), dropAfter(64<<10, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				completed.Add(1)
				digest(w, r)
			})))
			var retried testkit.Log[plugins.RetryEvent]
			c := newClient(t, srv.Addr(), tlsconfig.Options{}, plugins.WithRetryObserver(retried.Add))

			var ans uploadAnswer
			err := c.SendFile("Upload.Put", tt.reader(t), &ans)
			if !tt.resent {
				require.Error(t, err)
				assert.Contains(t, err.Error(), "cannot be rewound")
				assert.Contains(t, err.Error(), "Upload.Put")
				assert.Empty(t, retried.All())
				assert.Equal(t, 1, srv.Conns(), "nothing is resent")
				assert.Zero(t, completed.Load())
				return
			}
			require.NoError(t, err)
			sum := sha256.Sum256(payload)
			assert.Equal(t, uploadAnswer{Len: len(payload), Sum: hex.EncodeToString(sum[:]), Count: 1}, ans)
			assert.Len(t, retried.All(), 1)
			assert.EqualValues(t, 1, completed.Load())
		})
	}
}

// Handlers registered while Gets and GetAlls run over a directory where
// some plugins are down (stale sockets, a hung plugin): no deadlock, no
// race, each handler runs once per live plugin and never for the others.
func TestFaultHandleRacingWithGetAll(t *testing.T) {
	t.Parallel()
	env := pluginstest.New(t)
	const live, handlers = 6, 8
	for i := 0; i < live; i++ {
		env.ServeSocket(fmt.Sprint("live", i), "VolumeDriver")
	}
	for i := 0; i < 3; i++ {
		env.StaleSocket(fmt.Sprint("stale", i))
	}
	env.ServeRaw("hung", pluginstest.RawFunc(testkit.Hang))
	// Real clock, short budgets: a dead plugin costs about 100ms.
	s := plugins.NewStore(env.Registry(), plugins.WithLogger(testkit.QuietLogger()), plugins.WithGetAllTimeout(100*time.Millisecond),
		plugins.WithBackoff(func(int) time.Duration { return 10 * time.Millisecond }), plugins.WithCallRetryBudget(50*time.Millisecond))

	var mu sync.Mutex
	runs := map[string]int{}
	var wg sync.WaitGroup
	for h := 0; h < handlers; h++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			time.Sleep(time.Duration(h) * 5 * time.Millisecond) // spread over the Gets
			s.Handle("VolumeDriver", func(name string, _ *plugins.Client) {
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
