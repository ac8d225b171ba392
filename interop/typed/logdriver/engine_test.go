// Package logdriver_test checks the typed LogDriver client against the
// engine's own logging-plugin adapter (daemon/logger), driven with the same
// inputs, and its entry framing against the engine's encoder and decoder.
// There is no plugin SDK for logging plugins: the plugin is a pluginstest one.
package logdriver_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/docker/docker/api/types/backend"
	enginelogger "github.com/docker/docker/daemon/logger"
	"github.com/go-dockerplugins/plugins"
	"github.com/go-dockerplugins/plugins/internal/typedtest"
	"github.com/go-dockerplugins/plugins/interop/internal/enginetest"
	"github.com/go-dockerplugins/plugins/logdriver"
	"github.com/go-dockerplugins/plugins/pluginstest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const pluginName = "typedlogs"

// fixture serves the fake plugin and makes typed clients of it.
var fixture = typedtest.Fixture[*logdriver.Client]{Name: pluginName, Interface: logdriver.Interface, FromPlugin: logdriver.FromPlugin}

// pair is one fake plugin, called by the engine's adapter and by the
// typed client.
type pair struct {
	fake  *pluginstest.Plugin
	typed *logdriver.Client
	root  string // where the engine's FIFOs are
}

// newPair serves the fake plugin and points the engine's logger at it. The
// engine's plugin getter is global: tests of this package run one at a time.
func newPair(t *testing.T) pair {
	t.Helper()
	fake, typed, client := enginetest.Serve(t, fixture)
	// The engine's plugin store, reduced to the one plugin, which the logger
	// gets as a v1 client. Its paths are mapped into a temporary root, as
	// for a managed plugin, so that the engine makes its FIFO there instead
	// of in /run/docker/logging; the File it sends is the unscoped path
	// either way.
	root := t.TempDir()
	enginelogger.RegisterPluginGetter(&enginetest.Getter{Plugin: enginetest.NewV1Plugin(pluginName, root, client), Capability: logdriver.Interface})
	return pair{fake: fake, typed: typed, root: root}
}

// engineLogger creates the engine's logger for a container, as at its start.
func engineLogger(info enginelogger.Info) (enginelogger.Logger, error) {
	create, err := enginelogger.GetLogDriver(pluginName)
	if err != nil {
		return nil, err
	}
	return create(info)
}

// The same container, described to each side.
var (
	created    = time.Date(2025, 3, 4, 5, 6, 7, 890123456, time.UTC)
	engineInfo = enginelogger.Info{
		Config:              map[string]string{"tag": "{{.Name}}", "mode": "non-blocking"},
		ContainerID:         "c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00",
		ContainerName:       "/web",
		ContainerEntrypoint: "/docker-entrypoint.sh",
		ContainerArgs:       []string{"nginx", "-g", "daemon off;"},
		ContainerImageID:    "sha256:4e1b6bae1e48",
		ContainerImageName:  "nginx:1.27",
		ContainerCreated:    created,
		ContainerEnv:        []string{"PATH=/usr/bin", "NGINX_VERSION=1.27"},
		ContainerLabels:     map[string]string{"com.example.app": "web"},
		DaemonName:          "docker",
	}
	typedInfo = logdriver.Info{
		Config:              map[string]string{"tag": "{{.Name}}", "mode": "non-blocking"},
		ContainerID:         "c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00",
		ContainerName:       "/web",
		ContainerEntrypoint: "/docker-entrypoint.sh",
		ContainerArgs:       []string{"nginx", "-g", "daemon off;"},
		ContainerImageID:    "sha256:4e1b6bae1e48",
		ContainerImageName:  "nginx:1.27",
		ContainerCreated:    created,
		ContainerEnv:        []string{"PATH=/usr/bin", "NGINX_VERSION=1.27"},
		ContainerLabels:     map[string]string{"com.example.app": "web"},
		DaemonName:          "docker",
	}
)

