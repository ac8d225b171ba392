package logdriver_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/go-dockerplugins/plugins"
	"github.com/go-dockerplugins/plugins/internal/typedtest"
	"github.com/go-dockerplugins/plugins/logdriver"
	"github.com/go-dockerplugins/plugins/pluginstest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fixture serves a logging plugin and makes typed clients of it.
var fixture = typedtest.Fixture[*logdriver.Client]{Name: "logs", Interface: logdriver.Interface, FromPlugin: logdriver.FromPlugin}

var (
	created = time.Date(2025, 3, 4, 5, 6, 7, 890000000, time.UTC)
	info    = logdriver.Info{
		Config:              map[string]string{"tag": "web", "max-size": "1m"},
		ContainerID:         "c0ffee",
		ContainerName:       "/web",
		ContainerEntrypoint: "/bin/sh",
		ContainerArgs:       []string{"-c", "echo hi"},
		ContainerImageID:    "sha256:abc",
		ContainerImageName:  "alpine:3.20",
		ContainerCreated:    created,
		ContainerEnv:        []string{"PATH=/bin"},
		ContainerLabels:     map[string]string{"app": "web"},
		DaemonName:          "docker",
	}
	infoJSON = `{"Config":{"max-size":"1m","tag":"web"},"ContainerID":"c0ffee","ContainerName":"/web","ContainerEntrypoint":"/bin/sh",` +
		`"ContainerArgs":["-c","echo hi"],"ContainerImageID":"sha256:abc","ContainerImageName":"alpine:3.20",` +
		`"ContainerCreated":"2025-03-04T05:06:07.89Z","ContainerEnv":["PATH=/bin"],"ContainerLabels":{"app":"web"},"LogPath":"","DaemonName":"docker"}`
	// zeroInfoJSON: no key is left out, as in the engine's struct.
	zeroInfoJSON = `{"Config":null,"ContainerID":"","ContainerName":"","ContainerEntrypoint":"","ContainerArgs":null,"ContainerImageID":"",` +
		`"ContainerImageName":"","ContainerCreated":"0001-01-01T00:00:00Z","ContainerEnv":null,"ContainerLabels":null,"LogPath":"","DaemonName":""}`
)

const fifo = "/run/docker/logging/4d3c2b1a"

func TestFromPlugin(t *testing.T) {
	fixture.CheckFromPlugin(t)
}

// call is a call of one method through the typed client, its error only.
type call struct {
	method string
	do     func(context.Context, *logdriver.Client) error
}

func capabilities(ctx context.Context, c *logdriver.Client) error {
	_, err := c.Capabilities(ctx)
	return err
}

func startLogging(req logdriver.StartLoggingRequest) func(context.Context, *logdriver.Client) error {
	return func(ctx context.Context, c *logdriver.Client) error { return c.StartLogging(ctx, req) }
}

func stopLogging(ctx context.Context, c *logdriver.Client) error {
	return c.StopLogging(ctx, logdriver.StopLoggingRequest{File: fifo})
}

func readLogs(req logdriver.ReadLogsRequest) func(context.Context, *logdriver.Client) error {
	return func(ctx context.Context, c *logdriver.Client) error {
		rc, err := c.ReadLogs(ctx, req)
		if err != nil {
			return err
		}
		defer rc.Close()
		_, err = io.Copy(io.Discard, rc)
		return err
	}
}

// The requests as sent, byte for byte what the engine sends.
func TestRequestJSON(t *testing.T) {
	since := time.Date(2025, 3, 4, 0, 0, 0, 600, time.UTC)
	tests := []struct {
		name string
		call call
		want string
	}{
		{"Capabilities has no body", call{"LogDriver.Capabilities", capabilities}, ``},
		{
			"StartLogging", call{"LogDriver.StartLogging", startLogging(logdriver.StartLoggingRequest{File: fifo, Info: info})},
			`{"File":"` + fifo + `","Info":` + infoJSON + `}` + "\n",
		},
		{
			"StartLogging, zero Info", call{"LogDriver.StartLogging", startLogging(logdriver.StartLoggingRequest{File: fifo})},
			`{"File":"` + fifo + `","Info":` + zeroInfoJSON + `}` + "\n",
		},
		{"StopLogging", call{"LogDriver.StopLogging", stopLogging}, `{"File":"` + fifo + `"}` + "\n"},
		{
			"ReadLogs, all", call{"LogDriver.ReadLogs", readLogs(logdriver.ReadLogsRequest{Info: info, Config: logdriver.ReadConfig{Tail: -1}})},
			`{"Info":` + infoJSON + `,"Config":{"Since":"0001-01-01T00:00:00Z","Until":"0001-01-01T00:00:00Z","Tail":-1,"Follow":false}}` + "\n",
		},
		{
			"ReadLogs, followed",
			call{"LogDriver.ReadLogs", readLogs(logdriver.ReadLogsRequest{Config: logdriver.ReadConfig{Since: since, Until: created, Tail: 10, Follow: true}})},
			`{"Info":` + zeroInfoJSON + `,"Config":{"Since":"2025-03-04T00:00:00.0000006Z","Until":"2025-03-04T05:06:07.89Z","Tail":10,"Follow":true}}` + "\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, fake := fixture.Serve(t)
			fake.Handle(tt.call.method, typedtest.Raw(`{}`))
			require.NoError(t, tt.call.do(context.Background(), c))
			req := typedtest.OnlyRequest(t, fake, tt.call.method)
			assert.Equal(t, tt.want, string(req.Body))
			assert.Equal(t, int64(len(tt.want)), req.ContentLength)
		})
	}
}

