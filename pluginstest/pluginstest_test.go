package pluginstest_test

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
	"sync"
	"testing"
	"time"

	"github.com/go-dockerplugins/plugins"
	"github.com/go-dockerplugins/plugins/pluginstest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type serveFunc func(e *pluginstest.Env, name string, implements ...string) *pluginstest.Plugin

var kinds = []struct {
	name   string
	serve  serveFunc
	scheme string
	suffix string
}{
	{"socket", (*pluginstest.Env).ServeSocket, "unix://", ".sock"},
	{"spec", (*pluginstest.Env).ServeSpec, "tcp://127.0.0.1:", ".spec"},
	{"json", (*pluginstest.Env).ServeJSON, "https://127.0.0.1:", ".json"},
}

func TestServeIsFoundActivatedAndCalled(t *testing.T) {
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			env := pluginstest.New(t)
			fp := k.serve(env, "p", "VolumeDriver", "authz").
				Handle("VolumeDriver.Get", pluginstest.Reply(map[string]string{"Name": "v"}))
			assert.True(t, strings.HasPrefix(fp.Addr(), k.scheme), fp.Addr())
			assert.True(t, strings.HasSuffix(fp.Source(), "p"+k.suffix), fp.Source())
			assert.Equal(t, "p", fp.Name())

			p, err := env.Store().Get("p", "authz")
			require.NoError(t, err)
			assert.Equal(t, fp.Addr(), p.Addr)
			assert.Equal(t, fp.Source(), p.Source())
			assert.Equal(t, []string{"VolumeDriver", "authz"}, p.Manifest.Implements)
			if k.name == "json" {
				assert.Equal(t, env.CAFile(), p.TLSConfig.CAFile, "the client verifies the plugin's certificate")
				assert.False(t, p.TLSConfig.InsecureSkipVerify)
			}

			var resp struct{ Name string }
			require.NoError(t, p.Client.Call("VolumeDriver.Get", map[string]string{"Name": "v"}, &resp))
			assert.Equal(t, "v", resp.Name)

			reqs := fp.Requests()
			require.Len(t, reqs, 2)
			assert.Equal(t, "Plugin.Activate", reqs[0].Method)
			assert.Empty(t, reqs[0].Body)
			assert.Equal(t, "VolumeDriver.Get", reqs[1].Method)
			assert.Equal(t, "POST", reqs[1].HTTPMethod)
			assert.Equal(t, "/VolumeDriver.Get", reqs[1].Path)
			assert.Equal(t, "application/vnd.docker.plugins.v1.2+json", reqs[1].Header.Get("Accept"))
			assert.JSONEq(t, `{"Name":"v"}`, string(reqs[1].Body))
			assert.Len(t, fp.Calls("VolumeDriver.Get"), 1)
		})
	}
}

func TestEnvIsSelfContained(t *testing.T) {
	env := pluginstest.New(t)
	paths, err := env.Registry().SearchPaths("x")
	require.NoError(t, err)
	for _, p := range paths {
		assert.True(t, strings.HasPrefix(p, env.SocketsDir()) || strings.HasPrefix(p, env.SpecsDir()), p)
	}
	assert.Less(t, len(env.SocketsDir()), 60, "leaves room for socket names")

	start := time.Now()
	_, err = env.Store().Get("missing", "VolumeDriver")
	require.ErrorIs(t, err, plugins.ErrNotFound)
	assert.Less(t, time.Since(start), 500*time.Millisecond, "no lookup retries by default")
}

func TestCleanupRemovesEverything(t *testing.T) {
	var s pluginstest.Scope
	env := pluginstest.New(&s)
	fp := env.ServeSocket("p", "VolumeDriver")
	_, err := env.Store().Get("p", "VolumeDriver")
	require.NoError(t, err)
	s.Close()
	_, err = os.Stat(env.SocketsDir())
	assert.ErrorIs(t, err, os.ErrNotExist)
	_, err = net.Dial("unix", fp.Source())
	assert.Error(t, err, "the plugin is stopped")
}

