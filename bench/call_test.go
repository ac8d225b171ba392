package bench

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"

	engine "github.com/docker/docker/pkg/plugins"
	"github.com/docker/go-connections/tlsconfig"
	"github.com/go-dockerplugins/plugins"
	"github.com/go-dockerplugins/plugins/bench/internal/pluginserver"
)

// A call like a volume driver's Mount: small JSON both ways.
type mountRequest struct{ Name, ID string }
type mountResponse struct{ Mountpoint, Err string }

var mountArgs = mountRequest{Name: "data", ID: "c1"}

// caller makes one call; newCaller returns the caller a goroutine uses
// (a shared client, or a connection of its own for the raw baseline).
type newCaller func(b *testing.B) func() error

var callers = []struct {
	name string
	new  func(b *testing.B) newCaller
}{
	{"engine", func(b *testing.B) newCaller {
		c, err := engine.NewClient("unix://"+httpSocket(), &tlsconfig.Options{InsecureSkipVerify: true})
		if err != nil {
			b.Fatal(err)
		}
		call := func() error {
			var out mountResponse
			return check(c.Call(pluginserver.Echo, mountArgs, &out), out)
		}
		return func(*testing.B) func() error { return call }
	}},
	{"lib", func(b *testing.B) newCaller {
		c, err := plugins.NewClient("unix://"+httpSocket(), tlsconfig.Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(c.CloseIdleConnections)
		call := func() error {
			var out mountResponse
			return check(c.Call(pluginserver.Echo, mountArgs, &out), out)
		}
		return func(*testing.B) func() error { return call }
	}},
	{"nethttp", func(b *testing.B) newCaller {
		c := newNetHTTP(b)
		call := func() error {
			var out mountResponse
			return check(c.call(pluginserver.Echo, mountArgs, &out), out)
		}
		return func(*testing.B) func() error { return call }
	}},
	{"lib-observed", func(b *testing.B) newCaller {
		// lib with a call observer as a daemon would set one: the cost of
		// recording every call, against lib without.
		var calls, nanos atomic.Int64
		c, err := plugins.NewClientWithOptions("unix://"+httpSocket(), tlsconfig.Options{},
			plugins.WithCallObserver(func(info plugins.CallInfo) {
				calls.Add(1)
				nanos.Add(int64(info.Duration))
			}))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(c.CloseIdleConnections)
		call := func() error {
			var out mountResponse
			return check(c.Call(pluginserver.Echo, mountArgs, &out), out)
		}
		return func(*testing.B) func() error { return call }
	}},
	{"raw", func(*testing.B) newCaller { return newRawCaller }},
}

func check(err error, out mountResponse) error {
	if err == nil && out.Mountpoint != "/var/lib/bench/data" {
		err = fmt.Errorf("unexpected answer %+v", out)
	}
	return err
}

// BenchmarkCallSerial is the latency of one call after another.
func BenchmarkCallSerial(b *testing.B) {
	for _, c := range callers {
		b.Run("client="+c.name, func(b *testing.B) {
			call := c.new(b)(b)
			if err := call(); err != nil {
				b.Fatal(err)
			}
			done := measureCPU(b)
			for i := 0; i < b.N; i++ {
				if err := call(); err != nil {
					b.Fatal(err)
				}
			}
			done()
		})
	}
}

// BenchmarkCall32 is the time per call, that is the inverse of the
// throughput, of 32 goroutines calling at once.
func BenchmarkCall32(b *testing.B) {
	procs := runtime.GOMAXPROCS(0)
	for _, c := range callers {
		b.Run("client="+c.name, func(b *testing.B) {
			newCall := c.new(b)
			if err := newCall(b)(); err != nil {
				b.Fatal(err)
			}
			b.SetParallelism((32 + procs - 1) / procs)
			done := measureCPU(b)
			b.RunParallel(func(pb *testing.PB) {
				call := newCall(b)
				for pb.Next() {
					if err := call(); err != nil {
						b.Error(err)
						return
					}
				}
			})
			done()
		})
	}
}

// newRawCaller is the floor: the same request, JSON included, written by
// hand on a connection of its own, and the answer parsed by hand.
func newRawCaller(b *testing.B) func() error {
	conn, err := net.Dial("unix", httpSocket())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { conn.Close() })
	br := bufio.NewReader(conn)
	var req, body bytes.Buffer
	return func() error {
		body.Reset()
		if err := json.NewEncoder(&body).Encode(mountArgs); err != nil {
			return err
		}
		req.Reset()
		req.WriteString("POST /" + pluginserver.Echo + " HTTP/1.1\r\nHost: plugin.moby.localhost\r\nUser-Agent: Go-http-client/1.1\r\nContent-Length: ")
		req.WriteString(strconv.Itoa(body.Len()))
		req.WriteString("\r\nAccept: " + plugins.VersionMimetype + "\r\n\r\n")
		req.Write(body.Bytes())
		if _, err := conn.Write(req.Bytes()); err != nil {
			return err
		}
		length := -1
		for first := true; ; first = false {
			line, err := br.ReadSlice('\n')
			if err != nil {
				return err
			}
			if first && !bytes.HasPrefix(line, []byte("HTTP/1.1 200 ")) {
				return fmt.Errorf("unexpected status %q", line)
			}
			if len(line) <= 2 {
				break
			}
			if v, ok := bytes.CutPrefix(line, []byte("Content-Length: ")); ok {
				length, _ = strconv.Atoi(string(bytes.TrimSpace(v)))
			}
		}
		if length < 0 {
			return errors.New("answer without Content-Length")
		}
		data := make([]byte, length)
		if _, err := io.ReadFull(br, data); err != nil {
			return err
		}
		var out mountResponse
		return check(json.Unmarshal(data, &out), out)
	}
}
