package plugins_test

import (
	"context"
	"io"
	"net/http"
	"testing"

	"github.com/go-dockerplugins/plugins"
	"github.com/go-dockerplugins/plugins/pluginstest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCallRaw(t *testing.T) {
	env := pluginstest.New(t)
	fp := env.ServeSocket("p", "X").
		HandleFunc("X.Echo", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain")
			body, _ := io.ReadAll(r.Body)
			_, _ = w.Write(append([]byte("got:"), body...))
		}).
		Handle("X.Fail", pluginstest.ReplyError(http.StatusConflict, "in use")).
		Inject(pluginstest.Fault{Method: "X.Echo", Times: 1, Drop: true})
	p, err := env.Store().Get("p", "X")
	require.NoError(t, err)

	tests := []struct {
		name   string
		method string
		body   []byte
		want   string
		err    string
		status int
	}{
		{name: "body sent as is, answer undecoded, retried after a drop", method: "X.Echo", body: []byte(`{"a": 1}`), want: `got:{"a": 1}`},
		{name: "nil body is empty", method: "X.Echo", want: "got:"},
		{name: "not JSON", method: "X.Echo", body: []byte("plain"), want: "got:plain"},
		{name: "error answer", method: "X.Fail", err: "X.Fail: in use", status: http.StatusConflict},
		{name: "missing method", method: "X.Missing", status: http.StatusNotFound, err: "X.Missing: 404 page not found\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := p.Client.CallRaw(context.Background(), tt.method, tt.body)
			if tt.err != "" {
				require.EqualError(t, err, tt.err)
				var se *plugins.StatusError
				require.ErrorAs(t, err, &se)
				assert.Equal(t, tt.status, se.StatusCode)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, string(got))
		})
	}
	echoes := fp.Calls("X.Echo")
	require.Len(t, echoes, 4, "the dropped call was resent")
	assert.Equal(t, echoes[0].Body, echoes[1].Body, "a retry resends the whole body")
	assert.EqualValues(t, 0, echoes[2].ContentLength, "a nil body is empty, not null")
}

func TestStoreActivateIgnoresInterfaces(t *testing.T) {
	env := pluginstest.New(t)
	fp := env.ServeSpec("net", "NetworkDriver")
	ran := 0
	env.Store().Handle("NetworkDriver", func(string, *plugins.Client) { ran++ })

	p, err := env.Store().Activate(context.Background(), "net")
	require.NoError(t, err)
	assert.Equal(t, []string{"NetworkDriver"}, p.Manifest.Implements)
	assert.Equal(t, 1, ran, "handlers run")

	again, err := env.Store().GetContext(context.Background(), "net", "NetworkDriver")
	require.NoError(t, err)
	assert.Same(t, p, again, "Activate fills the cache")
	assert.Len(t, fp.Calls("Plugin.Activate"), 1)

	_, err = env.Store().Activate(context.Background(), "missing")
	require.ErrorIs(t, err, plugins.ErrNotFound)
	_, err = env.Store().Activate(context.Background(), "../x")
	require.ErrorIs(t, err, plugins.ErrInvalidName)
}
