package log

import (
	"encoding/binary"
	"fmt"
	"math/bits"

	"github.com/jetlog/jetlog/logql/syntax"
)

// logfmtParser extracts key=value pairs. Without --strict malformed pairs are skipped;
// with it the first one sets LogfmtParserErr and parsing stops. Empty values are kept only
// with --keep-empty. Keys are sanitised (user-id becomes user_id).
//
// With parameters only the named keys are extracted, as Loki's expression parser does it:
// every parameter's label is first set to "" (unless a stream or metadata label has its
// name), so a key missing from the line leaves an empty label; a line key is then matched,
// once sanitised, against the parameters' keys (`user="user_id"` reads user-id=42), and a
// line key that matches none but is itself a parameter's label fills that label. Empty
// values are kept. A label given twice takes its last key.
type logfmtParser struct {
	strict, keepEmpty bool
	// extractions maps a sanitised line key to the labels it fills; nil extracts every key.
	extractions map[string][]string
	labels      []string              // the parameters' labels, each once
	names       map[string]*logfmtKey // by raw key, per stream
	// last holds the keys of the stream's previous line by position: lines of a stream
	// mostly repeat the same keys in the same order, and comparing a key with the one at
	// its position is cheaper than a map lookup.
	last []*logfmtKey
}

// logfmtKey is what a raw key resolves to in one stream: its sanitised name and what that
// resolves to (see parsedKey).
type logfmtKey struct {
	raw string
	parsedKey
}

func newLogfmtParser(s *syntax.ParserStage) *logfmtParser {
	p := &logfmtParser{strict: s.Strict, keepEmpty: s.KeepEmpty}
	if len(s.Extractions) == 0 {
		return p
	}
	keys := map[string]string{} // label -> key; the last parameter of a label wins
	for _, e := range s.Extractions {
		if _, ok := keys[e.Label]; !ok {
			p.labels = append(p.labels, e.Label)
		}
		// The expression was validated by the parser; a bad one would name no key.
		keys[e.Label], _ = syntax.LogfmtKey(e.Expr)
	}
	p.extractions = map[string][]string{}
	for _, l := range p.labels {
		if k := keys[l]; k != "" {
			p.extractions[k] = append(p.extractions[k], l)
		}
	}
	for _, l := range p.labels {
		if _, ok := p.extractions[l]; !ok {
			p.extractions[l] = []string{l}
		}
	}
	return p
}

func (p *logfmtParser) clone() *logfmtParser {
	return &logfmtParser{strict: p.strict, keepEmpty: p.keepEmpty, extractions: p.extractions, labels: p.labels}
}

func (p *logfmtParser) process(_ int64, line []byte, b *builder) ([]byte, bool) {
	for _, l := range p.labels {
		if !b.baseHas(l) && b.wants(l) {
			b.set(l, "")
		}
	}
	err := p.scan(line, func(key []byte, pos int, k *logfmtKey, value []byte) bool {
		if k == nil {
			k = p.key(key, pos, b)
		}
		if k.name == "" {
			return true
		}
		if p.extractions != nil {
			for _, l := range p.extractions[k.name] {
				b.setParsed(l, entryString(value))
			}
			return true
		}
		if !k.wantedBy(b) {
			return true
		}
		k.set(b, entryString(value))
		// Without --strict the rest of the line cannot set an error: once the hints'
		// labels are in, it need not be read.
		return p.strict || !b.extractedAll()
	})
	if err != nil {
		b.setErr(errLogfmt, err.Error())
	}
	return line, true
}

// key resolves the line's pos-th key when scan did not find it at that position of the
// previous line: from every key the stream had, else anew; it is then remembered at pos.
func (p *logfmtParser) key(raw []byte, pos int, b *builder) *logfmtKey {
	k, ok := p.names[string(raw)]
	if !ok {
		k = p.resolve(raw, b)
		if p.names == nil {
			p.names = map[string]*logfmtKey{}
		}
		if len(p.names) < maxCachedNames {
			p.names[k.raw] = k
		}
	}
	if pos < len(p.last) {
		p.last[pos] = k
	} else if pos == len(p.last) && pos < maxCachedNames {
		p.last = append(p.last, k)
	}
	return k
}

// resolve computes a key's logfmtKey in the builder's stream. It does not depend on the
// entry: the label and wanted it gives hold for entries without structured metadata, and
// the others use only the name.
func (p *logfmtParser) resolve(raw []byte, b *builder) *logfmtKey {
	k := &logfmtKey{raw: string(raw)}
	if k.name = sanitizeLabelKey(k.raw, true); k.name != "" {
		k.resolve(b)
	}
	return k
}

// logfmtPlain holds the bytes that may appear in a key or a bare value: printable, other
// than '=' and '"'. A table makes the walk one load per byte.
var logfmtPlain = func() (t [256]bool) {
	for c := range t {
		t[c] = c > ' ' && c != '=' && c != '"'
	}
	return t
}()