func TestUnknownMethodIs404(t *testing.T) {
	env := pluginstest.New(t)
	env.ServeSocket("p", "VolumeDriver")
	p, err := env.Store().Get("p", "VolumeDriver")
	require.NoError(t, err)
	err = p.Client.Call("VolumeDriver.Capabilities", nil, nil)
	assert.True(t, plugins.IsNotFound(err), "%v", err)
}

func TestActivationCanBeReplaced(t *testing.T) {
	env := pluginstest.New(t)
	env.ServeSocket("p", "VolumeDriver").
		Handle("Plugin.Activate", pluginstest.ReplyError(http.StatusForbidden, "not today"))
	_, err := env.Store().Get("p", "VolumeDriver")
	require.ErrorContains(t, err, "Plugin.Activate: not today")
}

func TestFunc(t *testing.T) {
	type req struct{ Name string }
	h := pluginstest.Func(func(r req) (any, error) {
		if r.Name == "" {
			return nil, errors.New("no name")
		}
		return map[string]string{"Mountpoint": "/mnt/" + r.Name}, nil
	})
	env := pluginstest.New(t)
	env.ServeSocket("p", "VolumeDriver").Handle("VolumeDriver.Mount", h)
	p, err := env.Store().Get("p", "VolumeDriver")
	require.NoError(t, err)

	tests := []struct {
		name string
		body string
		want string
		err  string
	}{
		{"decoded", `{"Name":"a"}`, `{"Mountpoint":"/mnt/a"}` + "\n", ""},
		{"error", `{}`, "", "VolumeDriver.Mount: no name"},
		{"empty body", ``, "", "VolumeDriver.Mount: no name"},
		{"null body", `null`, "", "VolumeDriver.Mount: no name"},
		{"malformed", `{`, "", "VolumeDriver.Mount: decoding the request: unexpected EOF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := p.Client.CallRaw(context.Background(), "VolumeDriver.Mount", []byte(tt.body))
			if tt.err != "" {
				require.EqualError(t, err, tt.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, string(got))
		})
	}
}

func TestFaults(t *testing.T) {
	tests := []struct {
		name     string
		faults   []pluginstest.Fault
		timeout  time.Duration
		wantErrs []string // per call, "" for success
		requests int
	}{
		{
			name:     "status for every call",
			faults:   []pluginstest.Fault{{Method: "X.Do", Status: 500, Err: "broken"}},
			wantErrs: []string{"X.Do: broken", "X.Do: broken", "X.Do: broken"},
			requests: 3,
		},
		{
			name:     "fail the next two calls",
			faults:   []pluginstest.Fault{{Method: "X.Do", Times: 2, Status: 503, Err: "busy"}},
			wantErrs: []string{"X.Do: busy", "X.Do: busy", ""},
			requests: 3,
		},
		{
			name:     "other methods are not affected",
			faults:   []pluginstest.Fault{{Method: "X.Other", Status: 500, Err: "broken"}},
			wantErrs: []string{"", ""},
			requests: 2,
		},
		{
			name:     "dropped connections are retried by the client",
			faults:   []pluginstest.Fault{{Method: "X.Do", Times: 2, Drop: true}},
			wantErrs: []string{"", ""},
			requests: 4,
		},
		{
			name:     "a delay within the timeout answers",
			faults:   []pluginstest.Fault{{Times: 1, Delay: 20 * time.Millisecond}},
			timeout:  time.Second,
			wantErrs: []string{""},
			requests: 1,
		},
		{
			name:     "a delay beyond the timeout does not",
			faults:   []pluginstest.Fault{{Times: 1, Delay: time.Hour}},
			timeout:  50 * time.Millisecond,
			wantErrs: []string{"context deadline exceeded", ""},
			requests: 2,
		},
		{
			name:     "a delay, then a status",
			faults:   []pluginstest.Fault{{Method: "X.Do", Times: 1, Delay: 20 * time.Millisecond, Status: 500, Err: "slow and broken"}},
			wantErrs: []string{"X.Do: slow and broken", ""},
			requests: 2,
		},
		{
			name: "faults apply in order",
			faults: []pluginstest.Fault{
				{Method: "X.Do", Times: 1, Status: 500, Err: "first"},
				{Times: 1, Status: 500, Err: "second"},
			},
			wantErrs: []string{"X.Do: first", "X.Do: second", ""},
			requests: 3,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := pluginstest.New(t)
			fp := env.ServeSocket("p", "X").Handle("X.Do", pluginstest.Reply("done"))
			p, err := env.Store().Get("p", "X")
			require.NoError(t, err)
			for _, f := range tt.faults {
				fp.Inject(f)
			}
			for i, want := range tt.wantErrs {
				ctx := context.Background()
				if tt.timeout > 0 {
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, tt.timeout)
					defer cancel()
				}
				var got string
				err := p.Client.CallContext(ctx, "X.Do", nil, &got)
				if want == "" {
					require.NoError(t, err, "call %d", i)
					assert.Equal(t, "done", got)
				} else {
					require.ErrorContains(t, err, want, "call %d", i)
				}
			}
			assert.Len(t, fp.Calls("X.Do"), tt.requests)
		})
	}
}

