// Package bench compares the plugin client of this module with the
// engine's (github.com/docker/docker/pkg/plugins), with a tuned
// net/http.Transport (for calls and streams) and with a raw baseline, on
// the same workloads in the same run. Run ./run for benchstat tables.
package bench

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/go-dockerplugins/plugins/bench/internal/pluginserver"
)

// serverEnv, when set, makes the test binary run the plugin server in the
// directory it names instead of the benchmarks.
const serverEnv = "PLUGINS_BENCH_SERVER_DIR"

// serverDir holds the server's sockets.
var serverDir string

func TestMain(m *testing.M) {
	if dir := os.Getenv(serverEnv); dir != "" {
		fmt.Fprintln(os.Stderr, pluginserver.Run(dir))
		os.Exit(1)
	}
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "plb")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	serverDir = dir

	// The engine finds spec files only in fixed directories, or, under
	// RootlessKit, in $HOME/.local/lib/docker/plugins: point that at
	// directories of our own (see withSpecs) rather than the machine's.
	os.Setenv("ROOTLESSKIT_STATE_DIR", dir)
	os.Setenv("HOME", filepath.Join(dir, "home"))

	srv := exec.Command(os.Args[0])
	srv.Env = append(os.Environ(), serverEnv+"="+dir)
	srv.Stderr = os.Stderr
	if err := srv.Start(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() {
		_ = srv.Process.Kill()
		_ = srv.Wait()
	}()
	for _, s := range []string{pluginserver.HTTPSocket, pluginserver.RawSocket} {
		if err := waitForSocket(filepath.Join(dir, s)); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	return m.Run()
}

func waitForSocket(path string) error {
	for start := time.Now(); time.Since(start) < 10*time.Second; time.Sleep(10 * time.Millisecond) {
		if fi, err := os.Stat(path); err == nil && fi.Mode().Type() == os.ModeSocket {
			return nil
		}
	}
	return fmt.Errorf("plugin server: %s did not appear", path)
}

func httpSocket() string { return filepath.Join(serverDir, pluginserver.HTTPSocket) }

// cpuTime is the CPU time, user and system, this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// measureCPU starts the benchmark's timer and returns a function that
// reports the client's CPU time per operation as cpu-ns/op.
func measureCPU(b *testing.B) func() {
	b.ReportAllocs()
	b.ResetTimer()
	start := cpuTime()
	return func() {
		b.StopTimer()
		b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
	}
}
