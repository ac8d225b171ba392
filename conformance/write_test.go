package conformance_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-dockerplugins/plugins"
	"github.com/go-dockerplugins/plugins/conformance"
	"github.com/go-dockerplugins/plugins/pluginstest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// doneThenFail does what h does, then answers 500 as if it had not: a
// plugin that fails half-way through a method.
func doneThenFail(h http.Handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(httptest.NewRecorder(), r)
		pluginstest.ReplyError(http.StatusInternalServerError, "failed half-way").ServeHTTP(w, r)
	}
}

// With --write, whatever step of a life cycle fails, once, or for good
// after doing its work, the clean-up leaves nothing behind.
func TestWriteLeavesNothingBehind(t *testing.T) {
	t.Parallel()
	steps := map[string][]string{
		"VolumeDriver":  {"Create", "Get", "List", "Mount", "Path", "Unmount", "Remove"},
		"NetworkDriver": {"CreateNetwork", "CreateEndpoint"},
		"IpamDriver":    {"RequestPool", "RequestAddress"},
	}
	for in, methods := range steps {
		for _, m := range methods {
			for _, halfWay := range []bool{false, true} {
				name := in + "." + m + map[bool]string{true: " half-way"}[halfWay]
				t.Run(name, func(t *testing.T) {
					t.Parallel()
					if in == "IpamDriver" && m == "RequestPool" && halfWay {
						t.Skip("a pool whose ID never came back cannot be released")
					}
					env := pluginstest.New(t)
					f := serveFake(t, env, "p", in)
					method := in + "." + m
					if halfWay {
						f.wrap(method, func(h http.Handler) http.Handler { return doneThenFail(h) })
					} else {
						f.Inject(pluginstest.Fault{Method: method, Times: 1, Status: 500, Err: "no"})
					}
					rep := run(t, env, "p", conformance.WithWrite())
					assert.Empty(t, f.left())
					flagged(t, rep) // each with its consequence
					lb, ok := rep.Find(in, "left-behind")
					require.True(t, ok)
					assert.Equal(t, conformance.Pass, lb.Status, lb.Detail)
				})
			}
		}
	}
}

// What the clean-up cannot remove is reported, by name.
func TestWriteReportsWhatIsLeft(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, method string
		want       []string
		left       string // in left-behind's detail
	}{
		{"VolumeDriver", "VolumeDriver.Remove", []string{"VolumeDriver/remove FAIL", "VolumeDriver/left-behind FAIL"}, conformance.ProbePrefix},
		{"VolumeDriver", "VolumeDriver.Unmount", []string{"VolumeDriver/unmount FAIL", "VolumeDriver/left-behind FAIL"}, conformance.ProbePrefix},
		{"NetworkDriver", "NetworkDriver.DeleteNetwork", []string{"NetworkDriver/delete-network FAIL", "NetworkDriver/left-behind FAIL"}, "network " + conformance.ProbeIDPrefix},
		{"NetworkDriver", "NetworkDriver.DeleteEndpoint", []string{"NetworkDriver/delete-endpoint FAIL", "NetworkDriver/left-behind FAIL"}, "endpoint " + conformance.ProbeIDPrefix},
		{"IpamDriver", "IpamDriver.ReleasePool", []string{"IpamDriver/release-pool FAIL", "IpamDriver/left-behind FAIL"}, "pool pool1"},
	}
	for _, tt := range tests {
		t.Run(tt.method, func(t *testing.T) {
			t.Parallel()
			env := pluginstest.New(t)
			f := serveFake(t, env, "p", tt.in)
			f.Inject(pluginstest.Fault{Method: tt.method, Status: 500, Err: "stuck"})
			rep := run(t, env, "p", conformance.WithWrite())
			assert.Equal(t, tt.want, flagged(t, rep))
			lb, _ := rep.Find(tt.in, "left-behind")
			assert.Contains(t, lb.Detail, tt.left)
			assert.NotEmpty(t, f.left())
		})
	}
}

// A plugin that crashes half-way: the clean-up cannot reach it, and says
// so.
func TestWriteWithAPluginThatCrashes(t *testing.T) {
	t.Parallel()
	env := pluginstest.New(t, plugins.WithCallRetryBudget(50*time.Millisecond))
	f := serveFake(t, env, "p", "VolumeDriver")
	f.wrap("VolumeDriver.Mount", func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h.ServeHTTP(w, r)
			go f.Stop()
		})
	})
	rep := run(t, env, "p", conformance.WithWrite())
	lb, _ := rep.Find("VolumeDriver", "left-behind")
	assert.Contains(t, []conformance.Status{conformance.Fail, conformance.Skip}, lb.Status, lb.Detail)
	assert.Contains(t, lb.Detail, conformance.ProbePrefix)
}

// An interrupted run still cleans up, and returns the context's error.
func TestWriteCleansUpWhenInterrupted(t *testing.T) {
	t.Parallel()
	env := pluginstest.New(t)
	f := serveFake(t, env, "p", "VolumeDriver", "NetworkDriver", "IpamDriver")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var mounted atomic.Bool
	f.wrap("VolumeDriver.Mount", func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h.ServeHTTP(w, r)
			mounted.Store(true)
			cancel()
		})
	})
	p, err := env.Store().Activate(ctx, "p")
	require.NoError(t, err)
	rep, err := conformance.Run(ctx, p, conformance.WithWrite())
	require.True(t, errors.Is(err, context.Canceled), "%v", err)
	assert.True(t, mounted.Load())
	assert.Empty(t, f.left())
	assert.NotEmpty(t, rep.Findings)
	_, ok := rep.Find("NetworkDriver", "capabilities")
	assert.False(t, ok, "the interfaces after the interruption are not checked")
}