// A container's whole life through the engine's adapter: capabilities, the
// FIFO and StartLogging, entries written, logs read back, StopLogging. The
// plugin reads the engine's entries with EntryReader and answers ReadLogs
// with EntryWriter; the typed client then sends each request again, with
// the same values, and must send the same bytes.
func TestEngineAdapter(t *testing.T) {
	pp := newPair(t)
	fromFIFO := make(chan logdriver.Entry, 16)
	fifoErr := make(chan error, 1)
	var starts atomic.Int32
	pp.fake.
		Handle("LogDriver.Capabilities", pluginstest.Reply(logdriver.CapabilitiesResponse{Cap: logdriver.Capability{ReadLogs: true}})).
		Handle("LogDriver.StartLogging", pluginstest.Func(func(req logdriver.StartLoggingRequest) (any, error) {
			if starts.Add(1) > 1 {
				return logdriver.Response{}, nil // the typed client's call, later
			}
			f, err := os.Open(filepath.Join(pp.root, req.File))
			if err != nil {
				return logdriver.Response{Err: err.Error()}, nil
			}
			go func() {
				defer f.Close()
				r := logdriver.NewEntryReader(f)
				for {
					e, err := r.Next()
					if err != nil {
						fifoErr <- err
						return
					}
					fromFIFO <- e
				}
			}()
			return logdriver.Response{}, nil
		})).
		Handle("LogDriver.StopLogging", pluginstest.Reply(logdriver.Response{}))

	var readBack []logdriver.Entry // what the plugin answers ReadLogs with
	pp.fake.HandleFunc("LogDriver.ReadLogs", func(w http.ResponseWriter, _ *http.Request) {
		ew := logdriver.NewEntryWriter(w)
		for _, e := range readBack {
			_ = ew.WriteEntry(e)
		}
	})

	lg, err := engineLogger(engineInfo)
	require.NoError(t, err)

	// What the engine writes to the FIFO, as the plugin reads it.
	at := time.Date(2025, 3, 4, 5, 6, 8, 123456789, time.UTC)
	messages := []struct {
		line   string
		source string
		time   time.Time
		meta   *backend.PartialLogMetaData
		want   logdriver.Entry
	}{
		{"hello", "stdout", at, nil, logdriver.Entry{Source: "stdout", TimeNano: at.UnixNano(), Line: []byte("hello")}},
		{
			"a long line, ", "stderr", at, &backend.PartialLogMetaData{ID: "p1", Ordinal: 1},
			logdriver.Entry{Source: "stderr", TimeNano: at.UnixNano(), Line: []byte("a long line, "), Partial: true, PartialMetadata: &logdriver.PartialMetadata{ID: "p1", Ordinal: 1}},
		},
		{
			"split", "stderr", at.Add(time.Nanosecond), &backend.PartialLogMetaData{ID: "p1", Ordinal: 2, Last: true},
			logdriver.Entry{Source: "stderr", TimeNano: at.UnixNano() + 1, Line: []byte("split"), Partial: true, PartialMetadata: &logdriver.PartialMetadata{ID: "p1", Ordinal: 2, Last: true}},
		},
		{"", "stdout", time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC), nil, logdriver.Entry{Source: "stdout", TimeNano: time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()}},
	}
	for _, m := range messages {
		msg := enginelogger.NewMessage()
		msg.Line = append(msg.Line, m.line...)
		msg.Source = m.source
		msg.Timestamp = m.time
		msg.PLogMetaData = m.meta
		require.NoError(t, lg.Log(msg))
	}
	for _, m := range messages {
		select {
		case got := <-fromFIFO:
			assert.Equal(t, m.want, got)
		case err := <-fifoErr:
			t.Fatalf("reading the FIFO: %v", err)
		case <-time.After(10 * time.Second):
			t.Fatal("no entry from the FIFO")
		}
	}

	// Read back through the engine: what it decodes of the typed writer's entries.
	readBack = []logdriver.Entry{
		{Source: "stdout", TimeNano: at.UnixNano(), Line: []byte("first")},
		{Source: "stderr", TimeNano: at.UnixNano() + 5, Line: []byte("second"), Partial: true, PartialMetadata: &logdriver.PartialMetadata{ID: "x", Ordinal: 1}},
	}
	reader, ok := lg.(enginelogger.LogReader)
	require.True(t, ok, "the engine reads logs back: Cap.ReadLogs was true")
	since := at.Add(-time.Hour)
	configs := []struct {
		engine enginelogger.ReadConfig
		typed  logdriver.ReadConfig
	}{
		{enginelogger.ReadConfig{Tail: -1}, logdriver.ReadConfig{Tail: -1}},
		{enginelogger.ReadConfig{Since: since, Until: at.Add(time.Hour), Tail: 100, Follow: true}, logdriver.ReadConfig{Since: since, Until: at.Add(time.Hour), Tail: 100, Follow: true}},
	}
	for _, cfg := range configs {
		watcher := reader.ReadLogs(context.Background(), cfg.engine)
		var got []logdriver.Entry
		for msg := range watcher.Msg {
			got = append(got, logdriver.Entry{Source: msg.Source, TimeNano: msg.Timestamp.UnixNano(), Line: msg.Line})
		}
		select {
		case err := <-watcher.Err:
			t.Fatalf("engine reading logs: %v", err)
		default:
		}
		// The engine's adapter keeps no partial flags: compare what it keeps.
		require.Len(t, got, len(readBack))
		for i, e := range readBack {
			assert.Equal(t, logdriver.Entry{Source: e.Source, TimeNano: e.TimeNano, Line: e.Line}, got[i])
		}
	}
	require.NoError(t, lg.Close())
	select {
	case err := <-fifoErr:
		assert.Equal(t, io.EOF, err, "the FIFO ends between two entries once the engine closes it")
	case <-time.After(10 * time.Second):
		t.Fatal("the FIFO did not end")
	}

	// The engine's requests, then the typed client's with the same values.
	engineCaps := typedtest.OnlyRequest(t, pp.fake, "LogDriver.Capabilities")
	engineStart := typedtest.OnlyRequest(t, pp.fake, "LogDriver.StartLogging")
	engineStop := typedtest.OnlyRequest(t, pp.fake, "LogDriver.StopLogging")
	engineReads := pp.fake.Calls("LogDriver.ReadLogs")
	require.Len(t, engineReads, len(configs))
	var sent logdriver.StartLoggingRequest
	require.NoError(t, json.Unmarshal(engineStart.Body, &sent))
	assert.Regexp(t, `^/run/docker/logging/[0-9a-f]{64}$`, sent.File)
	file := sent.File

	ctx := context.Background()
	caps, err := pp.typed.Capabilities(ctx)
	require.NoError(t, err)
	assert.Equal(t, logdriver.Capability{ReadLogs: true}, caps)
	require.NoError(t, pp.typed.StartLogging(ctx, logdriver.StartLoggingRequest{File: file, Info: typedInfo}))
	require.NoError(t, pp.typed.StopLogging(ctx, logdriver.StopLoggingRequest{File: file}))
	for i, cfg := range configs {
		rc, err := pp.typed.ReadLogs(ctx, logdriver.ReadLogsRequest{Info: typedInfo, Config: cfg.typed})
		require.NoError(t, err)
		r := logdriver.NewEntryReader(rc)
		for _, want := range readBack {
			got, err := r.Next()
			require.NoError(t, err)
			assert.Equal(t, want, got, "the typed reader keeps the partial metadata too")
		}
		_, err = r.Next()
		assert.Equal(t, io.EOF, err)
		require.NoError(t, rc.Close())
		enginetest.SameRequestAndQuery(t, engineReads[i], pp.fake.Calls("LogDriver.ReadLogs")[len(configs)+i])
	}
	enginetest.SameRequestAndQuery(t, engineCaps, pp.fake.Calls("LogDriver.Capabilities")[1])
	enginetest.SameRequestAndQuery(t, engineStart, pp.fake.Calls("LogDriver.StartLogging")[1])
	enginetest.SameRequestAndQuery(t, engineStop, pp.fake.Calls("LogDriver.StopLogging")[1])
}

