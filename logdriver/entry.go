package logdriver

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"time"
)

// Entry is one log message, as the engine writes it to a logging plugin's
// FIFO and reads it from ReadLogs: the protobuf message LogEntry. Fields
// that later engines add (attrs, field 6) are skipped when read.
type Entry struct {
	// Source is the stream the message came from: "stdout" or "stderr".
	Source string
	// TimeNano is when the message was written, in nanoseconds since the
	// Unix epoch (see Time).
	TimeNano int64
	// Line is the message, without its newline.
	Line []byte
	// Partial says the message is part of a line that was split (the
	// engine splits lines longer than its buffer).
	Partial bool
	// PartialMetadata, for a part of a split line, says which part it is.
	// The engine sets it whenever Partial is true.
	PartialMetadata *PartialMetadata
}

// PartialMetadata places a message within a split line: the protobuf
// message PartialLogEntryMetadata.
type PartialMetadata struct {
	// Last says the message is the line's last part.
	Last bool
	// ID is the same for every part of a line.
	ID string
	// Ordinal is the part's position in the line, from 1.
	Ordinal int32
}

// Time returns TimeNano as a time, as the engine reads it.
func (e Entry) Time() time.Time { return time.Unix(0, e.TimeNano) }

// The framing: each entry is its length as a 4-byte big-endian number,
// then the entry encoded as protobuf. The field numbers and wire types are
// those of the engine's entry.proto.
const (
	headerLen = 4

	wireVarint  = 0
	wireFixed64 = 1
	wireBytes   = 2
	wireStart   = 3 // start of a group (deprecated protobuf encoding)
	wireEnd     = 4
	wireFixed32 = 5

	fieldSource   = 1 // string
	fieldTimeNano = 2 // int64
	fieldLine     = 3 // bytes
	fieldPartial  = 4 // bool
	fieldMetadata = 5 // PartialLogEntryMetadata

	fieldLast    = 1 // bool
	fieldID      = 2 // string
	fieldOrdinal = 3 // int32
)

// DefaultMaxEntrySize is the bound NewEntryReader puts on an entry's
// length. The engine's own decoder has none: it allocates whatever length
// a frame claims, up to 4 GiB.
const DefaultMaxEntrySize = 1 << 20

// EntryTooLargeError is the error of a frame whose length exceeds the
// reader's bound.
type EntryTooLargeError struct {
	// Size is the length the frame claims, in bytes.
	Size uint32
	// Limit is the reader's bound.
	Limit int
}

// Error says how long the frame claimed to be, and the bound.
func (e *EntryTooLargeError) Error() string {
	return fmt.Sprintf("log entry of %d bytes exceeds the limit of %d bytes", e.Size, e.Limit)
}

// EntryReader reads entries from a stream: the body of a ReadLogs answer,
// or, for a plugin, the FIFO given to StartLogging.
type EntryReader struct {
	r      io.Reader
	limit  int
	header [headerLen]byte
	buf    []byte
	err    error
}

// NewEntryReader returns a reader of the entries in r, each at most
// DefaultMaxEntrySize bytes long.
func NewEntryReader(r io.Reader) *EntryReader {
	return NewEntryReaderSize(r, DefaultMaxEntrySize)
}

// NewEntryReaderSize returns a reader of the entries in r, each at most
// limit bytes long; limit <= 0 means DefaultMaxEntrySize.
func NewEntryReaderSize(r io.Reader, limit int) *EntryReader {
	if limit <= 0 {
		limit = DefaultMaxEntrySize
	}
	return &EntryReader{r: r, limit: limit}
}

// Next reads the next entry. At the end of the stream, between two
// entries, it returns io.EOF; a stream that ends within an entry gives
// io.ErrUnexpectedEOF, an entry longer than the bound an
// *EntryTooLargeError (its bytes are not read), and one that is not a valid
// LogEntry an error saying why. Fields unknown to this package are skipped,
// as protobuf decoders do. After an error, Next returns it again.
func (d *EntryReader) Next() (Entry, error) {
	if d.err != nil {
		return Entry{}, d.err
	}
	e, err := d.next()
	if err != nil {
		d.err = err
	}
	return e, err
}