func TestClearFaults(t *testing.T) {
	env := pluginstest.New(t)
	fp := env.ServeSocket("p", "X").Inject(pluginstest.Fault{Status: 500, Err: "broken"})
	_, err := env.Store().Get("p", "X")
	require.ErrorContains(t, err, "Plugin.Activate: broken", "an empty Method matches activation")
	fp.ClearFaults()
	_, err = env.Store().Get("p", "X")
	require.NoError(t, err)
}

func TestStopAndStart(t *testing.T) {
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			env := pluginstest.New(t, plugins.WithCallRetryBudget(0))
			fp := k.serve(env, "p", "X")
			fp.Handle("X.Ping", pluginstest.Reply("pong"))
			p, err := env.Store().Get("p", "X")
			require.NoError(t, err)
			addr := fp.Addr()

			fp.Stop()
			fp.Stop() // idempotent
			_, err = p.Client.CallRaw(context.Background(), "X.Ping", nil)
			require.Error(t, err)

			require.NoError(t, fp.Start())
			require.NoError(t, fp.Start()) // idempotent
			assert.Equal(t, addr, fp.Addr(), "the same socket or port")
			got, err := p.Client.CallRaw(context.Background(), "X.Ping", nil)
			require.NoError(t, err)
			assert.Equal(t, "\"pong\"\n", string(got))
		})
	}
}

func TestStopEndsDelayedCalls(t *testing.T) {
	env := pluginstest.New(t, plugins.WithCallRetryBudget(0))
	fp := env.ServeSocket("p", "X").Inject(pluginstest.Fault{Method: "X.Hang", Delay: time.Hour})
	p, err := env.Store().Get("p", "X")
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { _, err := p.Client.CallRaw(context.Background(), "X.Hang", nil); done <- err }()
	require.Eventually(t, func() bool { return len(fp.Calls("X.Hang")) == 1 }, 5*time.Second, 5*time.Millisecond)
	fp.Stop()
	select {
	case err := <-done:
		require.Error(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("the delayed call did not end when the plugin stopped")
	}
}

func TestServeReplacesAStaleSocket(t *testing.T) {
	env := pluginstest.New(t)
	env.StaleSocket("p")
	env.ServeSocket("p", "X")
	_, err := env.Store().Get("p", "X")
	require.NoError(t, err)
}

func TestStaleSocket(t *testing.T) {
	env := pluginstest.New(t, plugins.WithCallRetryBudget(0))
	path := env.StaleSocket("dead")
	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.ModeSocket, fi.Mode().Type())
	_, err = env.Store().Get("dead", "X")
	require.ErrorContains(t, err, "connection refused")
}

func TestWriteSpecFile(t *testing.T) {
	env := pluginstest.New(t)
	path := env.WriteSpecFile("bad/bad.spec", "localhost:8080")
	assert.True(t, strings.HasPrefix(path, env.SpecsDir()))
	_, err := env.Store().Get("bad", "X")
	require.ErrorContains(t, err, "Unknown protocol")
}

