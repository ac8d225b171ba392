package engine_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	engine "github.com/docker/docker/pkg/plugins"
	"github.com/go-dockerplugins/plugins"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// op makes one call with a client and returns its error.
type op struct {
	name string
	do   func(c caller, method string) error
}

var ops = []op{
	{"Call", func(c caller, m string) error {
		return c.Call(m, map[string]string{"Name": "x"}, &struct{ Err string }{})
	}},
	{"Stream", func(c caller, m string) error {
		rc, err := c.Stream(m, nil)
		if err == nil {
			rc.Close()
		}
		return err
	}},
	{"SendFile", func(c caller, m string) error { return c.SendFile(m, strings.NewReader("{}"), &struct{}{}) }},
}

// A plugin's error answer gives the same error text and the same
// IsNotFound from both clients, whatever the call.
func TestErrorsAgree(t *testing.T) {
	const method = "VolumeDriver.Get"
	tests := []struct {
		name        string
		status      int
		contentType string
		body        string
		// want is the error text both give.
		want     string
		notFound bool
	}{
		{"404 from Go's mux", 404, "text/plain; charset=utf-8", "404 page not found\n", method + ": 404 page not found\n", true},
		{"404 with a JSON Err", 404, "application/json", `{"Err":"not implemented"}`, method + ": not implemented", true},
		{"500 from the SDK", 500, "application/vnd.docker.plugins.v1.1+json", `{"Err":"no such volume: x"}` + "\n", method + ": no such volume: x", false},
		{"JSON Err is matched case-insensitively", 500, "application/json", `{"err":"lower case"}`, method + ": lower case", false},
		{"empty Err: the raw body", 500, "application/json", `{"Err":""}`, method + `: {"Err":""}`, false},
		{"Err not a string: the raw body", 500, "application/json", `{"Err":42}`, method + `: {"Err":42}`, false},
		{"JSON array: the raw body", 500, "application/json", `["x"]`, method + `: ["x"]`, false},
		{"JSON then garbage: the raw body", 500, "application/json", `{"Err":"x"} trailing`, method + `: {"Err":"x"} trailing`, false},
		{"empty body", 500, "text/plain", "", method + ": ", false},
		{"plain-text 400 from the SDK", 400, "text/plain; charset=utf-8", "unexpected EOF\n", method + ": unexpected EOF\n", false},
		{"403 with Err", 403, "application/json", `{"Allow":false,"Err":"denied"}`, method + ": denied", false},
		{"201 is not success", 201, "application/json", `{"Err":"created"}`, method + ": created", false},
		{"204 is not success", 204, "application/json", "", method + ": ", false},
		{"503 is not retried", 503, "text/plain", "busy", method + ": busy", false},
		{"UTF-8 message", 500, "application/json", `{"Err":"volume «données» introuvable"}`, method + ": volume «données» introuvable", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, addr := plugAts[0].listen(t)
			serveRecorder(t, l, func(*http.Request) string { return rawResponse(tt.status, tt.contentType, tt.body) })
			eng, ours := clients(t, addr)
			for _, o := range ops {
				engErr, ourErr := o.do(eng, method), o.do(ours, method)
				require.Error(t, engErr, o.name)
				require.Error(t, ourErr, o.name)
				assert.Equal(t, tt.want, engErr.Error(), "%s: engine", o.name)
				assert.Equal(t, tt.want, ourErr.Error(), "%s: ours", o.name)
				assert.Equal(t, tt.notFound, engine.IsNotFound(engErr), "%s: engine", o.name)
				assert.Equal(t, tt.notFound, plugins.IsNotFound(ourErr), "%s: ours", o.name)
				var se *plugins.StatusError
				require.True(t, errors.As(ourErr, &se), o.name)
				assert.Equal(t, tt.status, se.StatusCode, o.name)
			}
		})
	}
}

// A 200 answer is decoded whatever its media type: the SDK's v1.1, plain
// JSON, none, or even a wrong one.
func TestAnswersAgree(t *testing.T) {
	for _, ct := range []string{"application/vnd.docker.plugins.v1.1+json", "application/json", "", "text/plain"} {
		t.Run(ct, func(t *testing.T) {
			l, addr := plugAts[0].listen(t)
			serveRecorder(t, l, func(*http.Request) string {
				resp := rawResponse(http.StatusOK, ct, `{"Mountpoint":"/m","Err":"in body"}`)
				if ct == "" {
					resp = strings.Replace(resp, "Content-Type: \r\n", "", 1)
				}
				return resp
			})
			eng, ours := clients(t, addr)
			type answer struct{ Mountpoint, Err string }
			var a, b answer
			require.NoError(t, eng.Call("VolumeDriver.Mount", nil, &a))
			require.NoError(t, ours.Call("VolumeDriver.Mount", nil, &b))
			// A failure inside a 200 body is the caller's to read.
			assert.Equal(t, answer{"/m", "in body"}, a)
			assert.Equal(t, a, b)
		})
	}
}

