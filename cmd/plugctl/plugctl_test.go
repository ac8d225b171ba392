package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/go-dockerplugins/plugins"
	"github.com/go-dockerplugins/plugins/pluginstest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// result is what one run of plugctl printed and returned.
type result struct {
	stdout, stderr string
	code           int
}

// fastRetries makes the library retry after 5ms, 10ms, ... instead of 1s, 2s, ...
var fastRetries = plugins.WithBackoff(plugins.ExponentialBackoff(5*time.Millisecond, 20*time.Millisecond))

// plugctl runs the command with the environment's directories and fast
// retries; stdin is empty.
func plugctl(t *testing.T, env *pluginstest.Env, args ...string) result {
	t.Helper()
	return plugctlWith(t, env, "", nil, args...)
}

func plugctlWith(t *testing.T, env *pluginstest.Env, stdin string, configure func(*app), args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return plugctlCtx(t, ctx, env, stdin, configure, args...)
}

// plugctlCtx is plugctlWith under ctx, which a test cancels to stand for
// an interruption.
func plugctlCtx(t *testing.T, ctx context.Context, env *pluginstest.Env, stdin string, configure func(*app), args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	a := newApp(strings.NewReader(stdin), &stdout, &stderr)
	a.storeOptions = []plugins.StoreOption{fastRetries}
	if configure != nil {
		configure(a)
	}
	if env != nil {
		args = append([]string{"--sockets-dir", env.SocketsDir(), "--specs-dir", env.SpecsDir()}, args...)
	}
	code := a.run(ctx, args)
	return result{stdout.String(), stderr.String(), code}
}

// lines splits output into its lines, without the last newline.
func lines(s string) []string {
	s = strings.TrimSuffix(s, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// requireOneErrorLine checks that stderr is exactly one line, with no
// trace of a panic.
func requireOneErrorLine(t *testing.T, r result) string {
	t.Helper()
	ls := lines(r.stderr)
	require.Len(t, ls, 1, "stderr: %q", r.stderr)
	assert.NotContains(t, r.stderr, "goroutine")
	assert.NotContains(t, r.stderr, "panic")
	return ls[0]
}

func TestRunWithTheRealStreams(t *testing.T) {
	t.Parallel()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"-h"}, strings.NewReader(""), &stdout, &stderr)
	assert.Equal(t, exitOK, code)
	assert.Contains(t, stdout.String(), "Usage:\n  plugctl [flags] COMMAND\n")
	assert.Empty(t, stderr.String())
}
