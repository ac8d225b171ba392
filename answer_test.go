package plugins_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/docker/go-connections/tlsconfig"
	"github.com/go-dockerplugins/plugins"
	"github.com/go-dockerplugins/plugins/internal/testkit"
	"github.com/go-dockerplugins/plugins/pluginstest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A call returns once its answer is decoded, whatever the plugin does with
// the rest of it; the connection is kept only if the answer was whole.
func TestCallReturnsOnceItsAnswerIsDecoded(t *testing.T) {
	t.Parallel()
	answer := fmt.Sprintf(`{"Name":%q,"N":7}`, strings.Repeat("v", 4<<10)) // a few KiB, chunked
	calls := []struct {
		name string
		call func(c *plugins.Client, out *echoArgs) error
	}{
		{"Call", func(c *plugins.Client, out *echoArgs) error { return c.Call("X.Hold", nil, out) }},
		{"SendFile", func(c *plugins.Client, out *echoArgs) error {
			return c.SendFile("X.Hold", strings.NewReader("{}"), out)
		}},
		{"CallContext", func(c *plugins.Client, out *echoArgs) error {
			return c.CallContext(context.Background(), "X.Hold", nil, out)
		}},
	}
	for _, tt := range calls {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mux := http.NewServeMux()
			mux.Handle("/X.Hold", testkit.HoldOpen(t, http.StatusOK, answer, 3*time.Second))
			mux.HandleFunc("/X.Echo", testkit.Echo)
			srv := testkit.ServeSocket(t, testkit.SocketPath(t, "p"), mux)
			c := newClient(t, srv.Addr(), tlsconfig.Options{})

			var out echoArgs
			start := time.Now()
			require.NoError(t, tt.call(c, &out))
			assert.Less(t, time.Since(start), time.Second, "the call waited for the end of the answer")
			assert.Equal(t, 7, out.N)
			require.Eventually(t, func() bool { return srv.Closed() == 1 }, 5*time.Second, 5*time.Millisecond,
				"the connection of an unfinished answer is closed")

			// A whole answer keeps its connection.
			require.NoError(t, c.Call("X.Echo", echoArgs{N: 1}, &out))
			require.NoError(t, c.Call("X.Echo", echoArgs{N: 2}, &out))
			assert.Equal(t, 2, srv.Conns())
		})
	}
}

// The activation handshake, too, returns once the manifest is decoded.
func TestActivationReturnsOnceTheManifestIsDecoded(t *testing.T) {
	t.Parallel()
	env := pluginstest.New(t)
	env.ServeSocket("slowend").Handle("Plugin.Activate",
		testkit.HoldOpen(t, http.StatusOK, `{"Implements": ["VolumeDriver"]}`, 3*time.Second))
	start := time.Now()
	p, err := env.Store().Get("slowend", "VolumeDriver")
	require.NoError(t, err)
	assert.Less(t, time.Since(start), time.Second)
	assert.Equal(t, []string{"VolumeDriver"}, p.Manifest.Implements)
}

// errorAnswering serves a plugin whose VolumeDriver.Remove and X.Y answer
// a 500 with the body its caller sets, and returns a client of it.
func errorAnswering(t *testing.T) (*plugins.Client, *atomic.Value) {
	var body atomic.Value
	h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = io.WriteString(w, body.Load().(string))
	})
	p := pluginstest.New(t).ServeSocket("p").Handle("VolumeDriver.Remove", h).Handle("X.Y", h)
	return newClient(t, p.Addr(), tlsconfig.Options{}), &body
}

// The engine's error text for JSON error answers far larger than the 64 KiB
// kept of a raw one: their Err field when json.Unmarshal would find one,
// else the raw text, cut at 64 KiB.
func TestLargeJSONErrorAnswers(t *testing.T) {
	t.Parallel()
	trace := strings.Repeat("t", 100<<10)
	raw := func(body string) string { return "VolumeDriver.Remove: " + body[:errorBound] }
	tests := []struct {
		name string
		body string
		want string
	}{
		{"a 100 KiB trace", `{"Err":"volume data is in use","Trace":"` + trace + `"}`,
			"VolumeDriver.Remove: volume data is in use"},
		{"Err after 1 MiB", `{"Trace":["` + strings.Repeat("frame ", 1<<20/6) + `", {"Err": "nested, not it"}], "err": "in use"}`,
			"VolumeDriver.Remove: in use"},
		{"the last Err counts", `{"Err":"first","Trace":"` + trace + `","ERR":"second"}` + "\n",
			"VolumeDriver.Remove: second"},
		{"null leaves Err", `{"Err":"kept","Trace":"` + trace + `","Err":null}`,
			"VolumeDriver.Remove: kept"},
		{"escaped name and value", `{"\u0045rr":"caf\u00e9 \"x\"","Trace":"` + trace + `"}`,
			`VolumeDriver.Remove: café "x"`},
		{"Err not a string", `{"Err":42,"Trace":"` + trace + `"}`, ""},
		{"garbage after the object", `{"Err":"x","Trace":"` + trace + `"} and more`, ""},
		{"an array", `["Err","` + trace + `"]`, ""},
		{"empty Err", `{"Err":"","Trace":"` + trace + `"}`, ""},
		{"cut short", `{"Err":"x","Trace":"` + trace, ""},
	}
	c, body := errorAnswering(t)
	for _, tt := range tests { // one plugin, one body at a time
		t.Run(tt.name, func(t *testing.T) {
			if tt.want == "" {
				tt.want = raw(tt.body)
			}
			body.Store(tt.body)
			err := c.Call("VolumeDriver.Remove", nil, nil)
			var se *plugins.StatusError
			require.ErrorAs(t, err, &se)
			assert.Equal(t, tt.want, err.Error())
		})
	}
}

