//go:build unix

package plugins_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
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

// Hostile input: answers, spec files and names that a broken or malicious
// plugin, package or user may present.

// An answer of 1 GiB, as an error and as a success whose result is not
// wanted: the call returns at once, with a bounded prefix of the error, and
// neither memory nor the connection carry the gigabyte. Not parallel: it
// measures the heap.
func TestHostileHugeAnswers(t *testing.T) {
	const gib = 1 << 30
	tests := []struct {
		name   string
		status int
		prefix string
	}{
		{"error body", http.StatusInternalServerError, ""},
		{"JSON error body", http.StatusInternalServerError, `{"Err": "`},
		{"answer not decoded", http.StatusOK, `"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var written atomic.Int64
			chunk := []byte(strings.Repeat("e", 64<<10)) // not counted below
			p := pluginstest.New(t).ServeSocket("p").HandleFunc("X.Y", func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Length", fmt.Sprint(gib))
				w.WriteHeader(tt.status)
				n, _ := io.WriteString(w, tt.prefix)
				written.Add(int64(n))
				for written.Load() < gib {
					n, err := w.Write(chunk)
					written.Add(int64(n))
					if err != nil {
						return
					}
				}
			})
			c := newClient(t, p.Addr(), tlsconfig.Options{})
			var err error
			start := time.Now()
			grew := heapGrowth(func() { err = c.Call("X.Y", nil, nil) })
			elapsed := time.Since(start)

			if tt.status == http.StatusOK {
				require.NoError(t, err)
			} else {
				var se *plugins.StatusError
				require.ErrorAs(t, err, &se)
				assert.Equal(t, tt.status, se.StatusCode)
				assert.NotEmpty(t, se.Message)
				assert.LessOrEqual(t, len(se.Message), errorBound, "a bounded prefix")
				assert.True(t, strings.HasPrefix(tt.prefix+strings.Repeat("e", len(se.Message)), se.Message), "a prefix of the body")
			}
			// Well under 1 MiB, the plugin's side of the socket included.
			assert.Less(t, grew, uint64(512<<10), "allocated while reading a 1 GiB answer")
			assert.Less(t, elapsed, 10*time.Second)
			c.CloseIdleConnections()
			assert.Less(t, written.Load(), int64(64<<20), "the connection did not carry the gigabyte")
			t.Logf("allocated %d KiB; the plugin wrote %d KiB of 1 GiB", grew>>10, written.Load()>>10)
		})
	}
}

// Answers that are not the JSON asked for: an error naming the method and
// the plugin, sent once, never retried; also when it is the manifest.
func TestHostileUndecodableAnswers(t *testing.T) {
	t.Parallel()
	for _, body := range []string{
		`{"Name": "trunc`, `not json`, ``, `{"N": "not a number"}`, `[1, 2]`, "\x00\xff\xfe", `{"N": 1e999}`,
	} {
		t.Run(body, func(t *testing.T) {
			t.Parallel()
			env := pluginstest.New(t)
			answer := func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, body) }
			p := env.ServeSocket("p", "VolumeDriver").HandleFunc("X.Y", answer)
			var seen testkit.Log[plugins.RetryEvent]
			s := env.NewStore(plugins.WithRetryObserver(seen.Add))
			got, err := s.Get("p", "VolumeDriver")
			require.NoError(t, err)
			defer got.Client.CloseIdleConnections()

			var out echoArgs
			err = got.Client.Call("X.Y", nil, &out)
			require.ErrorContains(t, err, "decoding the answer")
			for _, want := range []string{"X.Y", `"p"`, p.Source()} {
				assert.Contains(t, err.Error(), want)
			}
			assert.Empty(t, seen.All())
			assert.Len(t, p.Requests(), 2, "activation and one call")

			// The same answer as a manifest.
			m := env.ServeSocket("m").HandleFunc("Plugin.Activate", answer)
			_, err = s.Get("m", "VolumeDriver")
			require.Error(t, err)
			assert.Contains(t, err.Error(), `"m"`)
			assert.Len(t, m.Requests(), 1)
		})
	}
	t.Run("trailing data after the answer", func(t *testing.T) {
		t.Parallel()
		// As in the engine: the first JSON value is the answer.
		p := pluginstest.New(t).ServeSocket("p").HandleFunc("X.Y", func(w http.ResponseWriter, _ *http.Request) {
			_, _ = io.WriteString(w, `{"N": 7} and then some`)
		})
		var out echoArgs
		require.NoError(t, newClient(t, p.Addr(), tlsconfig.Options{}).Call("X.Y", nil, &out))
		assert.Equal(t, 7, out.N)
	})
}

