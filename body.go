package plugins

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// requestBody gives each attempt of a call its body, whole. Bodies are
// written in the caller's goroutine, so once an attempt has failed nothing
// reads them any more.
type requestBody interface {
	// size is the length of the body, or -1 when it is unknown and the body
	// is sent chunked.
	size() int64
	// write writes the body after the head buffered in pc.bw, and flushes.
	write(pc *pconn) error
	// replay readies the body to be sent again after a failed attempt, or
	// says why it cannot be sent again whole.
	replay() error
}

// bytesBody is an encoded body: every attempt sends it whole, with a
// Content-Length (0 for an empty body), as the engine's bytes.Buffer did.
type bytesBody []byte

func (b bytesBody) size() int64 { return int64(len(b)) }

func (b bytesBody) write(pc *pconn) error {
	_, _ = pc.bw.Write(b)
	return pc.bw.Flush()
}

func (b bytesBody) replay() error { return nil }

// readerBody is SendFile's body: the caller's reader, streamed, and
// replayed from a snapshot or by seeking back when a retry needs it.
type readerBody struct {
	src    io.Reader
	buf    *bytes.Buffer // the caller's buffer, drained once the call ends
	length int64         // -1 when unknown (sent chunked)
	seeker io.Seeker
	start  int64
	read   int64 // bytes taken from src by the current attempt
	// sent counts the bytes taken from src by every attempt, for the call
	// observer; a writer goroutine may still add to it as the call returns.
	sent atomic.Int64
}

func newReaderBody(r io.Reader) *readerBody {
	b := &readerBody{src: r, length: -1}
	switch v := r.(type) {
	case nil:
		b.src, b.length = bytes.NewReader(nil), 0
	case *bytes.Buffer:
		// Read a snapshot: the engine's retry resent a drained, empty buffer.
		b.src, b.buf, b.length = bytes.NewReader(v.Bytes()), v, int64(v.Len())
	case *bytes.Reader:
		b.length = int64(v.Len())
	case *strings.Reader:
		b.length = int64(v.Len())
	}
	if s, ok := b.src.(io.Seeker); ok {
		if off, err := s.Seek(0, io.SeekCurrent); err == nil {
			b.seeker, b.start = s, off
		}
	}
	return b
}

func (b *readerBody) size() int64 { return b.length }

func (b *readerBody) write(pc *pconn) error {
	if b.length >= 0 {
		// An in-memory reader of known length: small ones go out with the
		// head in one write, large ones straight from their memory.
		if b.length > int64(pc.bw.Available()) {
			if err := pc.bw.Flush(); err != nil {
				return err
			}
			return b.copyTo(pc.conn)
		}
		if err := b.copyTo(pc.bw); err != nil {
			return err
		}
		return pc.bw.Flush()
	}
	// Chunked, as net/http writes it: the head is flushed first, and each
	// chunk is written as soon as it is read, so a slow producer's data is
	// not held back.
	if err := pc.bw.Flush(); err != nil {
		return err
	}
	return b.writeChunks(pc)
}

// copyTo writes what is left of a known-length body to w; its readers
// (*bytes.Reader, *strings.Reader) are io.WriterTos, which io.Copy lets
// write themselves without a copy.
func (b *readerBody) copyTo(w io.Writer) error {
	n, err := io.Copy(w, b.src)
	b.read += n
	b.sent.Add(n)
	return err
}

// chunkBufSize is the largest chunk of a streamed body: large chunks keep
// system calls few on fast sockets.
const chunkBufSize = 256 << 10

// chunkHead has room for a chunk's size line before its data.
const chunkHead = 18

var chunkBufs = sync.Pool{New: func() any {
	b := make([]byte, chunkHead+chunkBufSize+2)
	return &b
}}

// writeChunks streams the body in chunks, each framed in place in one
// buffer so that it goes out in one write with no copy.
func (b *readerBody) writeChunks(pc *pconn) error {
	bp := chunkBufs.Get().(*[]byte)
	defer chunkBufs.Put(bp)
	buf := *bp
	for {
		n, err := b.src.Read(buf[chunkHead : chunkHead+chunkBufSize])
		if n > 0 {
			b.read += int64(n)
			b.sent.Add(int64(n))
			var hex [16]byte
			size := strconv.AppendUint(hex[:0], uint64(n), 16)
			start := chunkHead - 2 - len(size)
			copy(buf[start:], size)
			buf[chunkHead-2], buf[chunkHead-1] = '\r', '\n'
			end := chunkHead + n
			buf[end], buf[end+1] = '\r', '\n'
			if _, werr := pc.conn.Write(buf[start : end+2]); werr != nil {
				return werr
			}
		}
		if err == io.EOF {
			_, werr := io.WriteString(pc.conn, "0\r\n\r\n")
			return werr
		}
		if err != nil {
			return &bodyReadError{err}
		}
	}
}

func (b *readerBody) replay() error {
	switch {
	case b.read == 0:
		return nil
	case b.seeker != nil:
		if _, err := b.seeker.Seek(b.start, io.SeekStart); err != nil {
			return fmt.Errorf("rewinding the request body: %w", err)
		}
		b.read = 0
		return nil
	default:
		return fmt.Errorf("%d bytes of the request body were sent and its reader cannot be rewound", b.read)
	}
}

// finish drains the caller's buffer, as sending it as a request body
// would have.
func (b *readerBody) finish() {
	if b.buf != nil {
		b.buf.Next(int(b.length))
	}
}
