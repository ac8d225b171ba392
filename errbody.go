package plugins

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
)

const (
	// maxErrorMessage bounds the message of an error answer: the raw body,
	// or its Err field, is cut there.
	maxErrorMessage = 64 << 10
	// maxErrorScan bounds what is read of a JSON error answer to find its
	// Err field: a trace or dump beside it may be long, but no error worth
	// reading is megabytes of JSON.
	maxErrorScan = 4 << 20
)

// readStatusError turns an answer other than 200 into a *StatusError whose
// message is the engine's: the Err field when the body is a JSON object
// with a non-empty string Err, or else the body itself.
func readStatusError(resp *http.Response, method string) error {
	msg, err := readErrorMessage(resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		msg = err.Error()
	}
	return &StatusError{StatusCode: resp.StatusCode, Method: method, Message: msg}
}

// readErrorMessage reads an error answer and returns its message, as the
// engine does with json.Unmarshal into struct{ Err string }, but in bounded
// memory: the first maxErrorMessage bytes are kept for a message that is
// the body itself, and the body is scanned as it streams by, up to
// maxErrorScan bytes, for its Err. Once the JSON value is complete, only
// what has already arrived of the rest is read: a plugin that keeps its
// answer open does not hold the call.
func readErrorMessage(body io.Reader) (string, error) {
	var (
		sc      errScanner
		prefix  = make([]byte, 0, 512)
		scratch []byte
		total   int
	)
	for {
		var p []byte
		if len(prefix) < maxErrorMessage {
			if len(prefix) == cap(prefix) {
				// Most error answers fit in 512 bytes; one that does not
				// gets room for the whole message at once.
				prefix = append(make([]byte, 0, maxErrorMessage), prefix...)
			}
			p = prefix[len(prefix):cap(prefix)]
		} else {
			if scratch == nil {
				scratch = make([]byte, 8<<10)
			}
			p = scratch
		}
		n, err := body.Read(p)
		if len(prefix) < maxErrorMessage {
			prefix = prefix[:len(prefix)+n]
		}
		sc.write(p[:n])
		total += n
		if err == io.EOF {
			break
		}
		if errors.Is(err, errWouldWait) {
			break // the JSON value is complete; what follows has not arrived
		}
		if err != nil {
			return "", err
		}
		switch {
		case sc.state == sInvalid && len(prefix) >= maxErrorMessage:
			return string(prefix), nil
		case sc.state == sInvalid:
			// Not the JSON the engine would read: the message is the body.
		case sc.state == sDone:
			if rb, ok := body.(*respBody); ok {
				rb.pc.cr.noWait = true
			}
		case total > maxErrorScan:
			return string(prefix), nil
		}
	}
	if msg, ok := sc.message(); ok {
		return msg, nil
	}
	return string(prefix), nil
}

// scanState is where an errScanner is in the JSON grammar.
type scanState uint8

const (
	sValue         scanState = iota // a value is expected
	sObjKeyOrEnd                    // after '{'
	sObjKey                         // after ',' in an object
	sColon                          // after a key
	sObjNext                        // after a member: ',' or '}'
	sArrValueOrEnd                  // after '['
	sArrNext                        // after an element: ',' or ']'
	sString                         // in a string
	sStringEsc                      // after '\' in a string
	sStringHex                      // in the hex digits of \uXXXX
	sNeg                            // after '-'
	sZero                           // after a leading 0
	sInt                            // in the integer part
	sDot                            // after '.'
	sFrac                           // in the fraction
	sExp                            // after 'e'
	sExpSign                        // after 'e+' or 'e-'
	sExpDigits                      // in the exponent
	sLiteral                        // in true, false or null
	sDone                           // the value is complete: white space may follow
	sInvalid                        // not JSON
)

// maxNestingDepth is encoding/json's: deeper nesting is invalid JSON to it.
const maxNestingDepth = 10000

// maxKeyCapture bounds what is kept of a member name: "Err" written with
// an escape for every letter takes 18 bytes, so a longer name is another.
const maxKeyCapture = 32