// A Content-Length that lies: longer than the body (and the connection
// closed, or left open), shorter than the body. The call ends, with an error
// where the answer is incomplete, within its timeout; the bytes beyond a
// short Content-Length never pass for the answer to the next call.
func TestHostileContentLengthLies(t *testing.T) {
	t.Parallel()
	const okAnswer = `{"Name":"whole","N":1}`
	tests := []struct {
		name     string
		response string
		keep     bool
		wantErr  string // "" means the call succeeds with okAnswer
	}{
		{"longer, truncated JSON, closed", "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"Name\":\"tru", false, "decoding the answer"},
		{"longer, truncated JSON, left open", "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"Name\":\"tru", true, "deadline exceeded"},
		{"shorter than the body", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n" + okAnswer, true, "decoding the answer"},
		{"error, longer, closed", "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 100\r\n\r\n{\"Err\":\"x", false, "X.Y: "},
		{"error, shorter than the body", "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 9\r\n\r\n{\"Err\":\"lie\"}", true, "X.Y: {\"Err\":\"l"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var first atomic.Bool
			raw := pluginstest.New(t).ServeRaw("raw", pluginstest.ReadBody(func(conn net.Conn, _ int, _ *http.Request) bool {
				if first.CompareAndSwap(false, true) {
					_, _ = io.WriteString(conn, tt.response)
					return tt.keep
				}
				_, _ = fmt.Fprintf(conn, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", len(okAnswer), okAnswer)
				return true
			}))
			var seen testkit.Log[plugins.RetryEvent]
			c := newClient(t, raw.Addr(), tlsconfig.Options{}, plugins.WithRetryObserver(seen.Add))
			var out echoArgs
			start := time.Now()
			err := c.CallWithOptions("X.Y", nil, &out, plugins.WithRequestTimeout(150*time.Millisecond))
			assert.Less(t, time.Since(start), 5*time.Second)
			require.ErrorContains(t, err, tt.wantErr)
			assert.Empty(t, seen.All(), "an answer came: not retried")
			assert.Equal(t, 1, raw.Requests())

			// The next call gets its own answer, not the rest of the lie.
			for i := 0; i < 3; i++ {
				out = echoArgs{}
				require.NoError(t, c.Call("X.Y", nil, &out))
				assert.Equal(t, echoArgs{"whole", 1}, out)
			}
		})
	}
}

// A redirect is an error answer: it is not followed, with or without the
// body (307 and 308 would resend the POST, 301-303 turn it into a GET).
func TestHostileRedirectIsNotFollowed(t *testing.T) {
	t.Parallel()
	for _, status := range []int{301, 302, 303, 307, 308} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			p := pluginstest.New(t).ServeSocket("p").HandleFunc("X.Y", func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, "/Other.Method", status)
			})
			err := newClient(t, p.Addr(), tlsconfig.Options{}).Call("X.Y", echoArgs{"body", 1}, nil)
			var se *plugins.StatusError
			require.ErrorAs(t, err, &se)
			assert.Equal(t, status, se.StatusCode)
			reqs := p.Requests()
			require.Len(t, reqs, 1)
			assert.Equal(t, "/X.Y", reqs[0].Path)
		})
	}
}