func TestCapabilities(t *testing.T) {
	tests := []struct {
		name    string
		handler http.Handler
		want    logdriver.Capability
		wantErr string
		check   func(t *testing.T, err error)
		eof     bool
	}{
		{name: "read back", handler: typedtest.Raw(`{"Cap": {"ReadLogs": true}}`), want: logdriver.Capability{ReadLogs: true}},
		{name: "none", handler: typedtest.Raw(`{"Cap": {}, "Err": ""}`)},
		{name: "the documentation's answer is read as none, as by the engine", handler: typedtest.Raw(`{"ReadLogs": true}`)},
		{name: "not implemented: none, no error", handler: http.NotFoundHandler()},
		{
			name: "Err in a 200 answer, as is", handler: typedtest.Raw(`{"Cap": {"ReadLogs": true}, "Err": "not ready"}`),
			wantErr: "not ready", check: isAnswerError("LogDriver.Capabilities", "not ready"),
		},
		{
			name: "another status", handler: pluginstest.ReplyError(http.StatusInternalServerError, "crashed"),
			wantErr: "LogDriver.Capabilities: crashed", check: isStatusError(http.StatusInternalServerError),
		},
		{name: "an empty answer does not decode, as in the engine", handler: typedtest.Raw(""), eof: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, fake := fixture.Serve(t)
			fake.Handle("LogDriver.Capabilities", tt.handler)
			caps, err := c.Capabilities(context.Background())
			assert.Equal(t, tt.want, caps)
			if tt.eof {
				require.ErrorIs(t, err, io.EOF)
				return
			}
			if tt.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.EqualError(t, err, tt.wantErr)
			if tt.check != nil {
				tt.check(t, err)
			}
		})
	}
}

func isAnswerError(method, msg string) func(t *testing.T, err error) {
	return func(t *testing.T, err error) {
		var ae *plugins.AnswerError
		require.ErrorAs(t, err, &ae)
		assert.Equal(t, &plugins.AnswerError{Method: method, Message: msg}, ae)
		var se *plugins.StatusError
		assert.False(t, errors.As(err, &se))
	}
}

func isStatusError(status int) func(t *testing.T, err error) {
	return func(t *testing.T, err error) {
		var se *plugins.StatusError
		require.ErrorAs(t, err, &se)
		assert.Equal(t, status, se.StatusCode)
		assert.Equal(t, status == http.StatusNotFound, plugins.IsNotFound(err))
	}
}

// StartLogging and StopLogging: Err in a 200 answer as is; neither is optional.
func TestStartStopLogging(t *testing.T) {
	calls := []call{
		{"LogDriver.StartLogging", startLogging(logdriver.StartLoggingRequest{File: fifo, Info: info})},
		{"LogDriver.StopLogging", stopLogging},
	}
	tests := []struct {
		name    string
		handler http.Handler
		wantErr string // %s is the method
		check   func(method string) func(t *testing.T, err error)
		eof     bool
	}{
		{name: "success", handler: typedtest.Raw(`{}`)},
		{name: "empty Err", handler: typedtest.Raw(`{"Err": ""}`)},
		{
			name: "Err", handler: typedtest.Raw(`{"Err": "no space left"}`), wantErr: "no space left",
			check: func(m string) func(*testing.T, error) { return isAnswerError(m, "no space left") },
		},
		{
			name: "another status", handler: pluginstest.ReplyError(http.StatusInternalServerError, "crashed"), wantErr: "%s: crashed",
			check: func(string) func(*testing.T, error) { return isStatusError(http.StatusInternalServerError) },
		},
		{
			name: "not implemented", handler: http.NotFoundHandler(), wantErr: "%s: 404 page not found\n",
			check: func(string) func(*testing.T, error) { return isStatusError(http.StatusNotFound) },
		},
		{name: "an empty answer does not decode, as in the engine", handler: typedtest.Raw(""), eof: true},
	}
	for _, m := range calls {
		for _, tt := range tests {
			t.Run(m.method+"/"+tt.name, func(t *testing.T) {
				c, fake := fixture.Serve(t)
				fake.Handle(m.method, tt.handler)
				err := m.do(context.Background(), c)
				if tt.eof {
					require.ErrorIs(t, err, io.EOF)
					return
				}
				if tt.wantErr == "" {
					require.NoError(t, err)
					return
				}
				require.EqualError(t, err, typedtest.ErrText(tt.wantErr, m.method))
				if tt.check != nil {
					tt.check(m.method)(t, err)
				}
			})
		}
	}
}