// What the engine makes of each Capabilities answer, and what the typed
// client returns: the same capabilities, and an error where the engine
// silently assumes none (except a 404, the optional method's fallback).
func TestEngineCapabilities(t *testing.T) {
	tests := []struct {
		name     string
		handler  http.Handler
		readLogs bool
		wantErr  string
	}{
		{name: "read back", handler: typedtest.Raw(`{"Cap": {"ReadLogs": true}}`), readLogs: true},
		{name: "keys in any case", handler: typedtest.Raw(`{"cap": {"readlogs": true}}`), readLogs: true},
		{name: "none", handler: typedtest.Raw(`{"Cap": {"ReadLogs": false}}`)},
		{name: "the documentation's answer", handler: typedtest.Raw(`{"ReadLogs": true}`)},
		{name: "not implemented", handler: http.NotFoundHandler()},
		{name: "Err in a 200 answer", handler: typedtest.Raw(`{"Cap": {"ReadLogs": true}, "Err": "not ready"}`), wantErr: "not ready"},
		{name: "another status", handler: pluginstest.ReplyError(http.StatusInternalServerError, "crashed"), wantErr: "LogDriver.Capabilities: crashed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pp := newPair(t)
			pp.fake.Handle("LogDriver.Capabilities", tt.handler).
				Handle("LogDriver.StartLogging", pluginstest.Reply(logdriver.Response{})).
				Handle("LogDriver.StopLogging", pluginstest.Reply(logdriver.Response{}))

			lg, err := engineLogger(engineInfo)
			require.NoError(t, err, "the engine ignores every error of Capabilities")
			_, engineReads := lg.(enginelogger.LogReader)
			require.NoError(t, lg.Close())

			caps, err := pp.typed.Capabilities(context.Background())
			assert.Equal(t, engineReads, caps.ReadLogs)
			assert.Equal(t, tt.readLogs, caps.ReadLogs)
			if tt.wantErr == "" {
				assert.NoError(t, err)
			} else {
				assert.EqualError(t, err, tt.wantErr)
			}
		})
	}
}

