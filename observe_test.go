package plugins_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-dockerplugins/plugins"
	"github.com/go-dockerplugins/plugins/internal/testkit"
	"github.com/go-dockerplugins/plugins/pluginstest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCallObserver(t *testing.T) {
	t.Parallel()
	env := pluginstest.New(t)
	plugin := echoPlugin(env, "p").
		Handle("X.Fail", pluginstest.ReplyError(http.StatusInternalServerError, "broken")).
		Handle("X.Stream", pluginstest.Reply(strings.Repeat("s", 1000))).
		Inject(pluginstest.Fault{Method: "X.Flaky", Times: 1, Drop: true}).
		Handle("X.Flaky", pluginstest.Reply("ok"))
	var seen testkit.Log[plugins.CallInfo]
	s := env.NewStore(plugins.WithCallObserver(seen.Add))
	p, err := s.Get("p", "X")
	require.NoError(t, err)
	addr := plugin.Addr()
	activation := seen.Take()
	require.Len(t, activation, 1, "the handshake is a call too")
	assert.Equal(t, "Plugin.Activate", activation[0].Method)

	before := time.Now()
	var out string
	require.NoError(t, p.Client.Call("X.Echo", "hello", &out))
	info := seen.Take()
	require.Len(t, info, 1)
	got := info[0]
	assert.Equal(t, "p", got.Plugin)
	assert.Equal(t, "X.Echo", got.Method)
	assert.Equal(t, addr, got.Addr)
	assert.False(t, got.Start.Before(before.Add(-time.Millisecond)))
	assert.Positive(t, got.Duration)
	assert.Equal(t, 1, got.Sends)
	assert.Equal(t, http.StatusOK, got.Status)
	assert.EqualValues(t, len(`"hello"`+"\n"), got.BytesSent)
	assert.EqualValues(t, len(`"hello"`+"\n"), got.BytesReceived)
	assert.NoError(t, got.Err)

	err = p.Client.Call("X.Fail", nil, nil)
	require.Error(t, err)
	got = seen.Take()[0]
	assert.Equal(t, http.StatusInternalServerError, got.Status)
	assert.Equal(t, err, got.Err)
	assert.EqualValues(t, len(`{"Err":"broken"}`+"\n"), got.BytesReceived)

	require.NoError(t, p.Client.Call("X.Flaky", nil, &out))
	got = seen.Take()[0]
	assert.Equal(t, 2, got.Sends, "a resend counts")

	require.NoError(t, p.Client.SendFile("X.Echo", strings.NewReader(`"file"`), &out))
	got = seen.Take()[0]
	assert.EqualValues(t, len(`"file"`), got.BytesSent)

	rc, err := p.Client.Stream("X.Stream", nil)
	require.NoError(t, err)
	assert.Empty(t, seen.Take(), "a stream is reported once closed")
	n, err := io.Copy(io.Discard, rc)
	require.NoError(t, err)
	require.NoError(t, rc.Close())
	require.NoError(t, rc.Close())
	infos := seen.Take()
	require.Len(t, infos, 1, "once")
	assert.Equal(t, n, infos[0].BytesReceived)

	_, err = p.Client.CallRaw(context.Background(), "X.Echo", []byte(`"raw"`))
	require.NoError(t, err)
	assert.Len(t, seen.Take(), 1)
}

// A program that logs with log/slog routes the library's lines there in
// one line, with their fields as attributes.
func TestSlogLogger(t *testing.T) {
	t.Parallel()
	var buf testkit.Buffer
	h := slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})
	env := pluginstest.New(t)
	env.ServeSocket("p", "X").Handle("X.Flaky", pluginstest.Reply("ok")).
		Inject(pluginstest.Fault{Method: "X.Flaky", Times: 2, Drop: true})
	s := env.NewStore(plugins.WithLogger(plugins.SlogLogger(slog.New(h))))
	p, err := s.Get("p", "X")
	require.NoError(t, err)
	require.NoError(t, p.Client.Call("X.Flaky", nil, nil))

	out := buf.String()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 2, out)
	assert.Contains(t, lines[0], "level=WARN")
	assert.Contains(t, lines[0], `attempt=1`)
	assert.Contains(t, lines[0], `error="connection closed without an answer"`)
	assert.Contains(t, lines[0], `method=X.Flaky`)
	assert.Contains(t, lines[1], `attempt=2`)
}

// A missing plugin says once where it was searched for, and each retry in
// a short line.
func TestLookupRetriesAreLoggedShortly(t *testing.T) {
	t.Parallel()
	var buf testkit.Buffer
	h := slog.NewTextHandler(&buf, nil)
	env := pluginstest.New(t)
	s := env.NewStore(plugins.WithLogger(plugins.SlogLogger(slog.New(h))), plugins.WithLookupRetryBudget(200*time.Millisecond))
	_, err := s.Get("missing", "X")
	require.ErrorIs(t, err, plugins.ErrNotFound)

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	require.Greater(t, len(lines), 2)
	assert.Contains(t, lines[0], "searched=", "the paths, once")
	assert.Contains(t, lines[0], "missing.sock")
	for _, l := range lines[1:] {
		assert.NotContains(t, l, "missing.sock")
		assert.Less(t, len(l), 200, l)
	}
}