// Headers that never end, dripped slowly or flooded: the call ends within
// its timeout or context, memory stays bounded, and nothing is retried.
// Not parallel: it measures the heap.
func TestHostileEndlessHeaders(t *testing.T) {
	drip := func(conn net.Conn, _ int, _ *http.Request) bool {
		_, _ = io.WriteString(conn, "HTTP/1.1 200 OK\r\nX-Slow: ")
		for {
			if _, err := io.WriteString(conn, "a"); err != nil {
				return false
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	flood := func(conn net.Conn, _ int, _ *http.Request) bool {
		_, _ = io.WriteString(conn, "HTTP/1.1 200 OK\r\n")
		line := []byte("X-Flood: " + strings.Repeat("f", 1000) + "\r\n")
		for i := 0; i < 100_000; i++ { // 100 MB, if anyone reads it
			if _, err := conn.Write(line); err != nil {
				return false
			}
		}
		return false
	}
	const timeout = 50 * time.Millisecond
	tests := []struct {
		name   string
		answer pluginstest.RawFunc
		call   func(c *plugins.Client) error
	}{
		{"drip, request timeout", drip, func(c *plugins.Client) error {
			return c.CallWithOptions("X.Y", nil, nil, plugins.WithRequestTimeout(timeout))
		}},
		{"drip, context", drip, func(c *plugins.Client) error {
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			defer cancel()
			return c.CallContext(ctx, "X.Y", nil, nil)
		}},
		{"flood", flood, func(c *plugins.Client) error {
			return c.CallWithOptions("X.Y", nil, nil, plugins.WithRequestTimeout(5*time.Second))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := pluginstest.New(t).ServeRaw("raw", pluginstest.ReadBody(tt.answer))
			var seen testkit.Log[plugins.RetryEvent]
			c := newClient(t, raw.Addr(), tlsconfig.Options{}, plugins.WithRetryObserver(seen.Add))
			var err error
			start := time.Now()
			grew := heapGrowth(func() { err = tt.call(c) })
			require.Error(t, err)
			assert.Less(t, time.Since(start), 5*time.Second)
			assert.Less(t, grew, uint64(64<<20))
			assert.Empty(t, seen.All())
			assert.Equal(t, 1, raw.Requests())
			t.Logf("%v after %v, %d KiB allocated", err, time.Since(start).Round(time.Millisecond), grew>>10)
		})
	}
}

// A manifest listing thousands of interfaces is read whole.
func TestHostileHugeManifest(t *testing.T) {
	t.Parallel()
	env := pluginstest.New(t)
	impl := make([]string, 20_000)
	for i := range impl {
		impl[i] = fmt.Sprintf("Iface%05d", i)
	}
	env.ServeSocket("big", impl...)
	s := env.Store()
	p, err := s.Get("big", "Iface19999")
	require.NoError(t, err)
	defer p.Client.CloseIdleConnections()
	assert.Len(t, p.Manifest.Implements, len(impl))
	assert.True(t, p.Implements("Iface00000"))
	_, err = s.Get("big", "Iface20000")
	assert.ErrorIs(t, err, plugins.ErrNotImplements)
}

// Spec files beyond those of TestSpecFileErrors: each a clear error naming
// the file, never a panic or a hang, and the plugin left out of listings.
func TestHostileSpecFiles(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		file    string // relative to the spec directory
		make    func(t *testing.T, path string)
		wantErr string
	}{
		{"empty .spec", "p.spec", content(""), "Unknown protocol"},
		{"binary .spec", "p.spec", content("\xff\xfe\x00\x01unix:///p.sock"), "control characters or invalid UTF-8"},
		{"binary .json", "p.json", content("\x00\x01{}"), "invalid JSON"},
		{"huge sparse .spec", "p.spec", func(t *testing.T, path string) {
			f, err := os.Create(path)
			require.NoError(t, err)
			require.NoError(t, f.Truncate(1<<30))
			require.NoError(t, f.Close())
		}, "larger than 65536 bytes"},
		{"file:// in .json", "p.json", content(`{"Addr": "file:///etc/passwd"}`), `Unknown protocol "file"`},
		{"ftp:// in .json", "p.json", content(`{"Addr": "ftp://h:21"}`), `Unknown protocol "ftp"`},
		{"relative unix path in .json", "p.json", content(`{"Addr": "unix://run/p.sock"}`), "must be absolute"},
		{"json array", "p.json", content(`[{"Addr": "tcp://h:1"}]`), "invalid JSON"},
		{"json string", "p.json", content(`"tcp://h:1"`), "invalid JSON"},
		{"json null", "p.json", content(`null`), "Unknown protocol"},
		{"json TLSConfig of the wrong type", "p.json", content(`{"Addr": "tcp://h:1", "TLSConfig": "yes"}`), "invalid JSON"},
		{"json CAFile of the wrong type", "p.json", content(`{"Addr": "tcp://h:1", "TLSConfig": {"CAFile": 5}}`), "invalid JSON"},
		{"json nested too deep", "p.json", content(strings.Repeat(`{"Addr":`, 8000)), "invalid JSON"},
		{"directory named p.json", "p.json", mkdir, "not a regular file: a directory"},
		{"directory named p/p.json", "p/p.json", mkdir, "not a regular file: a directory"},
		{"FIFO", "p.spec", mkfifo, "not a regular file: a named pipe"},
		{"FIFO in a subdirectory", "p/p.json", mkfifo, "not a regular file: a named pipe"},
		{"device", "p.spec", symlinkTo("/dev/zero"), "not a regular file: a device"},
		{"symlink loop in a subdirectory", "p/p.json", func(t *testing.T, path string) {
			require.NoError(t, os.Symlink(path, path))
		}, "too many levels of symbolic links"},
		{"unreadable", "p.spec", func(t *testing.T, path string) {
			if os.Geteuid() == 0 {
				t.Skip("running as root: permissions do not deny reads")
			}
			content("tcp://h:1")(t, path)
			require.NoError(t, os.Chmod(path, 0))
		}, "permission denied"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := pluginstest.New(t)
			path := filepath.Join(env.SpecsDir(), tt.file)
			require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
			tt.make(t, path)

			done := make(chan struct{})
			go func() {
				defer close(done)
				_, err := env.Registry().Plugin("p")
				if !assert.Error(t, err) {
					return
				}
				assert.NotErrorIs(t, err, plugins.ErrNotFound)
				assert.Contains(t, err.Error(), tt.wantErr)
				assert.Contains(t, err.Error(), path, "the error names the file")

				all, err := env.Registry().Plugins()
				assert.NoError(t, err)
				assert.Empty(t, all)

				_, err = env.Store().Get("p", "VolumeDriver")
				assert.ErrorContains(t, err, tt.wantErr, "and Get says so at once")
			}()
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				t.Fatal("lookup hangs")
			}
		})
	}
}