func TestNewStoreAddsOptions(t *testing.T) {
	env := pluginstest.New(t)
	env.StaleSocket("dead")
	var mu sync.Mutex
	var events []plugins.RetryEvent
	s := env.NewStore(plugins.WithCallRetryBudget(100*time.Millisecond), plugins.WithRetryObserver(func(ev plugins.RetryEvent) {
		mu.Lock()
		defer mu.Unlock()
		events = append(events, ev)
	}))
	_, err := s.Get("dead", "X")
	require.Error(t, err)
	mu.Lock()
	defer mu.Unlock()
	require.NotEmpty(t, events, "fast retries within the environment's budget")
	assert.Equal(t, "Plugin.Activate", events[0].Method)
	assert.Equal(t, 10*time.Millisecond, events[0].Wait)
}

func TestConcurrentUse(t *testing.T) {
	env := pluginstest.New(t)
	fp := env.ServeSpec("p", "X").Handle("X.Do", pluginstest.Reply("ok"))
	p, err := env.Store().Get("p", "X")
	require.NoError(t, err)
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			fp.Inject(pluginstest.Fault{Method: "X.Do", Times: 1, Status: 500, Err: "x"})
			_ = fp.Requests()
		}()
		go func() {
			defer wg.Done()
			_ = p.Client.Call("X.Do", i, nil)
		}()
	}
	wg.Wait()
	assert.Len(t, fp.Calls("X.Do"), 20)
}

func TestScopeFatalfPanicsWithAnError(t *testing.T) {
	var s pluginstest.Scope
	defer s.Close()
	env := pluginstest.New(&s)
	env.ServeSocket("p")
	defer func() {
		err, ok := recover().(error)
		require.True(t, ok)
		assert.ErrorContains(t, err, "address already in use")
	}()
	env.ServeSocket("p")
}

func TestRequestsAreRecordedWhole(t *testing.T) {
	env := pluginstest.New(t)
	fp := env.ServeSpec("p", "X").Handle("X.Apply", pluginstest.Reply(struct{}{}))
	p, err := env.Store().Get("p", "X")
	require.NoError(t, err)
	require.NoError(t, p.Client.SendFile("X.Apply?id=layer1", strings.NewReader("raw bytes"), nil))
	reqs := fp.Calls("X.Apply")
	require.Len(t, reqs, 1)
	r := reqs[0]
	assert.Equal(t, "/X.Apply", r.Path)
	assert.Equal(t, "id=layer1", r.RawQuery)
	assert.Equal(t, strings.TrimPrefix(fp.Addr(), "tcp://"), r.Host)
	assert.EqualValues(t, len("raw bytes"), r.ContentLength)
	assert.Equal(t, "raw bytes", string(r.Body))
}

