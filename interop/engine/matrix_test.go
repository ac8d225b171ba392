package engine_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-dockerplugins/plugins"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	// stall is how long a plugin of the matrix holds an answer or a
	// connection before it ends it: long enough to tell a client that waits
	// for it from one that does not, short enough for the engine to wait.
	stall = 3 * time.Second
	// margin is how much later than the engine this client may return:
	// the suite runs under the race detector on two CPUs.
	margin = 150 * time.Millisecond
	// atOnce bounds a call that must not wait for the stall to end.
	atOnce = time.Second
	// uploadSize is large enough that no socket buffer holds the upload.
	uploadSize = 64 << 20
)

// exchange is one request of a hand-written plugin, its head read and its
// body not: the answer decides what to read, write and when, and whether
// the connection goes on.
type exchange struct {
	conn   net.Conn
	req    *http.Request
	done   <-chan struct{} // closed when the test ends
	closed bool
}

func (x *exchange) readBody()      { _, _ = io.Copy(io.Discard, x.req.Body) }
func (x *exchange) write(s string) { _, _ = io.WriteString(x.conn, s) }
func (x *exchange) close()         { x.closed = true; x.conn.Close() }

// hold waits d, or until the test ends.
func (x *exchange) hold(d time.Duration) {
	select {
	case <-time.After(d):
	case <-x.done:
	}
}

// serveRaw serves answer on a UNIX socket of its own until the test ends,
// and returns the socket's address and the recorder that keeps its
// connections (closed at the end) and its requests (heads only).
func serveRaw(t *testing.T, answer func(*exchange)) (string, *recorder) {
	l, addr := plugAts[0].listen(t)
	r := &recorder{conns: make(map[net.Conn]bool)}
	done := make(chan struct{})
	r.serve(t, l, func(c net.Conn) {
		br := bufio.NewReader(c)
		for {
			req, err := http.ReadRequest(br)
			if err != nil {
				return
			}
			r.mu.Lock()
			r.reqs = append(r.reqs, recorded{req: req})
			r.mu.Unlock()
			x := &exchange{conn: c, req: req, done: done}
			answer(x)
			if x.closed {
				return
			}
		}
	}, func() { close(done) })
	return addr, r
}

// chunkedHead is the head of a chunked JSON answer; extra are header lines.
func chunkedHead(status int, extra ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n", status, http.StatusText(status))
	for _, h := range extra {
		b.WriteString(h + "\r\n")
	}
	b.WriteString("\r\n")
	return b.String()
}

func chunk(s string) string { return fmt.Sprintf("%x\r\n%s\r\n", len(s), s) }

const lastChunk = "0\r\n\r\n"

// lyingLength is a 200 JSON head whose Content-Length is n.
func lyingLength(status, n int) string {
	return fmt.Sprintf("HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", status, http.StatusText(status), n)
}