func content(s string) func(*testing.T, string) {
	return func(t *testing.T, path string) { require.NoError(t, os.WriteFile(path, []byte(s), 0o644)) }
}

func mkdir(t *testing.T, path string) { require.NoError(t, os.Mkdir(path, 0o755)) }

func mkfifo(t *testing.T, path string) { require.NoError(t, syscall.Mkfifo(path, 0o644)) }

func symlinkTo(target string) func(*testing.T, string) {
	return func(t *testing.T, path string) { require.NoError(t, os.Symlink(target, path)) }
}

// Sockets-directory oddities are not plugins: a directory named p.sock, a
// regular file, a symlink loop. The lookup goes on to the spec files.
func TestHostileSocketsDirectory(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		make func(t *testing.T, path string)
	}{
		{"directory named p.sock", mkdir},
		{"regular file", content("unix:///elsewhere.sock")},
		{"symlink loop", func(t *testing.T, path string) { require.NoError(t, os.Symlink(path, path)) }},
		{"FIFO", mkfifo},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := pluginstest.New(t)
			tt.make(t, filepath.Join(env.SocketsDir(), "p.sock"))
			r := env.Registry()
			_, err := r.Plugin("p")
			require.ErrorIs(t, err, plugins.ErrNotFound)

			env.WriteSpecFile("p.spec", "tcp://127.0.0.1:1")
			p, err := r.Plugin("p")
			require.NoError(t, err)
			assert.Equal(t, "tcp://127.0.0.1:1", p.Addr)
			all, err := r.Plugins()
			require.NoError(t, err)
			require.Len(t, all, 1)
			assert.Equal(t, "tcp://127.0.0.1:1", all[0].Addr)
		})
	}
}