// errScanner checks, one byte at a time, that a body is the JSON that
// json.Unmarshal would accept into struct{ Err string }, and keeps the last
// string value of the top-level members whose name folds to "err". It
// keeps no more than a bounded part of that value, whatever the body's size.
type errScanner struct {
	state  scanState
	stack  []byte // '{' or '[' for each open container
	lit    string // what is left of the literal being read
	hex    int    // hex digits left in \uXXXX
	inKey  bool   // the string being read is a member name
	object bool   // the top-level value is an object

	key      []byte // a top-level member name, raw, when short enough
	keyLong  bool
	errValue bool // the value being read is that of a top-level Err member

	cur     []byte // the raw Err string being read, quotes included
	curFull bool   // cur reached maxErrorMessage and was cut
	last    []byte // the last complete Err string, raw, closing quote included
	typeErr bool   // an Err member holds neither a string nor null
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// write scans p. Once the body is invalid, the rest is ignored.
func (s *errScanner) write(p []byte) {
	for i := 0; i < len(p) && s.state != sInvalid; i++ {
		s.step(p[i])
	}
}

func (s *errScanner) step(c byte) {
	switch s.state {
	case sValue:
		if !isSpace(c) {
			s.beginValue(c)
		}
	case sObjKeyOrEnd, sObjKey:
		switch {
		case isSpace(c):
		case c == '"':
			s.beginString(true)
		case c == '}' && s.state == sObjKeyOrEnd:
			s.endContainer()
		default:
			s.state = sInvalid
		}
	case sColon:
		switch {
		case isSpace(c):
		case c == ':':
			s.state = sValue
			s.errValue = len(s.stack) == 1 && s.keyIsErr()
		default:
			s.state = sInvalid
		}
	case sObjNext, sArrNext:
		closer := byte('}')
		if s.state == sArrNext {
			closer = ']'
		}
		switch {
		case isSpace(c):
		case c == ',' && s.state == sObjNext:
			s.state = sObjKey
		case c == ',':
			s.state = sValue
		case c == closer:
			s.endContainer()
		default:
			s.state = sInvalid
		}
	case sArrValueOrEnd:
		switch {
		case isSpace(c):
		case c == ']':
			s.endContainer()
		default:
			s.beginValue(c)
		}
	case sString:
		switch {
		case c == '"':
			if !s.inKey {
				s.capture(c)
			}
			s.endString()
		case c == '\\':
			s.capture(c)
			s.state = sStringEsc
		case c < 0x20:
			s.state = sInvalid
		default:
			s.capture(c)
		}
	case sStringEsc:
		s.capture(c)
		switch c {
		case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			s.state = sString
		case 'u':
			s.state, s.hex = sStringHex, 4
		default:
			s.state = sInvalid
		}
	case sStringHex:
		s.capture(c)
		if !isHex(c) {
			s.state = sInvalid
		} else if s.hex--; s.hex == 0 {
			s.state = sString
		}
	case sLiteral:
		if c != s.lit[0] {
			s.state = sInvalid
		} else if s.lit = s.lit[1:]; s.lit == "" {
			s.endValue()
		}
	case sDone:
		if !isSpace(c) {
			s.state = sInvalid
		}
	default:
		s.number(c)
	}
}

// number steps through a number; the byte that ends it is scanned again
// as what follows the value.
func (s *errScanner) number(c byte) {
	digit := '0' <= c && c <= '9'
	switch s.state {
	case sNeg:
		switch {
		case c == '0':
			s.state = sZero
		case digit:
			s.state = sInt
		default:
			s.state = sInvalid
		}
		return
	case sDot:
		s.state = sInvalid
		if digit {
			s.state = sFrac
		}
		return
	case sExp:
		switch {
		case c == '+' || c == '-':
			s.state = sExpSign
		case digit:
			s.state = sExpDigits
		default:
			s.state = sInvalid
		}
		return
	case sExpSign:
		s.state = sInvalid
		if digit {
			s.state = sExpDigits
		}
		return
	case sInt, sFrac, sExpDigits:
		if digit {
			return
		}
	}
	// In sZero, sInt, sFrac or sExpDigits, and c is not another digit.
	switch {
	case c == '.' && (s.state == sZero || s.state == sInt):
		s.state = sDot
	case (c == 'e' || c == 'E') && s.state != sExpDigits:
		s.state = sExp
	default:
		s.endValue()
		s.step(c)
	}
}

// isHighSurrogate reports whether esc is one of the escapes \uD800 to
// \uDBFF: the first half of a character beyond U+FFFF.
func isHighSurrogate(esc []byte) bool {
	return esc[0] == '\\' && esc[1] == 'u' && esc[2]|0x20 == 'd' && strings.IndexByte("89abAB", esc[3]) >= 0
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// beginValue starts the value that c begins.
func (s *errScanner) beginValue(c byte) {
	if len(s.stack) == 0 {
		s.object = c == '{'
	}
	if s.errValue && c != '"' && c != 'n' {
		s.typeErr = true // json.Unmarshal fails; null leaves Err as it was
	}
	switch {
	case c == '{' || c == '[':
		if len(s.stack) >= maxNestingDepth {
			s.state = sInvalid
			return
		}
		s.stack = append(s.stack, c)
		s.state = sArrValueOrEnd
		if c == '{' {
			s.state = sObjKeyOrEnd
		}
	case c == '"':
		s.beginString(false)
	case c == '-':
		s.state = sNeg
	case c == '0':
		s.state = sZero
	case '1' <= c && c <= '9':
		s.state = sInt
	case c == 't':
		s.state, s.lit = sLiteral, "rue"
	case c == 'f':
		s.state, s.lit = sLiteral, "alse"
	case c == 'n':
		s.state, s.lit = sLiteral, "ull"
	default:
		s.state = sInvalid
	}
}

func (s *errScanner) beginString(key bool) {
	s.state, s.inKey = sString, key
	if key {
		s.key, s.keyLong = s.key[:0], false
	}
	if s.errValue {
		s.cur, s.curFull = append(s.cur[:0], '"'), false
	}
}

// capture keeps byte c of a top-level member name or Err value. An Err
// value is cut at maxErrorMessage, never inside an escape or a UTF-8
// sequence, so that what is kept still decodes.
func (s *errScanner) capture(c byte) {
	if len(s.stack) != 1 {
		return
	}
	switch {
	case s.inKey && !s.keyLong:
		if len(s.key) == maxKeyCapture {
			s.keyLong = true
			return
		}
		s.key = append(s.key, c)
	case s.errValue && !s.curFull:
		if len(s.cur) >= maxErrorMessage && s.state == sString && c != '"' && c&0xC0 != 0x80 {
			s.curFull = true
			if n := len(s.cur); n >= 6 && isHighSurrogate(s.cur[n-6:]) {
				s.cur = s.cur[:n-6] // half of a pair would decode as U+FFFD
			}
			return
		}
		if len(s.cur) == cap(s.cur) && len(s.cur) >= 512 {
			// Room for the longest message kept, and the escape it may end in.
			s.cur = append(make([]byte, 0, maxErrorMessage+8), s.cur...)
		}
		s.cur = append(s.cur, c)
	}
}

// endString ends a string: a member name is followed by a colon.
func (s *errScanner) endString() {
	if s.inKey {
		s.inKey = false
		s.state = sColon
		return
	}
	if s.errValue && len(s.stack) == 1 {
		if s.curFull {
			s.cur = append(s.cur, '"')
		}
		s.last = append(s.last[:0], s.cur...)
	}
	s.endValue()
}

func (s *errScanner) endContainer() {
	s.stack = s.stack[:len(s.stack)-1]
	s.endValue()
}

// endValue moves on to what may follow a value.
func (s *errScanner) endValue() {
	if len(s.stack) == 1 {
		s.errValue = false
	}
	switch {
	case len(s.stack) == 0:
		s.state = sDone
	case s.stack[len(s.stack)-1] == '{':
		s.state = sObjNext
	default:
		s.state = sArrNext
	}
}

// keyIsErr reports whether the member name just read matches the field
// Err as encoding/json matches names: ASCII letters in any case (no other
// character folds to one of "err").
func (s *errScanner) keyIsErr() bool {
	if s.keyLong {
		return false
	}
	key := s.key
	if bytes.IndexByte(key, '\\') >= 0 {
		var name string
		if json.Unmarshal(append(append([]byte{'"'}, key...), '"'), &name) != nil {
			return false
		}
		key = []byte(name)
	}
	return bytes.EqualFold(key, []byte("err"))
}

// message returns the Err that json.Unmarshal would have found, if the
// body scanned was a complete JSON object with a non-empty string Err.
func (s *errScanner) message() (string, bool) {
	if s.state != sDone || !s.object || s.typeErr || len(s.last) == 0 {
		return "", false
	}
	var msg string
	if json.Unmarshal(s.last, &msg) != nil || msg == "" {
		return "", false
	}
	return msg, true
}
