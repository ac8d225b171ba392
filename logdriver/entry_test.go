package logdriver_test

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/go-dockerplugins/plugins/internal/typedtest"
	"github.com/go-dockerplugins/plugins/logdriver"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// frame returns a frame holding the protobuf message given in hex.
func frame(t testing.TB, msgHex string) []byte {
	t.Helper()
	msg, err := hex.DecodeString(strings.ReplaceAll(msgHex, " ", ""))
	require.NoError(t, err)
	return append(binary.BigEndian.AppendUint32(nil, uint32(len(msg))), msg...)
}

// The bytes the engine's encoder writes for each entry, which the writer
// must write and the reader read.
func TestEntryEncoding(t *testing.T) {
	tests := []struct {
		name  string
		entry logdriver.Entry
		hex   string // the message, without its length
	}{
		{"empty", logdriver.Entry{}, ``},
		{
			"a partial entry with metadata",
			logdriver.Entry{Source: "stdout", TimeNano: 1, Line: []byte("hi"), Partial: true, PartialMetadata: &logdriver.PartialMetadata{Last: true, ID: "x", Ordinal: 2}},
			`0a 06 73 74 64 6f 75 74  10 01  1a 02 68 69  20 01  2a 07 08 01 12 01 78 18 02`,
		},
		{"empty metadata is still written", logdriver.Entry{PartialMetadata: &logdriver.PartialMetadata{}}, `2a 00`},
		{
			"a negative time and ordinal take ten bytes",
			logdriver.Entry{TimeNano: -1, PartialMetadata: &logdriver.PartialMetadata{Ordinal: -1}},
			`10 ff ff ff ff ff ff ff ff ff 01  2a 0b 18 ff ff ff ff ff ff ff ff ff 01`,
		},
		{
			"a long line's length takes two bytes",
			logdriver.Entry{Source: "stderr", Line: bytes.Repeat([]byte("a"), 200)},
			`0a 06 73 74 64 65 72 72  1a c8 01 ` + strings.Repeat("61", 200),
		},
		{
			"a time",
			logdriver.Entry{TimeNano: time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC).UnixNano(), Line: []byte("x")},
			`10 80 ec ee bf e5 a5 e0 94 18  1a 01 78`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := frame(t, tt.hex)
			var buf bytes.Buffer
			require.NoError(t, logdriver.NewEntryWriter(&buf).WriteEntry(tt.entry))
			assert.Equal(t, hex.EncodeToString(want), hex.EncodeToString(buf.Bytes()))

			r := logdriver.NewEntryReader(bytes.NewReader(want))
			got, err := r.Next()
			require.NoError(t, err)
			assert.Equal(t, tt.entry, got)
			_, err = r.Next()
			assert.Equal(t, io.EOF, err, "the end between two entries is io.EOF itself")
		})
	}
}

func TestEntryTime(t *testing.T) {
	at := time.Date(2025, 3, 4, 5, 6, 7, 8, time.UTC)
	assert.True(t, at.Equal(logdriver.Entry{TimeNano: at.UnixNano()}.Time()))
}

// Each entry is one Write, as the engine writes to the FIFO.
func TestEntryWriterWritesOnce(t *testing.T) {
	var w countingWriter
	ew := logdriver.NewEntryWriter(&w)
	for i := 0; i < 3; i++ {
		require.NoError(t, ew.WriteEntry(logdriver.Entry{Source: "stdout", Line: bytes.Repeat([]byte("z"), 100*i)}))
	}
	assert.Equal(t, 3, w.writes)

	failing := logdriver.NewEntryWriter(errWriter{})
	assert.EqualError(t, failing.WriteEntry(logdriver.Entry{}), "pipe closed")
}

type countingWriter struct {
	bytes.Buffer
	writes int
}

func (w *countingWriter) Write(p []byte) (int, error) {
	w.writes++
	return w.Buffer.Write(p)
}

type errWriter struct{}

func (errWriter) Write([]byte) (int, error) { return 0, errors.New("pipe closed") }

