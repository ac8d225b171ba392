//go:build unix

package plugins_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-dockerplugins/plugins"
	"github.com/go-dockerplugins/plugins/internal/testkit"
	"github.com/go-dockerplugins/plugins/pluginstest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

var soakCalls = flag.Int("soak", 0, "run the soak test with this many calls (e.g. 1000000) instead of its short form")

// faultCounts counts the faults the soak's plugins inject.
type faultCounts struct {
	fail, delay, drop, restart atomic.Int64
}

func (f *faultCounts) total() int64 {
	return f.fail.Load() + f.delay.Load() + f.drop.Load() + f.restart.Load()
}

// flakyPlugin is a plugin on a UNIX socket that randomly fails calls with
// an error answer, delays them, drops their connection after reading the
// request, and restarts (closing every connection, in-flight calls
// included) whenever told. Unlike pluginstest's, it keeps no record of
// the requests: the long soak makes millions.
type flakyPlugin struct {
	t      *testing.T
	path   string
	faults *faultCounts
	mu     sync.Mutex
	srv    *testkit.Server
}

func (p *flakyPlugin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/Plugin.Activate" {
		_, _ = io.WriteString(w, `{"Implements": ["VolumeDriver"]}`)
		return
	}
	switch n := rand.IntN(100); {
	case n < 2:
		p.faults.fail.Add(1)
		http.Error(w, `{"Err": "injected failure"}`, http.StatusInternalServerError)
		return
	case n < 4:
		p.faults.delay.Add(1)
		time.Sleep(time.Duration(rand.IntN(5000)) * time.Microsecond)
	case n < 5:
		p.faults.drop.Add(1)
		_, _ = io.Copy(io.Discard, r.Body)
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			conn.Close()
		}
		return
	}
	testkit.Echo(w, r)
}

// start listens on the plugin's socket and serves.
func (p *flakyPlugin) start() error {
	l, err := net.Listen("unix", p.path)
	if err != nil {
		return err
	}
	srv := testkit.Serve(p.t, l, p)
	p.mu.Lock()
	p.srv = srv
	p.mu.Unlock()
	return nil
}

// stop closes the listener (removing the socket) and every connection.
func (p *flakyPlugin) stop() {
	p.mu.Lock()
	srv := p.srv
	p.mu.Unlock()
	srv.Close()
}

// openFDs counts the process's open file descriptors, or returns -1 where
// /proc/self/fd does not list them.
func openFDs() int {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	return len(entries)
}