func (d *EntryReader) next() (Entry, error) {
	if _, err := io.ReadFull(d.r, d.header[:]); err != nil {
		return Entry{}, err
	}
	size := binary.BigEndian.Uint32(d.header[:])
	if uint64(size) > uint64(d.limit) {
		return Entry{}, &EntryTooLargeError{Size: size, Limit: d.limit}
	}
	if cap(d.buf) < int(size) {
		d.buf = make([]byte, size)
	}
	buf := d.buf[:size]
	if _, err := io.ReadFull(d.r, buf); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return Entry{}, err
	}
	var e Entry
	if err := unmarshalEntry(buf, &e); err != nil {
		return Entry{}, fmt.Errorf("decoding log entry: %w", err)
	}
	return e, nil
}

// EntryWriter writes entries to a stream, in the engine's framing: for a
// plugin's ReadLogs answer, or to stand in for the engine in tests.
type EntryWriter struct {
	w   io.Writer
	buf []byte
}

// NewEntryWriter returns a writer of entries to w.
func NewEntryWriter(w io.Writer) *EntryWriter {
	return &EntryWriter{w: w}
}

// WriteEntry writes e, its length and message in one Write, as the engine
// does (so that writes to a FIFO of up to its atomic size are not mixed
// with those of other writers). The message is encoded as the engine's
// protobuf encoder does, byte for byte: fields in order, those with zero
// values left out, PartialMetadata written whenever it is not nil.
func (w *EntryWriter) WriteEntry(e Entry) error {
	buf := append(w.buf[:0], 0, 0, 0, 0)
	buf = appendEntry(buf, e)
	size := len(buf) - headerLen
	if uint64(size) > math.MaxUint32 {
		return fmt.Errorf("log entry of %d bytes is too large to frame", size)
	}
	binary.BigEndian.PutUint32(buf, uint32(size))
	w.buf = buf
	_, err := w.w.Write(buf)
	return err
}

func appendEntry(b []byte, e Entry) []byte {
	if e.Source != "" {
		b = appendBytes(b, fieldSource, []byte(e.Source))
	}
	if e.TimeNano != 0 {
		b = binary.AppendUvarint(appendTag(b, fieldTimeNano, wireVarint), uint64(e.TimeNano))
	}
	if len(e.Line) > 0 {
		b = appendBytes(b, fieldLine, e.Line)
	}
	if e.Partial {
		b = binary.AppendUvarint(appendTag(b, fieldPartial, wireVarint), 1)
	}
	if m := e.PartialMetadata; m != nil {
		var sub []byte
		if m.Last {
			sub = binary.AppendUvarint(appendTag(sub, fieldLast, wireVarint), 1)
		}
		if m.ID != "" {
			sub = appendBytes(sub, fieldID, []byte(m.ID))
		}
		if m.Ordinal != 0 {
			// A negative int32 is sign-extended to 10 bytes, as protobuf does.
			sub = binary.AppendUvarint(appendTag(sub, fieldOrdinal, wireVarint), uint64(int64(m.Ordinal)))
		}
		b = appendBytes(b, fieldMetadata, sub)
	}
	return b
}

func appendTag(b []byte, field, wire int) []byte {
	return binary.AppendUvarint(b, uint64(field)<<3|uint64(wire))
}

func appendBytes(b []byte, field int, v []byte) []byte {
	b = binary.AppendUvarint(appendTag(b, field, wireBytes), uint64(len(v)))
	return append(b, v...)
}

// unmarshalEntry decodes a LogEntry into e as the engine's decoder does: a
// field given twice keeps its last value, except PartialMetadata, whose
// occurrences are merged.
func unmarshalEntry(b []byte, e *Entry) error {
	return decodeFields(b, func(field, wire int, v uint64, data []byte) error {
		switch field {
		case fieldSource:
			if wire != wireBytes {
				return wrongWire("source", wire)
			}
			e.Source = string(data)
		case fieldTimeNano:
			if wire != wireVarint {
				return wrongWire("time_nano", wire)
			}
			e.TimeNano = int64(v)
		case fieldLine:
			if wire != wireBytes {
				return wrongWire("line", wire)
			}
			e.Line = bytes.Clone(data)
		case fieldPartial:
			if wire != wireVarint {
				return wrongWire("partial", wire)
			}
			e.Partial = v != 0
		case fieldMetadata:
			if wire != wireBytes {
				return wrongWire("partial_log_metadata", wire)
			}
			if e.PartialMetadata == nil {
				e.PartialMetadata = &PartialMetadata{}
			}
			return unmarshalMetadata(data, e.PartialMetadata)
		}
		return nil
	})
}