// Fields this package does not know are skipped, as protobuf decoders do:
// a later engine adds attrs (field 6), say.
func TestEntryUnknownFields(t *testing.T) {
	tests := []struct {
		name, hex string
		want      logdriver.Entry
	}{
		{"attrs, a length-delimited field 6", `0a 01 61  32 06 0a 01 6b 12 01 76  1a 01 62`, logdriver.Entry{Source: "a", Line: []byte("b")}},
		{"a varint", `78 96 01  0a 01 61`, logdriver.Entry{Source: "a"}},
		{"a fixed64", `39 01 02 03 04 05 06 07 08  0a 01 61`, logdriver.Entry{Source: "a"}},
		{"a fixed32", `3d 01 02 03 04  0a 01 61`, logdriver.Entry{Source: "a"}},
		{"a group, with a nested group", `3b 08 01 43 12 00 44 3c  0a 01 61`, logdriver.Entry{Source: "a"}},
		{
			"in the metadata", `2a 07 08 01 30 05 12 01 78  20 01`,
			logdriver.Entry{Partial: true, PartialMetadata: &logdriver.PartialMetadata{Last: true, ID: "x"}},
		},
		{
			"a field given twice keeps its last value; metadata is merged",
			`0a 01 61 0a 01 62  1a 01 31 1a 00  2a 02 08 01  2a 02 18 03`,
			logdriver.Entry{Source: "b", Line: []byte{}, PartialMetadata: &logdriver.PartialMetadata{Last: true, Ordinal: 3}},
		},
		{
			"an ordinal beyond 32 bits keeps its low 32 bits", `2a 06 18 81 80 80 80 10`,
			logdriver.Entry{PartialMetadata: &logdriver.PartialMetadata{Ordinal: 1}},
		},
		{"a bool is any non-zero varint", `20 02`, logdriver.Entry{Partial: true}},
		{
			"a ten-byte varint's bits beyond 64 are dropped, as by the engine's decoder", `10 ff ff ff ff ff ff ff ff ff 7f  20 80 80 80 80 80 80 80 80 80 7e`,
			logdriver.Entry{TimeNano: -1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := logdriver.NewEntryReader(bytes.NewReader(frame(t, tt.hex))).Next()
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestEntryMalformed(t *testing.T) {
	tests := []struct{ name, hex, wantErr string }{
		{"a known field of another wire type", `08 01`, "wrong wire type 0 for field source"},
		{"metadata of another wire type", `28 01`, "wrong wire type 0 for field partial_log_metadata"},
		{"in the metadata", `2a 02 10 01`, "wrong wire type 0 for field id"},
		{"field number 0", `02 00`, "invalid field number 0"},
		{"an end of group alone", `3c`, "unexpected end of group"},
		{"wire type 6", `36`, "invalid wire type 6"},
		{"a length beyond the entry", `0a 05 61`, io.ErrUnexpectedEOF.Error()},
		{"a truncated varint", `10 ff`, io.ErrUnexpectedEOF.Error()},
		{"a varint over 10 bytes", `10 ff ff ff ff ff ff ff ff ff ff 01`, "varint longer than 10 bytes"},
		{"an unended group", `3b 08 01`, io.ErrUnexpectedEOF.Error()},
		{"a truncated fixed64", `39 01 02`, io.ErrUnexpectedEOF.Error()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := logdriver.NewEntryReader(bytes.NewReader(append(frame(t, tt.hex), frame(t, `0a 01 61`)...)))
			_, err := r.Next()
			require.EqualError(t, err, "decoding log entry: "+tt.wantErr)
			_, again := r.Next()
			assert.Equal(t, err, again, "an error is final")
		})
	}
}

func TestEntryFraming(t *testing.T) {
	whole := frame(t, `0a 01 61`)
	tests := []struct {
		name    string
		stream  []byte
		wantErr error
	}{
		{"no entry", nil, io.EOF},
		{"a truncated length", whole[:2], io.ErrUnexpectedEOF},
		{"a truncated entry", whole[:len(whole)-1], io.ErrUnexpectedEOF},
		{"a length without its entry", whole[:4], io.ErrUnexpectedEOF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := logdriver.NewEntryReader(bytes.NewReader(tt.stream)).Next()
			assert.Equal(t, tt.wantErr, err)
		})
	}

	t.Run("a read error", func(t *testing.T) {
		_, err := logdriver.NewEntryReader(io.MultiReader(bytes.NewReader(whole[:5]), iotestErrReader{})).Next()
		assert.EqualError(t, err, "connection reset")
	})
}

type iotestErrReader struct{}

func (iotestErrReader) Read([]byte) (int, error) { return 0, errors.New("connection reset") }

// The reader's bound, which the engine's decoder lacks: an oversized
// length is refused before anything is allocated or read.
func TestEntryBound(t *testing.T) {
	entry := logdriver.Entry{Line: bytes.Repeat([]byte("x"), 100)} // 102 bytes encoded
	var buf bytes.Buffer
	require.NoError(t, logdriver.NewEntryWriter(&buf).WriteEntry(entry))

	got, err := logdriver.NewEntryReaderSize(bytes.NewReader(buf.Bytes()), 102).Next()
	require.NoError(t, err, "an entry of exactly the bound")
	assert.Equal(t, entry, got)

	src := bytes.NewReader(buf.Bytes())
	r := logdriver.NewEntryReaderSize(src, 101)
	_, err = r.Next()
	var tooLarge *logdriver.EntryTooLargeError
	require.ErrorAs(t, err, &tooLarge)
	assert.Equal(t, &logdriver.EntryTooLargeError{Size: 102, Limit: 101}, tooLarge)
	assert.EqualError(t, err, "log entry of 102 bytes exceeds the limit of 101 bytes")
	assert.Equal(t, 102, src.Len(), "the entry is not read")
	_, again := r.Next()
	assert.Equal(t, err, again, "an error is final")

	huge := binary.BigEndian.AppendUint32(nil, math.MaxUint32)
	_, err = logdriver.NewEntryReader(bytes.NewReader(huge)).Next()
	require.ErrorAs(t, err, &tooLarge)
	assert.Equal(t, &logdriver.EntryTooLargeError{Size: math.MaxUint32, Limit: logdriver.DefaultMaxEntrySize}, tooLarge)

	_, err = logdriver.NewEntryReaderSize(bytes.NewReader(huge), 0).Next()
	require.ErrorAs(t, err, &tooLarge)
	assert.Equal(t, logdriver.DefaultMaxEntrySize, tooLarge.Limit, "no bound given: the default")
}

// Entries read do not share memory with the reader's buffer.
func TestEntryLinesAreCopied(t *testing.T) {
	var buf bytes.Buffer
	w := logdriver.NewEntryWriter(&buf)
	require.NoError(t, w.WriteEntry(logdriver.Entry{Line: []byte("first")}))
	require.NoError(t, w.WriteEntry(logdriver.Entry{Line: []byte("other")}))
	r := logdriver.NewEntryReader(&buf)
	first, err := r.Next()
	require.NoError(t, err)
	_, err = r.Next()
	require.NoError(t, err)
	assert.Equal(t, "first", string(first.Line))
}

func FuzzEntryReader(f *testing.F) {
	f.Add(frame(f, `0a 06 73 74 64 6f 75 74 10 01 1a 02 68 69 20 01 2a 07 08 01 12 01 78 18 02`))
	f.Add(frame(f, `3b 08 01 43 12 00 44 3c 0a 01 61`))
	f.Fuzz(func(t *testing.T, stream []byte) {
		r := logdriver.NewEntryReaderSize(bytes.NewReader(stream), 1<<16)
		for i := 0; i < 100; i++ {
			e, err := r.Next()
			if err != nil {
				return
			}
			// What was read is written back and read again the same.
			var buf bytes.Buffer
			require.NoError(t, logdriver.NewEntryWriter(&buf).WriteEntry(e))
			again, err := logdriver.NewEntryReader(&buf).Next()
			require.NoError(t, err)
			assert.Equal(t, typedtest.NormalizeEntry(e), typedtest.NormalizeEntry(again))
		}
	})
}
