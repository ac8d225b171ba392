package main

import (
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/go-dockerplugins/plugins"
	"github.com/go-dockerplugins/plugins/internal/testkit"
	"github.com/go-dockerplugins/plugins/pluginstest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Shortened stand-ins for the 2s of silence and the 30s default bound.
const (
	testQuiet = 50 * time.Millisecond
	testBound = 400 * time.Millisecond
)

func shortWaits(a *app) { a.quietFor, a.defaultTimeout = testQuiet, testBound }

// silenceLine matches the line plugctl prints after a silence, and
// captures how long it had waited.
func silenceLine(p *pluginstest.Plugin, what string) *regexp.Regexp {
	return regexp.MustCompile("^" + regexp.QuoteMeta(fmt.Sprintf("plugctl: waiting for plugin %q (%s): no answer to %s after ", p.Name(), p.Addr(), what)) + `(\S+)$`)
}

// requireWaited checks that line is the silence line for what and that it
// came after at least min.
func requireWaited(t *testing.T, line string, p *pluginstest.Plugin, what string, min time.Duration) {
	t.Helper()
	m := silenceLine(p, what).FindStringSubmatch(line)
	require.NotNil(t, m, "not a silence line for %s: %q", what, line)
	d, err := time.ParseDuration(m[1])
	require.NoError(t, err)
	assert.GreaterOrEqual(t, d, min)
}

// TestHungPlugin: call and inspect on a plugin that never answers say once
// what they wait for, then give up at the default bound with one line
// naming the plugin, its address and what did not answer.
func TestHungPlugin(t *testing.T) {
	t.Parallel()
	env := pluginstest.New(t)
	hung := env.ServeSocket("hung", "X").Inject(pluginstest.Fault{Method: "Plugin.Activate", Delay: time.Hour})
	stuck := env.ServeSocket("stuck", "X").Inject(pluginstest.Fault{Method: "X.Do", Delay: time.Hour})

	tests := []struct {
		name   string
		args   []string
		plugin *pluginstest.Plugin
		what   string // what does not answer
		json   bool   // inspect prints its JSON all the same
	}{
		{"call, hung at activation", []string{"call", "hung", "X.Do"}, hung, "Plugin.Activate", false},
		{"call, hung in the method", []string{"call", "stuck", "X.Do"}, stuck, "X.Do", false},
		{"inspect, hung at activation", []string{"inspect", "hung"}, hung, "Plugin.Activate", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			r := plugctlWith(t, env, "", shortWaits, tt.args...)
			elapsed := time.Since(start)

			assert.Equal(t, exitFailure, r.code)
			assert.GreaterOrEqual(t, elapsed, testBound, "waited the whole default bound")
			assert.Less(t, elapsed, testBound+time.Second, "gave up at the default bound")
			ls := lines(r.stderr)
			require.Len(t, ls, 2, "one silence line, then the error: %q", r.stderr)
			requireWaited(t, ls[0], tt.plugin, tt.what, testQuiet)
			assert.Equal(t, fmt.Sprintf("plugctl %s: plugin %q (%s): %s: no answer within %v",
				tt.args[0], tt.plugin.Name(), tt.plugin.Addr(), tt.what, testBound), ls[1])
			if tt.json {
				out := inspectJSON(t, r)
				require.NotNil(t, out.Activation)
				assert.Contains(t, out.Activation.Error, "Plugin.Activate: no answer within")
			} else {
				assert.Empty(t, r.stdout)
			}
		})
	}
}

