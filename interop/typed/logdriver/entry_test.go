package logdriver_test

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"io"
	"strings"
	"testing"

	engineentry "github.com/docker/docker/api/types/plugins/logdriver"
	"github.com/go-dockerplugins/plugins/internal/typedtest"
	"github.com/go-dockerplugins/plugins/logdriver"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// toEngine is the engine's LogEntry for an entry.
func toEngine(e logdriver.Entry) *engineentry.LogEntry {
	out := &engineentry.LogEntry{Source: e.Source, TimeNano: e.TimeNano, Line: e.Line, Partial: e.Partial}
	if m := e.PartialMetadata; m != nil {
		out.PartialLogMetadata = &engineentry.PartialLogEntryMetadata{Last: m.Last, Id: m.ID, Ordinal: m.Ordinal}
	}
	return out
}

// fromEngine is the entry for the engine's LogEntry.
func fromEngine(e *engineentry.LogEntry) logdriver.Entry {
	out := logdriver.Entry{Source: e.Source, TimeNano: e.TimeNano, Line: e.Line, Partial: e.Partial}
	if m := e.PartialLogMetadata; m != nil {
		out.PartialMetadata = &logdriver.PartialMetadata{Last: m.Last, ID: m.Id, Ordinal: m.Ordinal}
	}
	return out
}

var entries = []logdriver.Entry{
	{},
	{Source: "stdout", TimeNano: 1, Line: []byte("hi")},
	{Source: "stdout", TimeNano: 1, Line: []byte("hi"), Partial: true, PartialMetadata: &logdriver.PartialMetadata{Last: true, ID: "x", Ordinal: 2}},
	{Source: "stderr", TimeNano: 1741064767890123456, Line: []byte("a line\twith\x00bytes"), Partial: true, PartialMetadata: &logdriver.PartialMetadata{ID: "0f1e2d3c", Ordinal: 1}},
	{Partial: true, PartialMetadata: &logdriver.PartialMetadata{}},
	{PartialMetadata: &logdriver.PartialMetadata{Last: true}},
	{TimeNano: -1, PartialMetadata: &logdriver.PartialMetadata{Ordinal: -1}},
	{TimeNano: -6795364578871345152, PartialMetadata: &logdriver.PartialMetadata{Ordinal: -2147483648, ID: strings.Repeat("id", 100)}},
	{Source: "stdout", Line: bytes.Repeat([]byte("0123456789abcdef"), 1024)}, // 16 KiB: the engine's largest partial
	{Source: strings.Repeat("s", 300), TimeNano: 9223372036854775807, Line: []byte{0xff, 0xfe}},
}

// The typed writer writes what the engine's encoder writes, byte for byte,
// and the engine's decoder reads it back; the typed reader reads the
// engine's encoding.
func TestFramingAgainstEngine(t *testing.T) {
	var engineStream, typedStream bytes.Buffer
	enc := engineentry.NewLogEntryEncoder(&engineStream)
	w := logdriver.NewEntryWriter(&typedStream)
	for _, e := range entries {
		require.NoError(t, enc.Encode(toEngine(e)))
		require.NoError(t, w.WriteEntry(e))
	}
	require.Equal(t, hex.EncodeToString(engineStream.Bytes()), hex.EncodeToString(typedStream.Bytes()))

	dec := engineentry.NewLogEntryDecoder(bytes.NewReader(typedStream.Bytes()))
	r := logdriver.NewEntryReader(bytes.NewReader(engineStream.Bytes()))
	for i, e := range entries {
		var fromTyped engineentry.LogEntry
		require.NoError(t, dec.Decode(&fromTyped), "entry %d", i)
		assert.Equal(t, typedtest.NormalizeEntry(e), typedtest.NormalizeEntry(fromEngine(&fromTyped)), "entry %d, engine decoding the typed writer's", i)

		got, err := r.Next()
		require.NoError(t, err, "entry %d", i)
		assert.Equal(t, typedtest.NormalizeEntry(e), typedtest.NormalizeEntry(got), "entry %d, typed reader decoding the engine's", i)
	}
	var last engineentry.LogEntry
	assert.Equal(t, io.EOF, dec.Decode(&last))
	_, err := r.Next()
	assert.Equal(t, io.EOF, err)
}