// The soak: many goroutines call plugins that randomly fail, delay, drop
// connections and restart. Every call ends, with the right answer or an
// error; goroutines and file descriptors come back to where they were.
// Its short form runs by default; -soak N makes N calls. Not parallel: it
// counts goroutines and file descriptors.
func TestSoak(t *testing.T) {
	calls, goroutines, restartEvery := 3000, 32, 25*time.Millisecond
	if *soakCalls > 0 {
		calls = *soakCalls
	} else if testing.Short() {
		calls = 1000
	}
	const count = 4

	runtime.GC()
	baseFDs := openFDs()
	// Registered first, so it runs last, once the plugins are stopped.
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) })

	env := pluginstest.New(t)
	var faults faultCounts
	flaky := make([]*flakyPlugin, count)
	for i := range flaky {
		flaky[i] = &flakyPlugin{t: t, path: filepath.Join(env.SocketsDir(), fmt.Sprint("flaky", i, ".sock")), faults: &faults}
		require.NoError(t, flaky[i].start())
	}
	// Restarts, one plugin at a time, each down for a moment.
	stopRestarts := make(chan struct{})
	restarts := make(chan error, 1)
	go func() {
		tick := time.NewTicker(restartEvery)
		defer tick.Stop()
		for i := 0; ; i++ {
			select {
			case <-stopRestarts:
				restarts <- nil
				return
			case <-tick.C:
			}
			p := flaky[i%count]
			p.stop()
			faults.restart.Add(1)
			time.Sleep(time.Millisecond)
			if err := p.start(); err != nil {
				restarts <- err
				return
			}
		}
	}()

	// Real clock, 1ms waits: a call outlives any restart. The budgets are
	// generous so that a loaded machine does not turn slowness into errors.
	var retried atomic.Int64
	s := plugins.NewStore(env.Registry(), plugins.WithLogger(testkit.QuietLogger()),
		plugins.WithBackoff(func(int) time.Duration { return time.Millisecond }),
		plugins.WithCallRetryBudget(20*time.Second), plugins.WithLookupRetryBudget(20*time.Second),
		plugins.WithRetryObserver(func(plugins.RetryEvent) { retried.Add(1) }))

	var (
		next, ok, injected, other, wrong atomic.Int64
		mu                               sync.Mutex
		samples                          []error
	)
	start := time.Now()
	var wg sync.WaitGroup
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(calls) {
					return
				}
				err := soakCall(s, fmt.Sprint("flaky", i%count), int(i))
				var se *plugins.StatusError
				switch {
				case err == nil:
					ok.Add(1)
					continue
				case errors.Is(err, errWrongAnswer):
					wrong.Add(1)
				case errors.As(err, &se) && se.StatusCode == http.StatusInternalServerError:
					injected.Add(1)
					continue
				default:
					other.Add(1)
				}
				mu.Lock()
				if len(samples) < 5 {
					samples = append(samples, err)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(stopRestarts)
	require.NoError(t, <-restarts)
	for _, p := range flaky {
		p.stop()
	}
	require.NoError(t, s.Close()) // its clients' connections

	// Every call ended, one way or the other, and only as it should.
	assert.Equal(t, int64(calls), ok.Load()+injected.Load()+other.Load()+wrong.Load())
	assert.Zero(t, wrong.Load(), "answers given to the wrong call: %v", samples)
	assert.Zero(t, other.Load(), "errors other than the injected ones: %v", samples)
	assert.Positive(t, ok.Load())
	for _, n := range []*atomic.Int64{&faults.fail, &faults.delay, &faults.drop, &faults.restart} {
		assert.Positive(t, n.Load(), "every kind of fault was injected")
	}

	// Nothing leaked: descriptors settle back (goleak checks goroutines
	// once the plugins are stopped).
	var fdsNow int
	settled := func() bool {
		runtime.GC()
		fdsNow = openFDs()
		return fdsNow <= baseFDs
	}
	deadline := time.Now().Add(5 * time.Second)
	for !settled() && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if baseFDs >= 0 {
		assert.LessOrEqual(t, fdsNow, baseFDs, "file descriptors leaked")
	}
	t.Logf("soak: %d calls by %d goroutines to %d plugins in %v (%.0f calls/s): %d succeeded, %d failed with an injected error, %d other errors, %d wrong answers",
		calls, goroutines, count, elapsed.Round(time.Millisecond), float64(calls)/elapsed.Seconds(),
		ok.Load(), injected.Load(), other.Load(), wrong.Load())
	t.Logf("soak: faults injected: %d (%d error answers, %d delays, %d dropped connections, %d restarts); %d retries",
		faults.total(), faults.fail.Load(), faults.delay.Load(), faults.drop.Load(), faults.restart.Load(), retried.Load())
	t.Logf("soak: leaks: %d file descriptors (%d before, %d after); goroutines are checked once the plugins stop",
		max(fdsNow-baseFDs, 0), baseFDs, fdsNow)
}

var errWrongAnswer = errors.New("wrong answer")

// soakCall gets the plugin and makes one call, checking that the answer is
// this call's.
func soakCall(s *plugins.Store, name string, i int) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	p, err := s.GetContext(ctx, name, "VolumeDriver")
	if err != nil {
		return err
	}
	var out echoArgs
	if err := p.Client.CallContext(ctx, "VolumeDriver.Echo", echoArgs{name, i}, &out); err != nil {
		return err
	}
	if out != (echoArgs{name, i}) {
		return fmt.Errorf("%w: call %d to %s answered %+v", errWrongAnswer, i, name, out)
	}
	return nil
}
