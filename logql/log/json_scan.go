package log

import (
	"errors"
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// jsonScanner is a small streaming JSON reader over a byte slice. It never allocates except
// to unescape strings that contain escapes, into a reused buffer.
type jsonScanner struct {
	data []byte
	pos  int
	buf  []byte // unescape buffer
}

var errJSONDepth = errors.New("json nesting too deep")

const maxJSONDepth = 256

// jsonErrKind classifies syntax errors the way Loki's JSON library (grafana/jsonparser)
// names them, since Loki reports that library's message in __error_details__.
type jsonErrKind int

const (
	jsonErrObject jsonErrKind = iota
	jsonErrString
	jsonErrArray
	jsonErrValue
	jsonErrEscape
)

// jsonSyntaxError is a syntax error with its position, for tests and debugging.
type jsonSyntaxError struct {
	kind jsonErrKind
	msg  string
	pos  int
}

func (e *jsonSyntaxError) Error() string { return fmt.Sprintf("%s at offset %d", e.msg, e.pos) }

// lokiMessage is the message Loki shows for an error of this kind.
func (e *jsonSyntaxError) lokiMessage() string {
	switch e.kind {
	case jsonErrString:
		return "Value is string, but can't find closing '\"' symbol"
	case jsonErrArray:
		return "Value is array, but can't find closing ']' symbol"
	case jsonErrValue:
		return "Value looks like Number/Boolean/None, but can't find its end: ',' or '}' symbol"
	case jsonErrEscape:
		return "Encountered an invalid escape sequence in a string"
	}
	return msgMalformedObject
}

const msgMalformedObject = "Value looks like object, but can't find closing '}' symbol"

// lokiJSONError returns the __error_details__ text for a scanner error.
func lokiJSONError(err error) string {
	var se *jsonSyntaxError
	if errors.As(err, &se) {
		return se.lokiMessage()
	}
	return err.Error()
}

func (s *jsonScanner) fail(kind jsonErrKind, format string, args ...any) error {
	return &jsonSyntaxError{kind: kind, msg: fmt.Sprintf(format, args...), pos: s.pos}
}

func (s *jsonScanner) skipWS() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

func (s *jsonScanner) peek() byte {
	s.skipWS()
	if s.pos >= len(s.data) {
		return 0
	}
	return s.data[s.pos]
}

// readString reads a string at pos (after the opening quote is checked) and returns its
// unescaped value; the slice aliases data or s.buf and is valid until the next call.
func (s *jsonScanner) readString() ([]byte, error) {
	if s.peek() != '"' {
		return nil, s.fail(jsonErrObject, "expected string")
	}
	s.pos++
	start := s.pos
	for s.pos < len(s.data) {
		c := s.data[s.pos]
		if c == '"' {
			v := s.data[start:s.pos]
			s.pos++
			return v, nil
		}
		if c == '\\' {
			return s.readEscaped(start)
		}
		s.pos++
	}
	return nil, s.fail(jsonErrString, "unterminated string")
}

func (s *jsonScanner) readEscaped(start int) ([]byte, error) {
	s.buf = append(s.buf[:0], s.data[start:s.pos]...)
	for s.pos < len(s.data) {
		c := s.data[s.pos]
		switch {
		case c == '"':
			s.pos++
			return s.buf, nil
		case c == '\\':
			if s.pos+1 >= len(s.data) {
				return nil, s.fail(jsonErrString, "unterminated string")
			}
			e := s.data[s.pos+1]
			s.pos += 2
			switch e {
			case '"', '\\', '/':
				s.buf = append(s.buf, e)
			case 'b':
				s.buf = append(s.buf, '\b')
			case 'f':
				s.buf = append(s.buf, '\f')
			case 'n':
				s.buf = append(s.buf, '\n')
			case 'r':
				s.buf = append(s.buf, '\r')
			case 't':
				s.buf = append(s.buf, '\t')
			case 'u':
				r, err := s.readHex4()
				if err != nil {
					return nil, err
				}
				if utf16.IsSurrogate(r) {
					r2 := rune(utf8.RuneError)
					if s.pos+1 < len(s.data) && s.data[s.pos] == '\\' && s.data[s.pos+1] == 'u' {
						s.pos += 2
						if r2, err = s.readHex4(); err != nil {
							return nil, err
						}
					}
					r = utf16.DecodeRune(r, r2)
				}
				s.buf = utf8.AppendRune(s.buf, r)
			default:
				return nil, s.fail(jsonErrEscape, "invalid escape '\\%c'", e)
			}
		default:
			s.buf = append(s.buf, c)
			s.pos++
		}
	}
	return nil, s.fail(jsonErrString, "unterminated string")
}

func (s *jsonScanner) readHex4() (rune, error) {
	if s.pos+4 > len(s.data) {
		return 0, s.fail(jsonErrEscape, "invalid unicode escape")
	}
	v, err := strconv.ParseUint(string(s.data[s.pos:s.pos+4]), 16, 32)
	if err != nil {
		return 0, s.fail(jsonErrEscape, "invalid unicode escape")
	}
	s.pos += 4
	return rune(v), nil
}

// skipValue skips any value and returns its raw bytes.
func (s *jsonScanner) skipValue(depth int) ([]byte, error) {
	if depth > maxJSONDepth {
		return nil, errJSONDepth
	}
	c := s.peek()
	start := s.pos
	switch {
	case c == '"':
		if _, err := s.readString(); err != nil {
			return nil, err
		}
	case c == '{':
		if err := s.eachMember(depth, func([]byte) error { _, err := s.skipValue(depth + 1); return err }); err != nil {
			return nil, err
		}
	case c == '[':
		if err := s.eachElement(depth, func(int) error { _, err := s.skipValue(depth + 1); return err }); err != nil {
			return nil, err
		}
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	case c == '-' || c >= '0' && c <= '9':
		s.pos++
		for s.pos < len(s.data) {
			c := s.data[s.pos]
			if !(c >= '0' && c <= '9' || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-') {
				break
			}
			s.pos++
		}
	case c == 0:
		return nil, s.fail(jsonErrValue, "unexpected end of input")
	default:
		return nil, s.fail(jsonErrValue, "unexpected character %q", c)
	}
	return s.data[start:s.pos], nil
}

func (s *jsonScanner) literal(word string) ([]byte, error) {
	if len(s.data)-s.pos < len(word) || string(s.data[s.pos:s.pos+len(word)]) != word {
		return nil, s.fail(jsonErrValue, "invalid literal")
	}
	s.pos += len(word)
	return s.data[s.pos-len(word) : s.pos], nil
}

// eachMember iterates an object; f is called with the key (valid only until f reads
// another string) and must consume the value.
func (s *jsonScanner) eachMember(depth int, f func(key []byte) error) error {
	if depth > maxJSONDepth {
		return errJSONDepth
	}
	if s.peek() != '{' {
		return s.fail(jsonErrObject, "expected object")
	}
	s.pos++
	if s.peek() == '}' {
		s.pos++
		return nil
	}
	for {
		key, err := s.readString()
		if err != nil {
			return err
		}
		if s.peek() != ':' {
			return s.fail(jsonErrObject, "expected ':' after object key")
		}
		s.pos++
		if err := f(key); err != nil {
			return err
		}
		switch s.peek() {
		case ',':
			s.pos++
		case '}':
			s.pos++
			return nil
		default:
			return s.fail(jsonErrObject, "expected ',' or '}' in object")
		}
	}
}

// eachElement iterates an array; f must consume the element.
func (s *jsonScanner) eachElement(depth int, f func(i int) error) error {
	if depth > maxJSONDepth {
		return errJSONDepth
	}
	if s.peek() != '[' {
		return s.fail(jsonErrArray, "expected array")
	}
	s.pos++
	if s.peek() == ']' {
		s.pos++
		return nil
	}
	for i := 0; ; i++ {
		if err := f(i); err != nil {
			return err
		}
		switch s.peek() {
		case ',':
			s.pos++
		case ']':
			s.pos++
			return nil
		default:
			return s.fail(jsonErrArray, "expected ',' or ']' in array")
		}
	}
}

// end checks nothing but white space follows the value.
func (s *jsonScanner) end() error {
	if s.peek() != 0 {
		return s.fail(jsonErrObject, "unexpected data after top-level value")
	}
	return nil
}
