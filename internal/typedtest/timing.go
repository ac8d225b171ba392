package typedtest

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-dockerplugins/plugins"
	"github.com/go-dockerplugins/plugins/pluginstest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// EndsAtDeadline calls call with a context whose deadline is deadline away,
// and checks that the call ends with it, within limit.
func EndsAtDeadline(t *testing.T, deadline, limit time.Duration, call func(context.Context) error, msgAndArgs ...any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	start := time.Now()
	err := call(ctx)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), limit, msgAndArgs...)
}

// NoTimeout has fake answer method with answer, 300ms late, and checks
// that call has no timeout of its own, as the engine sets none: without a
// deadline it waits for the slow answer, and with one 50ms away it ends
// with the deadline, within limit.
func NoTimeout(t *testing.T, fake *pluginstest.Plugin, method string, answer http.Handler, limit time.Duration, call func(context.Context) error) {
	t.Helper()
	fake.Handle(method, answer)
	fake.Inject(pluginstest.Fault{Method: method, Delay: 300 * time.Millisecond})

	require.NoError(t, call(context.Background()), "a slow answer without a deadline")
	EndsAtDeadline(t, 50*time.Millisecond, limit, call)
}

// NoTimeoutButTheContexts checks, for each case against a fake plugin of its
// own, that the call has no timeout of its own, as the engine sets none: a
// slow answer is waited for, and only the context's deadline bounds a call.
func (f Fixture[C]) NoTimeoutButTheContexts(t *testing.T, cases []MethodCase[C]) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.Method, func(t *testing.T) {
			t.Parallel()
			c, fake := f.Serve(t)
			fake.Handle(tc.Method, Raw(tc.Answer)).
				Inject(pluginstest.Fault{Method: tc.Method, Times: 1, Delay: 300 * time.Millisecond})
			_, err := tc.Call(context.Background(), c)
			require.NoError(t, err, "no timeout of its own")

			fake.Inject(pluginstest.Fault{Method: tc.Method, Times: 1, Delay: 10 * time.Second})
			EndsAtDeadline(t, 100*time.Millisecond, 5*time.Second, func(ctx context.Context) error {
				_, err := tc.Call(ctx, c)
				return err
			}, "the context's deadline ends the call")
		})
	}
}

// RetryScheduled calls call, under ctx, with a typed client of a plugin
// that drops every connection to method (as the plugin sees it: no leading
// slash): the call retries after wait (within budget), unless its deadline
// comes first, since the client never schedules a retry that would start
// after it. Once a retry of method (with a query string or not) is
// scheduled, the retry observer cancels the call. It returns whether a
// retry was scheduled, how long the call took and its error.
func (f Fixture[C]) RetryScheduled(ctx context.Context, t *testing.T, method string, wait, budget time.Duration, call func(context.Context, C) error) (scheduled bool, took time.Duration, err error) {
	t.Helper()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var retried atomic.Bool
	c, fake := f.Serve(t,
		plugins.WithBackoff(func(int) time.Duration { return wait }),
		plugins.WithCallRetryBudget(budget),
		plugins.WithRetryObserver(func(ev plugins.RetryEvent) {
			name := strings.TrimPrefix(ev.Method, "/")
			if (name == method || strings.HasPrefix(name, method+"?")) && ev.Wait > 0 {
				retried.Store(true)
				cancel()
			}
		}))
	fake.Inject(pluginstest.Fault{Method: method, Drop: true})
	start := time.Now()
	err = call(ctx, c)
	return retried.Load(), time.Since(start), err
}
