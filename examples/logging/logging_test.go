package logging_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/containerd/log"
	"github.com/go-dockerplugins/plugins"
	"github.com/go-dockerplugins/plugins/internal/testkit"
	"github.com/go-dockerplugins/plugins/pluginstest"
	"github.com/sirupsen/logrus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// flaky serves a plugin whose X.Do drops the connection once: the library
// logs the resend.
func flaky(t *testing.T, logger plugins.LoggerOption) {
	env := pluginstest.New(t)
	env.ServeSocket("p", "X").Handle("X.Do", pluginstest.Reply("ok")).
		Inject(pluginstest.Fault{Method: "X.Do", Times: 2, Drop: true})
	p, err := env.NewStore(logger).Get("p", "X")
	require.NoError(t, err)
	require.NoError(t, p.Client.Call("X.Do", nil, nil))
}

// A program that logs with containerd/log hands the library its logger
// as it is: log.G(ctx) is a logrus entry, with its fields.
func TestContainerdLog(t *testing.T) {
	var out testkit.Buffer
	base := logrus.New()
	base.SetOutput(&out)
	ctx := log.WithLogger(context.Background(), logrus.NewEntry(base).WithField("component", "daemon"))

	flaky(t, plugins.WithLogger(log.G(ctx)))

	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.Len(t, lines, 2, out.String())
	for _, l := range lines {
		assert.Contains(t, l, "level=warning")
		assert.Contains(t, l, "component=daemon", "the program's own fields")
		assert.Contains(t, l, "plugin=p")
	}
}

// A program that logs with log/slog routes the library's lines to its
// handler in one line.
func TestSlog(t *testing.T) {
	var out testkit.Buffer
	logger := slog.New(slog.NewJSONHandler(&out, nil)).With("component", "daemon")

	flaky(t, plugins.WithLogger(plugins.SlogLogger(logger)))

	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.Len(t, lines, 2, out.String())
	for _, l := range lines {
		assert.Contains(t, l, `"level":"WARN"`)
		assert.Contains(t, l, `"component":"daemon"`)
		assert.Contains(t, l, `"plugin":"p"`)
	}
}