func unmarshalMetadata(b []byte, m *PartialMetadata) error {
	return decodeFields(b, func(field, wire int, v uint64, data []byte) error {
		switch field {
		case fieldLast:
			if wire != wireVarint {
				return wrongWire("last", wire)
			}
			m.Last = v != 0
		case fieldID:
			if wire != wireBytes {
				return wrongWire("id", wire)
			}
			m.ID = string(data)
		case fieldOrdinal:
			if wire != wireVarint {
				return wrongWire("ordinal", wire)
			}
			m.Ordinal = int32(v) // the low 32 bits, as protobuf reads an int32
		}
		return nil
	})
}

// wrongWire is the error for a known field of another wire type, which
// the engine's decoder refuses too.
func wrongWire(name string, wire int) error {
	return fmt.Errorf("wrong wire type %d for field %s", wire, name)
}

// decodeFields calls fn for each field of a protobuf message in b, with
// its number, wire type, and value: v for a varint, data for a
// length-delimited field. The values of other wire types, and groups, are
// skipped: fn refuses them for the fields it knows.
func decodeFields(b []byte, fn func(field, wire int, v uint64, data []byte) error) error {
	for len(b) > 0 {
		tag, n := uvarint(b)
		if n <= 0 {
			return errVarint(n)
		}
		b = b[n:]
		// The field number is the tag's low 32 bits, as the engine's
		// decoder reads it.
		field, wire := int32(tag>>3), int(tag&7)
		if field <= 0 {
			return fmt.Errorf("invalid field number %d", field)
		}
		var (
			v    uint64
			data []byte
		)
		switch wire {
		case wireVarint:
			if v, n = uvarint(b); n <= 0 {
				return errVarint(n)
			}
			b = b[n:]
		case wireBytes:
			l, n := uvarint(b)
			if n <= 0 {
				return errVarint(n)
			}
			b = b[n:]
			if l > uint64(len(b)) {
				return io.ErrUnexpectedEOF
			}
			data, b = b[:l], b[l:]
		default: // skipped; an end of group here, or an invalid wire type, is an error
			rest, err := skipField(b, wire)
			if err != nil {
				return err
			}
			b = rest
		}
		if err := fn(int(field), wire, v, data); err != nil {
			return err
		}
	}
	return nil
}

// skipField skips the value of a fixed-size field, or a group to its end,
// and returns what follows. Nested groups are counted rather than recursed
// into, so that a hostile entry cannot grow the stack.
func skipField(b []byte, wire int) ([]byte, error) {
	depth := 0
	for {
		switch wire {
		case wireVarint:
			_, n := uvarint(b)
			if n <= 0 {
				return nil, errVarint(n)
			}
			b = b[n:]
		case wireBytes:
			l, n := uvarint(b)
			if n <= 0 {
				return nil, errVarint(n)
			}
			if b = b[n:]; l > uint64(len(b)) {
				return nil, io.ErrUnexpectedEOF
			}
			b = b[l:]
		case wireFixed64, wireFixed32:
			size := 8
			if wire == wireFixed32 {
				size = 4
			}
			if len(b) < size {
				return nil, io.ErrUnexpectedEOF
			}
			b = b[size:]
		case wireStart:
			depth++
		case wireEnd:
			if depth == 0 {
				return nil, errors.New("unexpected end of group")
			}
			depth--
		default:
			return nil, fmt.Errorf("invalid wire type %d", wire)
		}
		if depth == 0 {
			return b, nil
		}
		tag, n := uvarint(b)
		if n <= 0 {
			return nil, errVarint(n)
		}
		b, wire = b[n:], int(tag&7)
	}
}

// uvarint reads a varint as the engine's decoder does: at most ten bytes,
// the bits beyond 64 dropped. n is 0 if b ends first, -1 past ten bytes.
func uvarint(b []byte) (v uint64, n int) {
	for i, c := range b {
		if i == 10 {
			return 0, -1
		}
		v |= uint64(c&0x7f) << (7 * i)
		if c < 0x80 {
			return v, i + 1
		}
	}
	return 0, 0
}

// errVarint is the error of uvarint's result n <= 0.
func errVarint(n int) error {
	if n == 0 {
		return io.ErrUnexpectedEOF
	}
	return errors.New("varint longer than 10 bytes")
}
