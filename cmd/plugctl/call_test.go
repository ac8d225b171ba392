package main

import (
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/go-dockerplugins/plugins/pluginstest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCall(t *testing.T) {
	t.Parallel()
	env := pluginstest.New(t)
	vol := env.ServeSocket("vol", "VolumeDriver").
		Handle("VolumeDriver.Path", pluginstest.Reply(map[string]string{"Mountpoint": "/mnt/x"})).
		Handle("VolumeDriver.Mount", pluginstest.ReplyError(http.StatusInternalServerError, "no such volume: x")).
		Handle("VolumeDriver.Remove", pluginstest.Reply(map[string]string{"Err": "volume x is in use"})).
		HandleFunc("VolumeDriver.Text", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("plain text")) })
	file := filepath.Join(t.TempDir(), "arg.json")
	require.NoError(t, os.WriteFile(file, []byte(`{"Name": "from-file"}`+"\n"), 0o644))
	emptyFile := filepath.Join(t.TempDir(), "empty.json")
	require.NoError(t, os.WriteFile(emptyFile, []byte("\n"), 0o644))

	tests := []struct {
		name     string
		args     []string
		stdin    string
		code     int
		stdout   string
		stderr   string // the one line on stderr, if any
		sentBody string
	}{
		{
			name:     "inline JSON, pretty answer",
			args:     []string{"vol", "VolumeDriver.Path", `{"Name":"x"}`},
			stdout:   "{\n  \"Mountpoint\": \"/mnt/x\"\n}\n",
			sentBody: `{"Name":"x"}`,
		},
		{
			name:     "no argument sends {}, as a daemon does",
			args:     []string{"vol", "VolumeDriver.Path"},
			stdout:   "{\n  \"Mountpoint\": \"/mnt/x\"\n}\n",
			sentBody: `{}`,
		},
		{
			name:     "an empty file sends {}",
			args:     []string{"vol", "VolumeDriver.Path", "@" + emptyFile},
			stdout:   "{\n  \"Mountpoint\": \"/mnt/x\"\n}\n",
			sentBody: `{}`,
		},
		{
			name:     "an empty stdin sends {}",
			args:     []string{"vol", "VolumeDriver.Path", "-"},
			stdin:    " \n",
			stdout:   "{\n  \"Mountpoint\": \"/mnt/x\"\n}\n",
			sentBody: `{}`,
		},
		{
			name:     "argument from a file",
			args:     []string{"vol", "VolumeDriver.Path", "@" + file},
			stdout:   "{\n  \"Mountpoint\": \"/mnt/x\"\n}\n",
			sentBody: `{"Name": "from-file"}`,
		},
		{
			name:     "argument from stdin",
			args:     []string{"vol", "VolumeDriver.Path", "-"},
			stdin:    "  {\"Name\": \"stdin\"}\n",
			stdout:   "{\n  \"Mountpoint\": \"/mnt/x\"\n}\n",
			sentBody: `{"Name": "stdin"}`,
		},
		{
			name:     "an answer that is not JSON is printed as is",
			args:     []string{"vol", "VolumeDriver.Text"},
			stdout:   "plain text\n",
			sentBody: `{}`,
		},
		{
			name:     "plugin error",
			args:     []string{"vol", "VolumeDriver.Mount", `{"Name":"x"}`},
			code:     exitFailure,
			stderr:   "plugctl call: VolumeDriver.Mount: no such volume: x (status 500)",
			sentBody: `{"Name":"x"}`,
		},
		{
			name:     "Err in a successful answer",
			args:     []string{"vol", "VolumeDriver.Remove", `{"Name":"x"}`},
			code:     exitFailure,
			stdout:   "{\n  \"Err\": \"volume x is in use\"\n}\n",
			stderr:   "plugctl call: VolumeDriver.Remove: the plugin answered with an error: volume x is in use",
			sentBody: `{"Name":"x"}`,
		},
		{
			name:     "method not implemented",
			args:     []string{"vol", "VolumeDriver.Capabilities"},
			code:     exitFailure,
			stderr:   "plugctl call: VolumeDriver.Capabilities: 404 page not found (status 404)",
			sentBody: `{}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(vol.Requests())
			r := plugctlWith(t, env, tt.stdin, nil, append([]string{"call"}, tt.args...)...)
			assert.Equal(t, tt.code, r.code, r.stderr)
			assert.Equal(t, tt.stdout, r.stdout)
			if tt.stderr == "" {
				assert.Empty(t, r.stderr)
			} else {
				assert.Equal(t, tt.stderr, requireOneErrorLine(t, r))
			}
			reqs := vol.Requests()[before:]
			require.NotEmpty(t, reqs)
			last := reqs[len(reqs)-1]
			assert.Equal(t, tt.args[1], last.Method)
			assert.Equal(t, tt.sentBody, string(last.Body))
		})
	}
}