func TestReadLogs(t *testing.T) {
	entries := []logdriver.Entry{
		{Source: "stdout", TimeNano: created.UnixNano(), Line: []byte("hello")},
		{Source: "stderr", TimeNano: created.UnixNano() + 1, Line: []byte("par"), Partial: true, PartialMetadata: &logdriver.PartialMetadata{ID: "p1", Ordinal: 1}},
		{Source: "stderr", TimeNano: created.UnixNano() + 2, Line: []byte("t"), Partial: true, PartialMetadata: &logdriver.PartialMetadata{ID: "p1", Ordinal: 2, Last: true}},
	}
	var stream bytes.Buffer
	w := logdriver.NewEntryWriter(&stream)
	for _, e := range entries {
		require.NoError(t, w.WriteEntry(e))
	}
	req := logdriver.ReadLogsRequest{Info: info, Config: logdriver.ReadConfig{Tail: -1}}

	t.Run("a stream of entries", func(t *testing.T) {
		c, fake := fixture.Serve(t)
		fake.Handle("LogDriver.ReadLogs", typedtest.Raw(stream.String()))
		rc, err := c.ReadLogs(context.Background(), req)
		require.NoError(t, err)
		defer rc.Close()
		r := logdriver.NewEntryReader(rc)
		for _, want := range entries {
			got, err := r.Next()
			require.NoError(t, err)
			assert.Equal(t, want, got)
		}
		_, err = r.Next()
		assert.ErrorIs(t, err, io.EOF)
	})

	t.Run("a 200 answer is the stream, whatever it holds", func(t *testing.T) {
		c, fake := fixture.Serve(t)
		fake.Handle("LogDriver.ReadLogs", typedtest.Raw(`{"Err": "not an error"}`))
		rc, err := c.ReadLogs(context.Background(), req)
		require.NoError(t, err)
		defer rc.Close()
		b, err := io.ReadAll(rc)
		require.NoError(t, err)
		assert.Equal(t, `{"Err": "not an error"}`, string(b))
	})

	for _, tt := range []struct {
		name    string
		handler http.Handler
		status  int
		wantErr string
	}{
		{"another status", pluginstest.ReplyError(http.StatusInternalServerError, "no such container"), 500, "LogDriver.ReadLogs: no such container"},
		{"not implemented", http.NotFoundHandler(), 404, "LogDriver.ReadLogs: 404 page not found\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, fake := fixture.Serve(t)
			fake.Handle("LogDriver.ReadLogs", tt.handler)
			rc, err := c.ReadLogs(context.Background(), req)
			require.EqualError(t, err, tt.wantErr)
			assert.Nil(t, rc)
			isStatusError(tt.status)(t, err)
		})
	}
}

// The engine sets no timeout on these calls: only the context bounds them.
func TestNoTimeout(t *testing.T) {
	calls := []call{
		{"LogDriver.Capabilities", capabilities},
		{"LogDriver.StartLogging", startLogging(logdriver.StartLoggingRequest{File: fifo, Info: info})},
		{"LogDriver.StopLogging", stopLogging},
		{"LogDriver.ReadLogs", readLogs(logdriver.ReadLogsRequest{Info: info})},
	}
	for _, m := range calls {
		t.Run(m.method, func(t *testing.T) {
			c, fake := fixture.Serve(t)
			typedtest.NoTimeout(t, fake, m.method, typedtest.Raw(`{}`), 750*time.Millisecond, func(ctx context.Context) error {
				return m.do(ctx, c)
			})
		})
	}
}

// The context given to ReadLogs bounds reading the stream, as a followed
// "docker logs" ends when its client goes away.
func TestReadLogsFollowEndsWithContext(t *testing.T) {
	c, fake := fixture.Serve(t)
	fake.HandleFunc("LogDriver.ReadLogs", func(w http.ResponseWriter, r *http.Request) {
		_ = logdriver.NewEntryWriter(w).WriteEntry(logdriver.Entry{Source: "stdout", Line: []byte("first")})
		w.(http.Flusher).Flush()
		<-r.Context().Done() // following: nothing more until the client leaves
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rc, err := c.ReadLogs(ctx, logdriver.ReadLogsRequest{Config: logdriver.ReadConfig{Follow: true}})
	require.NoError(t, err)
	defer rc.Close()
	r := logdriver.NewEntryReader(rc)
	e, err := r.Next()
	require.NoError(t, err)
	assert.Equal(t, "first", string(e.Line))

	time.AfterFunc(50*time.Millisecond, cancel)
	_, err = r.Next()
	assert.ErrorIs(t, err, context.Canceled)
}