// Where this library's errors deliberately differ from the engine's, for
// the same answers. Each is in the README's list of differences.
func TestErrorsDiffer(t *testing.T) {
	t.Run("redirects are not followed", func(t *testing.T) {
		// The engine's http.Client follows a 302 and turns the POST into a
		// GET to wherever the plugin points: a call the plugin never got.
		l, addr := plugAts[0].listen(t)
		rec := serveRecorder(t, l, func(r *http.Request) string {
			if r.URL.Path == "/VolumeDriver.Moved" {
				return rawResponse(http.StatusOK, "application/json", `{"Mountpoint":"/elsewhere"}`)
			}
			return "HTTP/1.1 302 Found\r\nLocation: /VolumeDriver.Moved\r\nContent-Length: 5\r\n\r\nmoved"
		})
		eng, ours := clients(t, addr)
		var a struct{ Mountpoint string }
		require.NoError(t, eng.Call("VolumeDriver.Mount", nil, &a), "engine")
		assert.Equal(t, "/elsewhere", a.Mountpoint, "engine")
		followed := rec.take()
		require.Len(t, followed, 2, "engine")
		assert.Equal(t, http.MethodGet, followed[1].req.Method, "engine")

		err := ours.Call("VolumeDriver.Mount", nil, &a)
		require.EqualError(t, err, "VolumeDriver.Mount: moved")
		var se *plugins.StatusError
		require.True(t, errors.As(err, &se))
		assert.Equal(t, http.StatusFound, se.StatusCode)
		assert.Len(t, rec.take(), 1, "ours: one request")
	})

	t.Run("error answers are read up to 64 KiB", func(t *testing.T) {
		// The engine reads an error answer whole into memory, however large.
		body := strings.Repeat("x", 100<<10)
		l, addr := plugAts[0].listen(t)
		serveRecorder(t, l, func(*http.Request) string { return rawResponse(500, "text/plain", body) })
		eng, ours := clients(t, addr)
		assert.Equal(t, "VolumeDriver.Get: "+body, eng.Call("VolumeDriver.Get", nil, nil).Error(), "engine")
		assert.Equal(t, "VolumeDriver.Get: "+body[:64<<10], ours.Call("VolumeDriver.Get", nil, nil).Error(), "ours")
	})

	t.Run("SendFile with a nil result does not decode the answer", func(t *testing.T) {
		// The engine decodes into a throwaway value and fails on an empty body.
		l, addr := plugAts[0].listen(t)
		serveRecorder(t, l, func(*http.Request) string { return rawResponse(http.StatusOK, "application/json", "") })
		eng, ours := clients(t, addr)
		assert.ErrorIs(t, eng.SendFile("GraphDriver.ApplyDiff", strings.NewReader("tar"), nil), io.EOF, "engine")
		assert.NoError(t, ours.SendFile("GraphDriver.ApplyDiff", strings.NewReader("tar"), nil), "ours")
	})

	t.Run("IsNotFound sees through wrapping", func(t *testing.T) {
		// The engine's IsNotFound is a type assertion: a 404 that a caller
		// wrapped with %w is no longer "not found" to it.
		l, addr := plugAts[0].listen(t)
		serveRecorder(t, l, func(*http.Request) string { return rawResponse(404, "text/plain", "404 page not found\n") })
		eng, ours := clients(t, addr)
		engErr := fmt.Errorf("volume driver: %w", eng.Call("VolumeDriver.Capabilities", nil, nil))
		ourErr := fmt.Errorf("volume driver: %w", ours.Call("VolumeDriver.Capabilities", nil, nil))
		assert.Equal(t, engErr.Error(), ourErr.Error())
		assert.False(t, engine.IsNotFound(engErr), "engine")
		assert.True(t, engine.IsNotFound(errors.Unwrap(engErr)), "engine, unwrapped")
		assert.True(t, plugins.IsNotFound(ourErr), "ours")
	})

	t.Run("a malformed answer names the plugin and the method", func(t *testing.T) {
		// The engine returns the decoder's bare error; ours wraps it with
		// the plugin's address and the method, and keeps it as the cause.
		l, addr := plugAts[0].listen(t)
		serveRecorder(t, l, func(*http.Request) string { return rawResponse(http.StatusOK, "application/json", `{"Mountpoint":`) })
		eng, ours := clients(t, addr)
		var a struct{ Mountpoint string }
		engErr, ourErr := eng.Call("VolumeDriver.Mount", nil, &a), ours.Call("VolumeDriver.Mount", nil, &a)
		require.EqualError(t, engErr, "unexpected EOF", "engine")
		require.EqualError(t, ourErr, "plugin at "+addr+": VolumeDriver.Mount: decoding the answer: unexpected EOF", "ours")
		assert.ErrorIs(t, ourErr, io.ErrUnexpectedEOF)
		assert.False(t, plugins.IsNotFound(ourErr))
	})
}
