package log

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jetlog/jetlog/logql/syntax"
)

// jsonParser extracts every scalar of a JSON object as a label, flattening nested objects
// with "_" and skipping arrays, as Loki's json parser does.
type jsonParser struct {
	s      jsonScanner
	prefix []byte
	names  nameCache
}

func (p *jsonParser) process(_ int64, line []byte, b *builder) ([]byte, bool) {
	p.s = jsonScanner{data: line, buf: p.s.buf}
	if p.s.peek() != '{' {
		b.setErr(errJSON, msgMalformedObject)
		return line, true
	}
	// Like Loki's parser, text after the closing brace is ignored.
	if err := p.object(b, 0); err != nil && err != errExtractedAll {
		b.setErr(errJSON, lokiJSONError(err))
	}
	return line, true
}

// errExtractedAll stops the walk of a line once the hints' labels are in: as Loki's parser
// does, the rest of the line is not read, so it can set no error either.
var errExtractedAll = errors.New("every label the query needs is extracted")

func (p *jsonParser) object(b *builder, depth int) error {
	return p.s.eachMember(depth, func(key []byte) error {
		saved := len(p.prefix)
		k := sanitizeLabelKey(string(key), saved == 0)
		if saved > 0 && k != "" {
			p.prefix = append(p.prefix, '_')
		}
		p.prefix = append(p.prefix, k...)
		defer func() { p.prefix = p.prefix[:saved] }()
		switch p.s.peek() {
		case '{':
			return p.object(b, depth+1)
		case '[':
			_, err := p.s.skipValue(depth + 1)
			return err
		case '"':
			v, err := p.s.readString()
			if err != nil {
				return err
			}
			return p.set(b, v)
		default:
			raw, err := p.s.skipValue(depth + 1)
			if err != nil {
				return err
			}
			if string(raw) != "null" {
				return p.set(b, raw)
			}
			return nil
		}
	})
}

// set adds the label of the current key; it returns errExtractedAll once that completes
// the labels the hints need.
func (p *jsonParser) set(b *builder, v []byte) error {
	if len(p.prefix) == 0 {
		return nil
	}
	k := p.names.get(p.prefix, b)
	if !k.wantedBy(b) {
		return nil // the value's string is not made when the query does not need it
	}
	k.set(b, string(v)) // v may be the scanner's buffer, which the next string reuses
	if b.extractedAll() {
		return errExtractedAll
	}
	return nil
}

// nameCache resolves the key paths of one stream's lines to their labels once, so that
// parsing a line neither allocates a name for every key already seen nor looks up the
// stream's labels and the hints again. It is bounded: past maxCachedNames it stops adding.
type nameCache map[string]*parsedKey

const maxCachedNames = 1024

func (c *nameCache) get(path []byte, b *builder) *parsedKey {
	if k, ok := (*c)[string(path)]; ok {
		return k
	}
	k := &parsedKey{name: string(path)}
	k.resolve(b)
	if *c == nil {
		*c = nameCache{}
	}
	if len(*c) < maxCachedNames {
		(*c)[k.name] = k
	}
	return k
}

// sanitizeLabelKey turns a key into a valid label name: surrounding space is trimmed, every
// character outside [a-zA-Z0-9_] becomes "_", and a first key starting with a digit gets a
// leading "_".
func sanitizeLabelKey(key string, isPrefix bool) string {
	key = strings.TrimSpace(key)
	if key == "" {
		return key
	}
	valid := !(isPrefix && key[0] >= '0' && key[0] <= '9')
	for i := 0; i < len(key) && valid; i++ {
		valid = isLabelChar(key[i])
	}
	if valid {
		return key
	}
	var sb strings.Builder
	if isPrefix && key[0] >= '0' && key[0] <= '9' {
		sb.WriteByte('_')
	}
	for _, r := range key {
		if r < 128 && isLabelChar(byte(r)) {
			sb.WriteRune(r)
		} else {
			sb.WriteByte('_')
		}
	}
	return sb.String()
}