// matrixOp makes one call and returns what it decoded (or streamed).
type matrixOp struct {
	name string
	do   func(c caller, method string) (string, error)
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

var upload = sync.OnceValue(func() []byte { return make([]byte, uploadSize) })

func sendFileOp(name string, data func() io.Reader) matrixOp {
	return matrixOp{name, func(c caller, m string) (string, error) {
		var ret json.RawMessage
		err := c.SendFile(m, data(), &ret)
		return string(ret), err
	}}
}

var (
	callOp = matrixOp{"Call", func(c caller, m string) (string, error) {
		var ret json.RawMessage
		err := c.Call(m, map[string]string{"Name": "data"}, &ret)
		return string(ret), err
	}}
	streamOp = matrixOp{"Stream", func(c caller, m string) (string, error) {
		rc, err := c.Stream(m, map[string]string{"Name": "data"})
		if err != nil {
			return "", err
		}
		defer rc.Close()
		b, err := io.ReadAll(rc)
		return string(b), err
	}}
	sendFileSmall   = sendFileOp("SendFile", func() io.Reader { return strings.NewReader("tar") })
	sendFileUnknown = sendFileOp("SendFile of 64 MiB, unknown length", func() io.Reader {
		return unknownLength{io.LimitReader(zeros{}, uploadSize)}
	})
	sendFileKnown = sendFileOp("SendFile of a 64 MiB *bytes.Reader", func() io.Reader { return bytes.NewReader(upload()) })
)

// outcome is one call's result and how long it took.
type outcome struct {
	got  string
	err  error
	took time.Duration
}

// text is what the call decoded, or its error's text.
func (o outcome) text() string {
	if o.err != nil {
		return o.err.Error()
	}
	return o.got
}

// short keeps the start and the end of a long text, for messages.
func short(s string) string {
	if len(s) <= 160 {
		return s
	}
	return fmt.Sprintf("%s …(%d bytes)… %s", s[:100], len(s), s[len(s)-40:])
}

// equalText is assert.Equal for texts that may be long.
func equalText(t *testing.T, want, got string, msgAndArgs ...any) bool {
	t.Helper()
	if want == got {
		return true
	}
	return assert.Fail(t, fmt.Sprintf("not equal:\nwant %q\ngot  %q", short(want), short(got)), msgAndArgs...)
}

// engineStatus is the status of the engine's *statusError, which it does
// not export.
func engineStatus(err error) (int, bool) {
	v := reflect.ValueOf(err)
	if v.Kind() != reflect.Pointer || v.Type().String() != "*plugins.statusError" {
		return 0, false
	}
	return int(v.Elem().FieldByName("status").Int()), true
}

// agree asserts that ours is the engine's outcome: the same answer, the
// same status and text, or another failure with the same cause (ours names
// the plugin and the method around it).
func agree(t *testing.T, eng, ours outcome) {
	t.Helper()
	if eng.err == nil {
		require.NoError(t, ours.err, "ours")
		equalText(t, eng.got, ours.got, "ours")
		return
	}
	require.Error(t, ours.err, "ours, where the engine failed with %q", short(eng.err.Error()))
	var se *plugins.StatusError
	if status, isStatus := engineStatus(eng.err); isStatus {
		require.ErrorAs(t, ours.err, &se)
		assert.Equal(t, status, se.StatusCode)
		equalText(t, eng.err.Error(), ours.err.Error(), "ours")
		return
	}
	assert.False(t, errors.As(ours.err, &se), "ours is an answer: %q", short(ours.err.Error()))
	for _, cause := range []error{io.ErrUnexpectedEOF, io.EOF} {
		if errors.Is(eng.err, cause) {
			assert.ErrorIs(t, ours.err, cause)
			return
		}
	}
	assert.True(t, strings.HasSuffix(ours.err.Error(), ": "+eng.err.Error()) || ours.err.Error() == eng.err.Error(),
		"ours %q, engine %q", ours.err, eng.err)
}

type matrixRow struct {
	name   string
	method string // VolumeDriver.Get when empty
	answer func(x *exchange)
	ops    []matrixOp // Call, SendFile and Stream when nil
	// calls is how many calls each client makes in turn (one when zero),
	// pause the wait between them.
	calls int
	pause time.Duration
	// want is the engine's outcome of each call (outcome.text); stream is
	// Stream's when it differs.
	want, stream string
	// differs says why this client's outcome differs from the engine's,
	// for the better; ours is then its outcome for every op.
	differs, ours string
	// prompt: this client returns before the stall ends, where the engine
	// waits for it.
	prompt bool
}

var (
	manifest = `{"Mountpoint":"/m"}`
	// fewKiB is a 200 answer larger than a single read of a small buffer.
	fewKiB   = `{"Mountpoint":"/m","Status":{"log":"` + strings.Repeat("x", 4<<10) + `"}}`
	busy     = `{"Err":"busy"}`
	hugeErr  = `{"Err":"volume data is in use","Trace":"` + strings.Repeat("volume.(*Driver).Remove at driver.go:42; ", 2500) + `"}`
	tooLarge = `{"Err":"too large"}`
	// evil is an answer in bytes that follow an answer: whoever reads it as
	// the next call's answer gets /evil.
	evil = rawResponse(http.StatusOK, "application/json", `{"Mountpoint":"/evil"}`)
)

var matrixRows = []matrixRow{
	// 1.
	{
		name: "close-delimited body",
		answer: func(x *exchange) {
			x.readBody()
			x.write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n" + manifest)
			x.close()
		},
		calls: 2, want: manifest,
	},
	// 2.
	{
		name: "chunked with trailers",
		answer: func(x *exchange) {
			x.readBody()
			x.write(chunkedHead(200, "Trailer: X-Checksum") + chunk(manifest[:5]) + chunk(manifest[5:]) + "0\r\nX-Checksum: 1f\r\n\r\n")
		},
		calls: 2, want: manifest,
	},
	// 3.
	{
		name: "Connection: close, then closed",
		answer: func(x *exchange) {
			x.readBody()
			x.write(strings.Replace(rawResponse(200, "application/json", manifest), "\r\n\r\n", "\r\nConnection: close\r\n\r\n", 1))
			x.close()
		},
		calls: 2, want: manifest,
	},
	// 4. The engine's transport returns an answer that comes while it
	// writes, and gives up the upload 50 ms later.
	{
		name:   "413 during an upload, the rest left unread",
		method: "VolumeDriver.Create",
		answer: func(x *exchange) {
			x.write(rawResponse(413, "application/json", tooLarge))
			x.hold(stall)
			x.close()
		},
		ops:  []matrixOp{callOp, sendFileUnknown, sendFileKnown},
		want: "VolumeDriver.Create: too large",
	},
	{
		name:   "200 during an upload, the rest left unread",
		method: "GraphDriver.ApplyDiff",
		answer: func(x *exchange) {
			x.write(rawResponse(200, "application/json", `{"Size":3}`))
			x.hold(stall)
			x.close()
		},
		ops:  []matrixOp{sendFileUnknown, sendFileKnown},
		want: `{"Size":3}`,
	},
	// 5. Both return a decoded 200 without waiting for the end of its body.
	{
		name: "chunked 200, last chunk stalled, then closed",
		answer: func(x *exchange) {
			x.readBody()
			x.write(chunkedHead(200) + chunk(fewKiB))
			x.hold(stall)
			x.close()
		},
		want: fewKiB, stream: "unexpected EOF",
	},
	{
		name: "200 with Content-Length, connection left open",
		answer: func(x *exchange) {
			x.readBody()
			x.write(rawResponse(200, "application/json", fewKiB))
			x.hold(stall)
			x.close()
		},
		want: fewKiB,
	},
	{
		name: "chunked 500 with a whole Err, last chunk stalled, then closed",
		answer: func(x *exchange) {
			x.readBody()
			x.write(chunkedHead(500) + chunk(busy))
			x.hold(stall)
			x.close()
		},
		want:    "VolumeDriver.Get: unexpected EOF",
		differs: "an error answer whose JSON is whole is not read further; the engine reads to the end, and fails",
		ours:    "VolumeDriver.Get: busy", prompt: true,
	},
	{
		name: "chunked 500 with a whole Err, last chunk stalled, then sent",
		answer: func(x *exchange) {
			x.readBody()
			x.write(chunkedHead(500) + chunk(busy))
			x.hold(stall)
			x.write(lastChunk)
			x.close()
		},
		// The same error, without waiting for the end of the body.
		want: "VolumeDriver.Get: busy", prompt: true,
	},
	// 6. Bytes after the answer are no answer to the next call: the
	// engine's read loop finds them and drops the connection. The pause
	// lets it do so before the next call takes the connection.
	{
		name: "trailing bytes in the answer's write, then a second call",
		answer: func(x *exchange) {
			x.readBody()
			x.write(rawResponse(200, "application/json", manifest) + evil)
		},
		calls: 2, pause: 100 * time.Millisecond, want: manifest,
	},
	{
		name: "trailing bytes after the answer, then a second call",
		answer: func(x *exchange) {
			x.readBody()
			x.write(rawResponse(200, "application/json", manifest))
			x.hold(50 * time.Millisecond)
			x.write(evil)
		},
		calls: 2, pause: 100 * time.Millisecond, want: manifest,
	},
	// 7.
	{
		name: "100 Continue before the 200",
		answer: func(x *exchange) {
			x.write("HTTP/1.1 100 Continue\r\n\r\n")
			x.readBody()
			x.write(rawResponse(200, "application/json", manifest))
		},
		calls: 2, want: manifest,
	},
	{
		name: "102 Processing twice before the 200",
		answer: func(x *exchange) {
			x.readBody()
			x.write("HTTP/1.1 102 Processing\r\n\r\n")
			x.write("HTTP/1.1 102 Processing\r\nX-Progress: 50\r\n\r\n")
			x.write(rawResponse(200, "application/json", manifest))
		},
		calls: 2, want: manifest,
	},
	// 8.
	{
		name: "non-hex chunk size",
		answer: func(x *exchange) {
			x.readBody()
			x.write(chunkedHead(200) + "zz\r\n" + manifest + "\r\n" + lastChunk)
			x.close()
		},
		want: "invalid byte in chunk length",
	},
	{
		name: "chunk size larger than the data, then closed",
		answer: func(x *exchange) {
			x.readBody()
			x.write(chunkedHead(200) + fmt.Sprintf("%x\r\n", 2*len(manifest)) + manifest)
			x.close()
		},
		// The JSON is whole: decoding needs no more.
		want: manifest, stream: "unexpected EOF",
	},
	// 9.
	{
		name: "Content-Length longer than the body, then closed",
		answer: func(x *exchange) {
			x.readBody()
			x.write(lyingLength(200, 2*len(manifest)) + manifest)
			x.close()
		},
		want: manifest, stream: "unexpected EOF",
	},
	{
		name: "Content-Length longer than a cut body, then closed",
		answer: func(x *exchange) {
			x.readBody()
			x.write(lyingLength(200, len(manifest)) + manifest[:8])
			x.close()
		},
		want: "unexpected EOF",
	},
	{
		name: "Content-Length longer than the body, connection left open",
		answer: func(x *exchange) {
			x.readBody()
			x.write(lyingLength(200, 2*len(manifest)) + manifest)
			x.hold(stall)
			x.close()
		},
		want: manifest, stream: "unexpected EOF",
	},
	{
		name: "500 with Content-Length longer than a whole Err, connection left open",
		answer: func(x *exchange) {
			x.readBody()
			x.write(lyingLength(500, 2*len(busy)) + busy)
			x.hold(stall)
			x.close()
		},
		want:    "VolumeDriver.Get: unexpected EOF",
		differs: "an error answer whose JSON is whole is not read further; the engine waits for bytes that never come",
		ours:    "VolumeDriver.Get: busy", prompt: true,
	},
	// 10.
	{
		name:   "500 with Err and a 100 KiB Trace",
		method: "VolumeDriver.Remove",
		answer: func(x *exchange) {
			x.readBody()
			x.write(rawResponse(500, "application/json", hugeErr))
		},
		want: "VolumeDriver.Remove: volume data is in use",
	},
}

// A matrix of answer shapes, each served by hand to both clients with the
// same inputs: this client's outcome is the engine's, or a documented
// better one, and comes no later than the engine's. Every call of the
// matrix runs at once, each client on a plugin of its own, so that the
// stalls overlap and both clients of a row share the same load.
func TestMatrix(t *testing.T) {
	type run struct {
		row            matrixRow
		op             matrixOp
		eng, ours      []outcome
		engReq, ourReq *recorder
		done           chan struct{}
	}
	calls := func(c caller, r *run) []outcome {
		method := r.row.method
		if method == "" {
			method = "VolumeDriver.Get"
		}
		n := max(r.row.calls, 1)
		out := make([]outcome, n)
		for i := range out {
			if i > 0 {
				time.Sleep(r.row.pause)
			}
			start := time.Now()
			got, err := r.op.do(c, method)
			out[i] = outcome{got, err, time.Since(start)}
		}
		return out
	}

	upload() // allocated before any call is timed

	var runs []*run
	for _, row := range matrixRows {
		ops := row.ops
		if ops == nil {
			ops = []matrixOp{callOp, sendFileSmall, streamOp}
		}
		for _, op := range ops {
			r := &run{row: row, op: op, done: make(chan struct{})}
			engAddr, engReq := serveRaw(t, row.answer)
			ourAddr, ourReq := serveRaw(t, row.answer)
			r.engReq, r.ourReq = engReq, ourReq
			eng, _ := clients(t, engAddr)
			_, ours := clients(t, ourAddr)
			runs = append(runs, r)
			go func() {
				defer close(r.done)
				var wg sync.WaitGroup
				wg.Add(2)
				go func() { defer wg.Done(); r.eng = calls(eng, r) }()
				go func() { defer wg.Done(); r.ours = calls(ours, r) }()
				wg.Wait()
			}()
		}
	}

	for _, r := range runs {
		t.Run(r.row.name+"/"+r.op.name, func(t *testing.T) {
			select {
			case <-r.done:
			case <-time.After(4 * stall):
				// The plugins' connections close when the test ends, which
				// ends the calls too.
				t.Fatal("a client did not return")
			}
			want := r.row.want
			if r.row.stream != "" && r.op.name == streamOp.name {
				want = r.row.stream
			}
			for i := range r.eng {
				eng, ours := r.eng[i], r.ours[i]
				t.Logf("call %d: engine %q in %v; ours %q in %v", i+1, short(eng.text()), eng.took, short(ours.text()), ours.took)
				equalText(t, want, eng.text(), "the engine, call %d", i+1)
				if r.row.differs == "" {
					agree(t, eng, ours)
				} else {
					equalText(t, r.row.ours, ours.text(), "ours, call %d (%s)", i+1, r.row.differs)
					var se *plugins.StatusError
					if status, isStatus := engineStatus(eng.err); isStatus && assert.ErrorAs(t, ours.err, &se) {
						assert.Equal(t, status, se.StatusCode)
					}
				}
				assert.LessOrEqual(t, ours.took, eng.took+margin, "ours, call %d, is later than the engine", i+1)
				if r.row.prompt {
					assert.Less(t, ours.took, atOnce, "ours, call %d, waits for the stall", i+1)
				}
			}
			// No retries: the engine's would cost seconds, ours are off.
			assert.Len(t, r.engReq.take(), len(r.eng), "the engine's requests")
			assert.Len(t, r.ourReq.take(), len(r.ours), "our requests")
		})
	}
}