func TestServeRaw(t *testing.T) {
	env := pluginstest.New(t, plugins.WithCallRetryBudget(0))
	const manifest = `{"Implements": ["VolumeDriver"]}`
	fp := env.ServeRaw("raw", func(conn net.Conn, n int, req *http.Request) bool {
		switch req.URL.Path {
		case "/Plugin.Activate":
			return pluginstest.RawAnswer(fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", len(manifest), manifest), true)(conn, n, req)
		case "/X.Upload":
			return pluginstest.AnswerEarly(http.StatusRequestEntityTooLarge, `{"Err":"too large"}`, time.Minute)(conn, n, req)
		}
		return pluginstest.ReadBody(func(conn net.Conn, _ int, req *http.Request) bool {
			body, _ := io.ReadAll(req.Body)
			_, _ = fmt.Fprintf(conn, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
			return true
		})(conn, n, req)
	})
	assert.Equal(t, "raw", fp.Name())
	assert.Equal(t, "unix://"+fp.Source(), fp.Addr())
	assert.Equal(t, filepath.Join(env.SocketsDir(), "raw.sock"), fp.Source())

	p, err := env.Store().Get("raw", "VolumeDriver")
	require.NoError(t, err)
	assert.Equal(t, fp.Addr(), p.Addr)
	var out string
	require.NoError(t, p.Client.Call("X.Echo", "hello", &out))
	assert.Equal(t, "hello", out)
	assert.Equal(t, 1, fp.Conns())
	assert.Equal(t, 2, fp.Requests())

	start := time.Now()
	err = p.Client.SendFile("X.Upload", strings.NewReader(strings.Repeat("d", 64<<20)), nil)
	assert.EqualError(t, err, "X.Upload: too large")
	assert.Less(t, time.Since(start), 5*time.Second, "the answer ended the upload")
}

func TestServeRawEndsHeldAnswersAtCleanup(t *testing.T) {
	var s pluginstest.Scope
	env := pluginstest.New(&s, plugins.WithCallRetryBudget(0))
	fp := env.ServeRaw("held", pluginstest.AnswerEarly(http.StatusOK, `{}`, time.Hour))
	conn, err := net.Dial("unix", fp.Source())
	require.NoError(t, err)
	defer conn.Close()
	_, err = io.WriteString(conn, "POST /X.Y HTTP/1.1\r\nHost: p\r\nContent-Length: 0\r\n\r\n")
	require.NoError(t, err)
	require.Eventually(t, func() bool { return fp.Requests() == 1 }, 5*time.Second, time.Millisecond)
	start := time.Now()
	s.Close()
	assert.Less(t, time.Since(start), time.Second)
}

func TestServeSocketLater(t *testing.T) {
	env := pluginstest.New(t, plugins.WithCallRetryBudget(0))
	fp := env.ServeSocketLater("late", "VolumeDriver")
	_, err := os.Stat(fp.Source())
	require.ErrorIs(t, err, os.ErrNotExist, "nothing there before it starts")
	_, err = env.Store().Get("late", "VolumeDriver")
	require.ErrorIs(t, err, plugins.ErrNotFound)

	require.NoError(t, fp.Start())
	_, err = env.Store().Get("late", "VolumeDriver")
	require.NoError(t, err)
}

func TestStartAfter(t *testing.T) {
	t.Run("the plugin appears during lookup retries", func(t *testing.T) {
		env := pluginstest.New(t, plugins.WithLookupRetryBudget(5*time.Second))
		fp := env.ServeSocketLater("late", "VolumeDriver")
		start := time.Now()
		fp.StartAfter(100 * time.Millisecond)
		_, err := env.Store().Get("late", "VolumeDriver")
		require.NoError(t, err)
		assert.GreaterOrEqual(t, time.Since(start), 100*time.Millisecond)
		assert.Len(t, fp.Calls("Plugin.Activate"), 1)
	})
	t.Run("Stop cancels it", func(t *testing.T) {
		env := pluginstest.New(t)
		fp := env.ServeSocket("p", "VolumeDriver")
		fp.Stop()
		fp.StartAfter(20 * time.Millisecond)
		fp.Stop()
		time.Sleep(100 * time.Millisecond)
		_, err := os.Stat(fp.Source())
		assert.ErrorIs(t, err, os.ErrNotExist)
	})
	t.Run("a later call reschedules it", func(t *testing.T) {
		env := pluginstest.New(t)
		fp := env.ServeSocketLater("p", "VolumeDriver")
		fp.StartAfter(20 * time.Millisecond)
		fp.StartAfter(time.Hour)
		time.Sleep(100 * time.Millisecond)
		_, err := os.Stat(fp.Source())
		assert.ErrorIs(t, err, os.ErrNotExist)
	})
}

func TestEnvCA(t *testing.T) {
	env := pluginstest.New(t)
	ca := env.CA()
	assert.Same(t, ca, env.CA(), "one per environment")
	assert.Equal(t, ca.File(), env.CAFile())
	env.ServeJSON("auth", "authz")
	p, err := env.Store().Get("auth", "authz")
	require.NoError(t, err)
	assert.Equal(t, ca.File(), p.TLSConfig.CAFile, "it signs the plugins of ServeJSON")

	other := pluginstest.NewCA(t, filepath.Join(t.TempDir(), "other"))
	env.WriteSpecFile("wrongca.json", fmt.Sprintf(`{"Addr": %q, "TLSConfig": {"CAFile": %q}}`, p.Addr, other.File()))
	_, err = env.Store().Get("wrongca", "authz")
	require.ErrorContains(t, err, "unknown authority")
	assert.NotNil(t, other.Pool())
}