// TestSlowPlugin: a plugin slow to activate and slow to answer gets one
// silence line per step, and its answer.
func TestSlowPlugin(t *testing.T) {
	t.Parallel()
	env := pluginstest.New(t)
	const delay = 4 * testQuiet
	slow := env.ServeSocket("slow", "X").
		Handle("X.Do", pluginstest.Reply("done")).
		Inject(pluginstest.Fault{Delay: delay}) // every method, Plugin.Activate included

	r := plugctlWith(t, env, "", func(a *app) { a.quietFor, a.defaultTimeout = testQuiet, 10*delay }, "call", "slow", "X.Do")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, "\"done\"\n", r.stdout)
	ls := lines(r.stderr)
	require.Len(t, ls, 2, "%q", r.stderr)
	requireWaited(t, ls[0], slow, "Plugin.Activate", testQuiet)
	requireWaited(t, ls[1], slow, "X.Do", testQuiet)
}

// TestOutputRestartsTheSilence: a line on stderr, such as a retry, starts
// the silence over, and the silence line comes once.
func TestOutputRestartsTheSilence(t *testing.T) {
	t.Parallel()
	const quiet, every, n = 200 * time.Millisecond, 10 * time.Millisecond, 30
	var buf testkit.Buffer
	a := newApp(strings.NewReader(""), io.Discard, &buf)
	a.quietFor = quiet
	stderr := buf.String

	stop := a.watch("p", "unix:///p.sock", "Plugin.Activate")
	start := time.Now() // the watch began no later
	var lastLine time.Duration
	for i := range n {
		fmt.Fprintf(a.stderr, "retry %d\n", i)
		lastLine = time.Since(start)
		time.Sleep(every)
	}
	require.Eventually(t, func() bool { return len(lines(stderr())) > n }, 10*quiet, every)
	time.Sleep(2 * quiet) // time for a second line, if there were one
	stop()

	ls := lines(stderr())
	require.Len(t, ls, n+1, "%q", ls)
	for i := range n {
		assert.Equal(t, fmt.Sprintf("retry %d", i), ls[i])
	}
	m := regexp.MustCompile(`^plugctl: waiting for plugin "p" \(unix:///p.sock\): no answer to Plugin.Activate after (\S+)$`).FindStringSubmatch(ls[n])
	require.NotNil(t, m, ls[n])
	d, err := time.ParseDuration(m[1])
	require.NoError(t, err)
	assert.GreaterOrEqual(t, d, (lastLine + quiet).Truncate(time.Millisecond), "the silence counts from the last line")
}

// TestNoSilenceLineOnceAnswered: a wait that ends before the silence
// prints nothing, then or later.
func TestNoSilenceLineOnceAnswered(t *testing.T) {
	t.Parallel()
	var buf testkit.Buffer
	a := newApp(strings.NewReader(""), io.Discard, &buf)
	a.quietFor = testQuiet
	a.watch("p", "unix:///p.sock", "Plugin.Activate")()
	time.Sleep(3 * testQuiet)
	assert.Empty(t, buf.String())
}

// TestSilenceCountsFromTheNextAttempt: a back-off wait is no silence of
// the plugin's; the silence line comes quietFor after the next attempt
// starts, not while plugctl waits for it.
func TestSilenceCountsFromTheNextAttempt(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		debug bool // the library's warning replaces plugctl's line
	}{{"waiting line", false}, {"--debug", true}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf testkit.Buffer
			a := newApp(strings.NewReader(""), io.Discard, &buf)
			a.quietFor, a.debug = testQuiet, tt.debug
			start := time.Now()
			stop := a.watch("p", "unix:///p.sock", "Plugin.Activate")
			defer stop()
			a.reportRetry(plugins.RetryEvent{Plugin: "p", Addr: "unix:///p.sock", Method: "Plugin.Activate",
				Attempt: 1, Wait: 4 * testQuiet, Err: errors.New("refused")})
			require.Eventually(t, func() bool { return strings.Contains(buf.String(), "no answer") }, 20*testQuiet, testQuiet/5)
			assert.GreaterOrEqual(t, time.Since(start), 5*testQuiet, "the wait, then the silence")
			wantLines := 2
			if tt.debug {
				wantLines = 1
			}
			assert.Len(t, lines(buf.String()), wantLines, "%q", buf.String())
		})
	}
}