// The engine's error texts for StartLogging, StopLogging and ReadLogs are
// the typed client's, with the engine's own words before them.
func TestEngineErrors(t *testing.T) {
	tests := []struct {
		name    string
		handler http.Handler
		wantErr string // the typed client's
		answer  bool   // a *plugins.AnswerError, else a *plugins.StatusError
	}{
		{"Err in a 200 answer", pluginstest.Reply(logdriver.Response{Err: "disk full"}), "disk full", true},
		{"another status", pluginstest.ReplyError(http.StatusInternalServerError, "crashed"), "%s: crashed", false},
		{"not implemented", http.NotFoundHandler(), "%s: 404 page not found\n", false},
	}
	for _, tt := range tests {
		t.Run("StartLogging/"+tt.name, func(t *testing.T) {
			pp := newPair(t)
			pp.fake.Handle("LogDriver.StartLogging", tt.handler)
			_, engineErr := engineLogger(engineInfo)
			require.Error(t, engineErr)

			err := pp.typed.StartLogging(context.Background(), logdriver.StartLoggingRequest{File: "/run/docker/logging/x", Info: typedInfo})
			checkErr(t, err, typedtest.ErrText(tt.wantErr, "LogDriver.StartLogging"), tt.answer)
			assert.Equal(t, "error creating logger: "+err.Error(), engineErr.Error())
		})
		t.Run("StopLogging/"+tt.name, func(t *testing.T) {
			pp := newPair(t)
			pp.fake.Handle("LogDriver.StartLogging", pluginstest.Reply(logdriver.Response{})).
				Handle("LogDriver.StopLogging", tt.handler)
			lg, err := engineLogger(engineInfo)
			require.NoError(t, err)
			engineErr := lg.Close()
			require.Error(t, engineErr)

			err = pp.typed.StopLogging(context.Background(), logdriver.StopLoggingRequest{File: "/run/docker/logging/x"})
			checkErr(t, err, typedtest.ErrText(tt.wantErr, "LogDriver.StopLogging"), tt.answer)
			assert.Equal(t, err.Error(), engineErr.Error())
		})
	}
	for _, tt := range tests[1:] { // ReadLogs has no Err: a 200 answer is the stream
		t.Run("ReadLogs/"+tt.name, func(t *testing.T) {
			pp := newPair(t)
			pp.fake.Handle("LogDriver.Capabilities", pluginstest.Reply(logdriver.CapabilitiesResponse{Cap: logdriver.Capability{ReadLogs: true}})).
				Handle("LogDriver.StartLogging", pluginstest.Reply(logdriver.Response{})).
				Handle("LogDriver.StopLogging", pluginstest.Reply(logdriver.Response{})).
				Handle("LogDriver.ReadLogs", tt.handler)
			lg, err := engineLogger(engineInfo)
			require.NoError(t, err)
			defer lg.Close()
			watcher := lg.(enginelogger.LogReader).ReadLogs(context.Background(), enginelogger.ReadConfig{Tail: -1})
			var engineErr error
			select {
			case engineErr = <-watcher.Err:
			case <-time.After(10 * time.Second):
				t.Fatal("no error from the engine")
			}

			_, err = pp.typed.ReadLogs(context.Background(), logdriver.ReadLogsRequest{Info: typedInfo})
			checkErr(t, err, typedtest.ErrText(tt.wantErr, "LogDriver.ReadLogs"), false)
			assert.Equal(t, "error getting log reader: "+err.Error(), engineErr.Error())
		})
	}
}

func checkErr(t *testing.T, err error, want string, answer bool) {
	t.Helper()
	require.EqualError(t, err, want)
	var ae *plugins.AnswerError
	var se *plugins.StatusError
	assert.Equal(t, answer, errors.As(err, &ae), "AnswerError")
	assert.Equal(t, !answer, errors.As(err, &se), "StatusError")
}