// Messages no encoder of the engine writes (fields unknown to v28, as a
// later engine's attrs, repeated fields, groups) and malformed ones: the
// typed reader accepts exactly what the engine's decoder accepts, with the
// same values.
func TestDecodingAgainstEngine(t *testing.T) {
	messages := []string{
		`0a 01 61  32 06 0a 01 6b 12 01 76  1a 01 62`, // attrs (field 6, a later engine's)
		`78 96 01  0a 01 61`,
		`39 01 02 03 04 05 06 07 08  0a 01 61`,
		`3d 01 02 03 04  0a 01 61`,
		`3b 08 01 43 12 00 44 3c  0a 01 61`,
		`2a 07 08 01 30 05 12 01 78  20 01`,
		`0a 01 61 0a 01 62  1a 01 31 1a 00  2a 02 08 01  2a 02 18 03`,
		`2a 06 18 81 80 80 80 10`,
		`20 02`,
		`10 ff ff ff ff ff ff ff ff ff 7f  20 80 80 80 80 80 80 80 80 80 7e`,
		`08 01`,
		`28 01`,
		`2a 02 10 01`,
		`02 00`,
		`3c`,
		`36`,
		`0a 05 61`,
		`10 ff`,
		`10 ff ff ff ff ff ff ff ff ff ff 01`,
		`3b 08 01`,
		`39 01 02`,
		`2a 03 3b 08 01`,
		`3b 3c 3b 3c 0a 00`,
		`8a 80 80 80 10 01 61`, // field 2^32+1: the engine reads the number's low 32 bits
		`80 80 80 80 10 01`,    // field 2^32, read as 0
		`0d 01 02 03 04`,       // a known field of another wire type
	}
	for _, m := range messages {
		t.Run(m, func(t *testing.T) {
			msg, err := hex.DecodeString(strings.ReplaceAll(m, " ", ""))
			require.NoError(t, err)
			sameDecoding(t, append(binary.BigEndian.AppendUint32(nil, uint32(len(msg))), msg...))
		})
	}
}

// sameDecoding checks that both decoders agree on the first entry of
// stream: both refuse it, or both read the same entry.
func sameDecoding(t *testing.T, stream []byte) {
	t.Helper()
	var engine engineentry.LogEntry
	engineErr := engineentry.NewLogEntryDecoder(bytes.NewReader(stream)).Decode(&engine)
	typed, err := logdriver.NewEntryReaderSize(bytes.NewReader(stream), len(stream)).Next()
	if engineErr != nil {
		assert.Error(t, err, "the engine refuses it: %v", engineErr)
		return
	}
	require.NoError(t, err)
	assert.Equal(t, fromEngine(&engine), typed)
}

func FuzzDecodingAgainstEngine(f *testing.F) {
	var seed bytes.Buffer
	w := logdriver.NewEntryWriter(&seed)
	for _, e := range entries[:8] {
		require.NoError(f, w.WriteEntry(e))
		f.Add(bytes.Clone(seed.Bytes()[4:])) // the message, without its length
		seed.Reset()
	}
	f.Fuzz(func(t *testing.T, msg []byte) {
		if len(msg) > 1<<16 {
			return
		}
		stream := append(binary.BigEndian.AppendUint32(nil, uint32(len(msg))), msg...)
		var engine engineentry.LogEntry
		engineErr := engineentry.NewLogEntryDecoder(bytes.NewReader(stream)).Decode(&engine)
		typed, err := logdriver.NewEntryReader(bytes.NewReader(stream)).Next()
		if engineErr != nil {
			assert.Error(t, err, "the engine refuses it: %v", engineErr)
			return
		}
		require.NoError(t, err, "the engine accepts it")
		assert.Equal(t, fromEngine(&engine), typed)
	})
}
