package bench

import (
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strconv"
	"testing"

	engine "github.com/docker/docker/pkg/plugins"
	"github.com/docker/go-connections/tlsconfig"
	"github.com/go-dockerplugins/plugins"
	"github.com/go-dockerplugins/plugins/bench/internal/pluginserver"
)

// streamSize is the size of the bodies streamed each way.
const streamSize = 256 << 20

// streamers run one 256 MiB transfer each: Stream reads an answer, SendFile
// sends a request body of streamSize.
type streamer struct {
	stream   func() error
	sendFile func() error
}

var streamers = []struct {
	name string
	new  func(b *testing.B) streamer
}{
	{"engine", func(b *testing.B) streamer {
		c, err := engine.NewClient("unix://"+httpSocket(), &tlsconfig.Options{InsecureSkipVerify: true})
		if err != nil {
			b.Fatal(err)
		}
		return streamer{
			stream: func() error { return drain(c.Stream(streamMethod, nil)) },
			sendFile: func() error {
				var out sinkResponse
				return out.check(c.SendFile(pluginserver.Sink, &sizedReader{n: streamSize}, &out))
			},
		}
	}},
	{"lib", func(b *testing.B) streamer {
		c, err := plugins.NewClient("unix://"+httpSocket(), tlsconfig.Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(c.CloseIdleConnections)
		return streamer{
			stream: func() error { return drain(c.Stream(streamMethod, nil)) },
			sendFile: func() error {
				var out sinkResponse
				return out.check(c.SendFile(pluginserver.Sink, &sizedReader{n: streamSize}, &out))
			},
		}
	}},
	{"nethttp", func(b *testing.B) streamer {
		c := newNetHTTP(b)
		return streamer{
			stream: func() error { return drain(c.stream(streamMethod, nil)) },
			sendFile: func() error {
				var out sinkResponse
				return out.check(c.sendFile(pluginserver.Sink, &sizedReader{n: streamSize}, &out))
			},
		}
	}},
	{"raw", newRawStreamer},
}

var streamMethod = pluginserver.Stream + "?size=" + strconv.Itoa(streamSize)

// drain reads a Stream's answer as a caller would, with io.Copy.
func drain(rc io.ReadCloser, err error) error {
	if err != nil {
		return err
	}
	defer rc.Close()
	n, err := io.Copy(io.Discard, rc)
	if err == nil && n != streamSize {
		err = fmt.Errorf("read %d bytes, want %d", n, streamSize)
	}
	return err
}

type sinkResponse struct{ N int64 }

func (s sinkResponse) check(err error) error {
	if err == nil && s.N != streamSize {
		err = fmt.Errorf("plugin read %d bytes, want %d", s.N, streamSize)
	}
	return err
}

// sizedReader yields n bytes of whatever its caller's buffer holds: the
// benchmark measures moving bytes, not producing them.
type sizedReader struct{ n int64 }

func (r *sizedReader) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, io.EOF
	}
	n := int(min(int64(len(p)), r.n))
	r.n -= int64(n)
	return n, nil
}

// BenchmarkStream reads a 256 MiB answer.
func BenchmarkStream(b *testing.B) {
	benchStreams(b, func(s streamer) func() error { return s.stream })
}

// BenchmarkSendFile sends a 256 MiB body of unknown length (chunked).
func BenchmarkSendFile(b *testing.B) {
	benchStreams(b, func(s streamer) func() error { return s.sendFile })
}

func benchStreams(b *testing.B, pick func(streamer) func() error) {
	for _, s := range streamers {
		b.Run("client="+s.name, func(b *testing.B) {
			op := pick(s.new(b))
			if err := op(); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(streamSize)
			done := measureCPU(b)
			for i := 0; i < b.N; i++ {
				if err := op(); err != nil {
					b.Fatal(err)
				}
			}
			done()
		})
	}
}

// newRawStreamer is the floor: the same bytes over a bare UNIX socket,
// copied with a 256 KiB buffer.
func newRawStreamer(b *testing.B) streamer {
	conn, err := net.Dial("unix", filepath.Join(serverDir, pluginserver.RawSocket))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { conn.Close() })
	buf := make([]byte, 256<<10)
	op := func(code byte) error {
		var hdr [9]byte
		hdr[0] = code
		binary.BigEndian.PutUint64(hdr[1:], streamSize)
		_, err := conn.Write(hdr[:])
		return err
	}
	return streamer{
		stream: func() error {
			if err := op(pluginserver.RawSend); err != nil {
				return err
			}
			_, err := io.CopyBuffer(struct{ io.Writer }{io.Discard}, io.LimitReader(conn, streamSize), buf)
			return err
		},
		sendFile: func() error {
			if err := op(pluginserver.RawReceive); err != nil {
				return err
			}
			if _, err := io.CopyBuffer(struct{ io.Writer }{conn}, &sizedReader{n: streamSize}, buf); err != nil {
				return err
			}
			_, err := io.ReadFull(conn, buf[:1])
			return err
		},
	}
}