func isLabelChar(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// jsonPathStep is one step of a JSON path: an object key or an array index.
type jsonPathStep struct {
	key   string
	index int // -1 for a key
}

// parseJSONPath parses a.b[0], ["key with space"] and mixes of them.
func parseJSONPath(expr string) ([]jsonPathStep, error) {
	var steps []jsonPathStep
	i := 0
	for i < len(expr) {
		switch c := expr[i]; {
		case c == '.':
			i++
		case c == '[':
			end := strings.IndexByte(expr[i:], ']')
			if end < 0 {
				return nil, fmt.Errorf("invalid JSON path %q: missing ']'", expr)
			}
			inner := strings.TrimSpace(expr[i+1 : i+end])
			if len(inner) >= 2 && (inner[0] == '"' || inner[0] == '\'') && inner[len(inner)-1] == inner[0] {
				// A quoted key may itself contain ']': find the closing quote first.
				q := inner[0]
				close := strings.IndexByte(expr[i+2:], q)
				if close < 0 {
					return nil, fmt.Errorf("invalid JSON path %q: unterminated key", expr)
				}
				key := expr[i+2 : i+2+close]
				rest := expr[i+2+close+1:]
				rb := strings.IndexByte(rest, ']')
				if rb < 0 || strings.TrimSpace(rest[:rb]) != "" {
					return nil, fmt.Errorf("invalid JSON path %q", expr)
				}
				steps = append(steps, jsonPathStep{key: key, index: -1})
				i = len(expr) - len(rest) + rb + 1
				continue
			}
			n, err := strconv.Atoi(inner)
			if err != nil || n < 0 {
				return nil, fmt.Errorf("invalid JSON path %q: bad index %q", expr, inner)
			}
			steps = append(steps, jsonPathStep{index: n})
			i += end + 1
		default:
			j := i
			for j < len(expr) && expr[j] != '.' && expr[j] != '[' {
				j++
			}
			steps = append(steps, jsonPathStep{key: expr[i:j], index: -1})
			i = j
		}
	}
	if len(steps) == 0 {
		return nil, fmt.Errorf("invalid JSON path %q: empty", expr)
	}
	return steps, nil
}

// jsonExtractParser extracts only the labels named by json parameters.
type jsonExtractParser struct {
	names []string
	paths [][]jsonPathStep
	s     jsonScanner
}

func newJSONExtractParser(ex []syntax.LabelExtraction) (*jsonExtractParser, error) {
	p := &jsonExtractParser{}
	for _, e := range ex {
		path := e.Expr
		if path == "" {
			path = e.Label
		}
		steps, err := parseJSONPath(path)
		if err != nil {
			return nil, err
		}
		p.names = append(p.names, e.Label)
		p.paths = append(p.paths, steps)
	}
	return p, nil
}

func (p *jsonExtractParser) clone() *jsonExtractParser {
	return &jsonExtractParser{names: p.names, paths: p.paths}
}

func (p *jsonExtractParser) process(_ int64, line []byte, b *builder) ([]byte, bool) {
	if len(line) == 0 {
		return line, true
	}
	// Loki checks only the first byte; later malformations surface while walking.
	if c := line[0]; c != '{' && c != '[' && c != '"' {
		b.setErr(errJSON, "")
		return line, true
	}
	for i, path := range p.paths {
		p.s = jsonScanner{data: line, buf: p.s.buf}
		v, found, err := p.lookup(path, 0)
		if err != nil {
			b.setErr(errJSON, lokiJSONError(err))
			return line, true
		}
		// As in Loki, a path that is absent or null gives an empty label.
		if !found {
			v = ""
		}
		b.setParsed(p.names[i], v)
	}
	return line, true
}

// lookup walks the path; strings are unescaped, other values returned raw.
func (p *jsonExtractParser) lookup(path []jsonPathStep, depth int) (string, bool, error) {
	if len(path) == 0 {
		if p.s.peek() == '"' {
			v, err := p.s.readString()
			return string(v), err == nil, err
		}
		raw, err := p.s.skipValue(depth)
		if err != nil {
			return "", false, err
		}
		if string(raw) == "null" {
			return "", false, nil
		}
		return string(raw), true, nil
	}
	step := path[0]
	var (
		val   string
		found bool
	)
	var err error
	if step.index < 0 {
		if p.s.peek() != '{' {
			_, err = p.s.skipValue(depth)
			return "", false, err
		}
		err = p.s.eachMember(depth, func(key []byte) error {
			if !found && string(key) == step.key {
				var e error
				val, found, e = p.lookup(path[1:], depth+1)
				return e
			}
			_, e := p.s.skipValue(depth + 1)
			return e
		})
	} else {
		if p.s.peek() != '[' {
			_, err = p.s.skipValue(depth)
			return "", false, err
		}
		err = p.s.eachElement(depth, func(i int) error {
			if i == step.index {
				var e error
				val, found, e = p.lookup(path[1:], depth+1)
				return e
			}
			_, e := p.s.skipValue(depth + 1)
			return e
		})
	}
	return val, found, err
}