// scan walks the pairs of a logfmt line. The syntax: pairs separated by spaces; a key is a
// run of printable characters other than '=' and '"'; a value is bare (up to the next space)
// or a double-quoted string with Go escapes; "key" alone has an empty value.
// Pairs with an empty value are left out unless they are kept (parameters or --keep-empty);
// f gets the others with their position among them, and the resolved key when it is the
// one the previous line had at that position: then the key's bytes are compared with it
// instead of walked. f returns false to stop the walk.
func (p *logfmtParser) scan(line []byte, fn func(key []byte, pos int, k *logfmtKey, value []byte) bool) error {
	keepEmpty := p.extractions != nil || p.keepEmpty
	pos := 0
	var known *logfmtKey
	f := func(key, value []byte) bool {
		if len(value) == 0 && !keepEmpty {
			return true
		}
		pos++
		return fn(key, pos-1, known, value)
	}
	i := 0
	for i < len(line) {
		for i < len(line) && line[i] <= ' ' {
			i++
		}
		if i >= len(line) {
			return nil
		}
		start := i
		known = nil
		if pos < len(p.last) {
			// A cached key is a whole key when '=' follows it: its bytes are all plain.
			if k := p.last[pos]; i+len(k.raw) < len(line) && line[i+len(k.raw)] == '=' && string(line[i:i+len(k.raw)]) == k.raw {
				known, i = k, i+len(k.raw)
			}
		}
		if known == nil {
			i = plainEnd(line, i)
		}
		key := line[start:i]
		if len(key) == 0 {
			if p.strict {
				return fmt.Errorf("logfmt syntax error at pos %d : unexpected %q", i+1, line[i])
			}
			i = skipToSpace(line, i)
			continue
		}
		if i >= len(line) || line[i] <= ' ' {
			if !f(key, nil) {
				return nil
			}
			continue
		}
		if line[i] != '=' {
			// A quote inside a key.
			if p.strict {
				return fmt.Errorf("logfmt syntax error at pos %d : unexpected %q", i+1, line[i])
			}
			i = skipToSpace(line, i)
			continue
		}
		i++ // '='
		if i >= len(line) || line[i] <= ' ' {
			if !f(key, nil) {
				return nil
			}
			continue
		}
		if line[i] != '"' {
			vs := i
			i = plainEnd(line, i)
			if i < len(line) && line[i] > ' ' {
				// An '=' or a '"' inside the value.
				bad := i
				i = skipToSpace(line, i)
				if p.strict {
					return fmt.Errorf("logfmt syntax error at pos %d : unexpected %q", bad+1, line[bad])
				}
				// The malformed pair is skipped.
				continue
			}
			if !f(key, line[vs:i]) {
				return nil
			}
			continue
		}
		v, next, err := p.quoted(line, i)
		if err != nil {
			if p.strict {
				return err
			}
			return nil
		}
		i = next
		if !f(key, v) {
			return nil
		}
	}
	return nil
}

// plainEnd returns the index of the first byte at or after i that is not logfmtPlain, or
// len(line). Keys and bare values are short and of every length, so it looks at 8 bytes at
// a time: a byte-wise loop mispredicts its exit once per token.
func plainEnd(line []byte, i int) int {
	for ; i+8 <= len(line); i += 8 {
		if m := notPlain8(binary.LittleEndian.Uint64(line[i:])); m != 0 {
			return i + bits.TrailingZeros64(m)>>3
		}
	}
	for i < len(line) && logfmtPlain[line[i]] {
		i++
	}
	return i
}

const (
	ones8 = 0x0101010101010101
	high8 = 0x8080808080808080
)

// notPlain8 sets the high bit of the lowest byte of x (little-endian) that is a control
// character, a space, '=' or '"'. Bits above the lowest may be wrong (borrows), which the
// caller does not read. A byte >= 0x80 is plain, as in logfmtPlain.
func notPlain8(x uint64) uint64 {
	low := (x - ones8*0x21) &^ x     // bytes below 0x21
	eq := x ^ (ones8 * '=')          // zero where '='
	eq = (eq - ones8) &^ eq          //
	quote := x ^ (ones8 * '"')       // zero where '"'
	quote = (quote - ones8) &^ quote //
	return (low | eq | quote) & high8
}

func skipToSpace(line []byte, i int) int {
	for i < len(line) && line[i] > ' ' {
		i++
	}
	return i
}

// quoted reads a quoted value starting at line[i] == '"'. The value aliases the line, or
// is a new slice when it had escapes, so that values stay valid for the whole entry.
func (p *logfmtParser) quoted(line []byte, i int) ([]byte, int, error) {
	start := i
	i++
	escaped := false
	for j := i; j < len(line); j++ {
		switch line[j] {
		case '\\':
			escaped = true
			j++
		case '"':
			if !escaped {
				return line[i:j], j + 1, nil
			}
			v, err := unquoteGo(line[start:j+1], nil)
			if err != nil {
				return nil, 0, fmt.Errorf("logfmt syntax error at pos %d : invalid quoted value", j+2)
			}
			return v, j + 1, nil
		}
	}
	return nil, 0, fmt.Errorf("logfmt syntax error at pos %d : unterminated quoted value", len(line)+1)
}

// unquoteGo unquotes a Go/JSON-style quoted string into buf.
func unquoteGo(q []byte, buf []byte) ([]byte, error) {
	s := jsonScanner{data: q, buf: buf}
	v, err := s.readString()
	if err != nil {
		return nil, err
	}
	return v, nil
}