// A JSON error answer whose JSON is whole returns at once, even when the
// plugin keeps the answer open: the engine would wait for its end.
func TestErrorAnswerHeldOpenReturnsOnceItsJSONIsWhole(t *testing.T) {
	t.Parallel()
	p := pluginstest.New(t).ServeSocket("p").
		Handle("VolumeDriver.Remove", testkit.HoldOpen(t, http.StatusConflict, `{"Err":"busy"}`, 3*time.Second))
	start := time.Now()
	err := newClient(t, p.Addr(), tlsconfig.Options{}).Call("VolumeDriver.Remove", nil, nil)
	assert.EqualError(t, err, "VolumeDriver.Remove: busy")
	assert.Less(t, time.Since(start), time.Second)
}

// A 200 answer decoded into a result is bounded: over the bound, a clear
// error naming it, at once and in bounded memory. Stream is not bounded.
// Not parallel: it measures the heap.
func TestDecodedAnswersAreBounded(t *testing.T) {
	assert.GreaterOrEqual(t, plugins.DefaultMaxAnswerSize, 64<<20, "room for any real List")

	const gib = 1 << 30
	answer := func(size int64) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Length", fmt.Sprint(size))
			_, _ = io.WriteString(w, `"`)
			chunk := []byte(strings.Repeat("e", 64<<10))
			for n := int64(1); n < size-1; {
				k, err := w.Write(chunk[:min(int64(len(chunk)), size-1-n)])
				n += int64(k)
				if err != nil {
					return
				}
			}
			_, _ = io.WriteString(w, `"`)
		})
	}
	p := pluginstest.New(t).ServeSocket("p").Handle("X.Small", answer(1<<20)).Handle("X.Huge", answer(gib))
	c := newClient(t, p.Addr(), tlsconfig.Options{}, plugins.WithMaxAnswerSize(1<<20))

	var small string
	require.NoError(t, c.Call("X.Small", nil, &small), "an answer of exactly the bound")
	assert.Len(t, small, 1<<20-2)

	for name, call := range map[string]func(any) error{
		"Call":     func(out any) error { return c.Call("X.Huge", nil, out) },
		"SendFile": func(out any) error { return c.SendFile("X.Huge", strings.NewReader("{}"), out) },
		"CallRaw":  func(any) error { _, err := c.CallRaw(context.Background(), "X.Huge", nil); return err },
	} {
		t.Run(name, func(t *testing.T) {
			var out struct{ Name string }
			var err error
			start := time.Now()
			grew := heapGrowth(func() { err = call(&out) })
			var tooLarge *plugins.AnswerTooLargeError
			require.ErrorAs(t, err, &tooLarge)
			assert.EqualValues(t, 1<<20, tooLarge.Limit)
			assert.ErrorContains(t, err, "X.Huge: ")
			assert.ErrorContains(t, err, "answer longer than 1 MiB (the bound set by WithMaxAnswerSize)")
			assert.Less(t, time.Since(start), 5*time.Second)
			assert.Less(t, grew, uint64(16<<20), "allocated while refusing a 1 GiB answer")
		})
	}

	t.Run("Stream", func(t *testing.T) {
		rc, err := c.Stream("X.Huge", nil)
		require.NoError(t, err)
		n, err := io.CopyN(io.Discard, rc, 8<<20)
		require.NoError(t, err, "Stream reads past the bound")
		assert.EqualValues(t, 8<<20, n)
		require.NoError(t, rc.Close())
	})
}

// An Err longer than the 64 KiB kept is cut there, never inside an escape,
// a character or a surrogate pair: the message is the start of the
// engine's, valid UTF-8, wherever the bound falls.
func TestLongErrIsCutCleanly(t *testing.T) {
	t.Parallel()
	const unit = `données \"é\" \u00e9\ud83d\ude00 ` // escapes and multi-byte characters
	c, body := errorAnswering(t)
	for k := 0; k <= len(unit); k++ { // the bound falls on every byte of the unit
		long := `"` + strings.Repeat("x", k) + strings.Repeat(unit, 3500) + `"`
		body.Store(`{"Err":` + long + `}`)
		var full string
		require.NoError(t, json.Unmarshal([]byte(long), &full))
		require.Greater(t, len(full), errorBound+len(unit), "an Err past the bound")
		var se *plugins.StatusError
		require.ErrorAs(t, c.Call("X.Y", nil, nil), &se)
		require.True(t, utf8.ValidString(se.Message), "offset %d", k)
		require.True(t, strings.HasPrefix(full, se.Message), "offset %d: the start of the Err, ending %q", k, se.Message[len(se.Message)-12:])
		require.Greater(t, len(se.Message), errorBound/2, "offset %d", k)
		require.LessOrEqual(t, len(se.Message), errorBound, "offset %d", k)
	}
}