// Names a user or a package may pass: those that could leave the plugin
// directories are refused before any file system access; odd but harmless
// ones (non-ASCII, dots, spaces) find their plugin inside the directories.
func TestHostileNames(t *testing.T) {
	t.Parallel()
	env := pluginstest.New(t)
	// Bait: plugins that escaping names would reach.
	root := filepath.Dir(env.SocketsDir())
	testkit.ListenUnix(t, filepath.Join(root, "bait.sock"))
	writeFile(t, filepath.Join(root, "bait.spec"), "tcp://127.0.0.1:1")
	s := env.NewStore(plugins.WithLookupRetryBudget(0))

	for _, name := range []string{
		"../bait", "..", "x/../../bait", `..\bait`, root + "/bait", "/etc/passwd", "bait\x00", "\x00",
		strings.Repeat("a", 251), strings.Repeat("é", 126), strings.Repeat("../", 1000) + "bait",
		"new\nline", "\x7f", "\xc0\xaf", "\xed\xa0\x80", // overlong '/' and a UTF-16 surrogate
	} {
		t.Run(fmt.Sprintf("%.40q", name), func(t *testing.T) {
			_, err := s.Get(name, "VolumeDriver")
			require.ErrorIs(t, err, plugins.ErrInvalidName)
			var le *plugins.LookupError
			assert.False(t, errors.As(err, &le), "refused before any path was searched")
		})
	}
	maxUnixPath := len(syscall.RawSockaddrUnix{}.Path)
	activate := pluginstest.Reply(plugins.Manifest{Implements: []string{"VolumeDriver"}})
	for _, name := range []string{"plügin", "插件", "😀", "\u202etxt.exe", "...", "a b", "-x", ".hidden", strings.Repeat("é", 125)} {
		t.Run(fmt.Sprintf("valid %.40q", name), func(t *testing.T) {
			sock := filepath.Join(env.SocketsDir(), name+".sock")
			if len(sock) > maxUnixPath {
				sock = filepath.Join(env.SocketsDir(), "p.sock")
				env.WriteSpecFile(name+".spec", "unix://"+sock)
			}
			testkit.ServeSocket(t, sock, activate)
			p, err := s.Get(name, "VolumeDriver")
			require.NoError(t, err)
			defer p.Client.CloseIdleConnections()
			assert.Equal(t, name, p.Name)
			rel, err := filepath.Rel(root, p.Source())
			require.NoError(t, err)
			assert.False(t, strings.HasPrefix(rel, ".."), "found at %s, outside %s", p.Source(), root)
		})
	}
}

// A plugin that answers before reading the request body (refusing it, or
// not needing it) and then drops the rest: the answer is the call's
// result, the plugin ran once, and nothing is retried, even for a stream
// that could not be resent.
func TestHostileAnswerBeforeTheBodyIsRead(t *testing.T) {
	t.Parallel()
	big := strings.Repeat("x", 1<<20) // more than the server discards to keep the connection
	sends := []struct {
		name string
		send func(c *plugins.Client, ret any) error
	}{
		{"Call", func(c *plugins.Client, ret any) error { return c.Call("X.Y", big, ret) }},
		{"SendFile of a pipe", func(c *plugins.Client, ret any) error {
			pr, pw := io.Pipe()
			go func() { _, _ = io.WriteString(pw, big); pw.Close() }()
			return c.SendFile("X.Y", pr, ret)
		}},
	}
	for _, status := range []int{http.StatusOK, http.StatusRequestEntityTooLarge} {
		for _, tt := range sends {
			t.Run(fmt.Sprint(tt.name, " ", status), func(t *testing.T) {
				t.Parallel()
				var ran atomic.Int32
				srv := testkit.ServeSocket(t, testkit.SocketPath(t, "p"), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					ran.Add(1)
					w.WriteHeader(status)
					_, _ = io.WriteString(w, `{"Err": "early", "N": 3}`)
				}))
				var seen testkit.Log[plugins.RetryEvent]
				c := newClient(t, srv.Addr(), tlsconfig.Options{}, plugins.WithRetryObserver(seen.Add))
				const calls = 2 // the second on a connection the first left behind, if any
				for i := 0; i < calls; i++ {
					var out echoArgs
					err := tt.send(c, &out)
					if status == http.StatusOK {
						require.NoError(t, err)
						assert.Equal(t, 3, out.N)
					} else {
						var se *plugins.StatusError
						require.ErrorAs(t, err, &se)
						assert.Equal(t, status, se.StatusCode)
						assert.Equal(t, "X.Y: early", err.Error())
					}
				}
				assert.EqualValues(t, calls, ran.Load(), "the plugin ran once per call")
				assert.Empty(t, seen.All())
			})
		}
	}
}
