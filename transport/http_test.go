package transport

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNewRequest(t *testing.T) {
	tr := NewHTTPTransport(http.DefaultTransport, "http", "plugin.moby.localhost")
	tests := []struct {
		path, wantPath, wantQuery string
	}{
		{"VolumeDriver.Create", "/VolumeDriver.Create", ""},
		{"/VolumeDriver.Create", "/VolumeDriver.Create", ""},
		{"GraphDriver.ApplyDiff?id=x&parent=y", "/GraphDriver.ApplyDiff", "id=x&parent=y"},
		{"", "/", ""},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			req, err := tr.NewRequest(tt.path, strings.NewReader("{}"))
			require.NoError(t, err)
			assert.Equal(t, http.MethodPost, req.Method)
			assert.Equal(t, "http", req.URL.Scheme)
			assert.Equal(t, "plugin.moby.localhost", req.URL.Host)
			assert.Equal(t, tt.wantPath, req.URL.Path)
			assert.Equal(t, tt.wantQuery, req.URL.RawQuery)
			assert.Equal(t, []string{VersionMimetype}, req.Header.Values("Accept"))
			assert.Empty(t, req.Header.Get("Content-Type"))
			assert.EqualValues(t, 2, req.ContentLength)
		})
	}
}

func TestNewRequestWithContext(t *testing.T) {
	type key struct{}
	ctx := context.WithValue(context.Background(), key{}, "v")
	req, err := NewHTTPTransport(http.DefaultTransport, "https", "127.0.0.1:9443").
		NewRequestWithContext(ctx, "Plugin.Activate", bytes.NewReader(nil))
	require.NoError(t, err)
	assert.Equal(t, "v", req.Context().Value(key{}))
	assert.Equal(t, "https://127.0.0.1:9443/Plugin.Activate", req.URL.String())
	assert.Equal(t, http.NoBody, req.Body, "an empty body is sent as Content-Length: 0")
}

func TestVersionMimetype(t *testing.T) {
	assert.Equal(t, "application/vnd.docker.plugins.v1.2+json", VersionMimetype)
}
