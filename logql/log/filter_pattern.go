package log

import (
	"bytes"
	"fmt"
	"strings"
)

// pattern is a compiled pattern expression: literals and captures (<name> or <_>).
// Matching follows Loki: each capture takes the text up to the first occurrence of the
// following literal; a trailing capture takes the rest of the line.
type pattern struct {
	parts []patternPart
}

type patternPart struct {
	literal []byte
	capture string // "" for a literal; "_" for an unnamed capture
}

func isCaptureName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// compilePattern parses a pattern. A parser (forParser) needs a named capture; a line
// filter allows only <_>. An empty line-filter pattern matches only empty lines.
func compilePattern(s string, forParser bool) (*pattern, error) {
	p := &pattern{}
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			p.parts = append(p.parts, patternPart{literal: []byte(lit.String())})
			lit.Reset()
		}
	}
	named := 0
	seen := map[string]bool{}
	for i := 0; i < len(s); {
		if s[i] == '<' {
			if end := strings.IndexByte(s[i:], '>'); end > 0 && isCaptureName(s[i+1:i+end]) {
				name := s[i+1 : i+end]
				flush()
				if n := len(p.parts); n > 0 && p.parts[n-1].capture != "" {
					return nil, fmt.Errorf("invalid pattern %q: consecutive captures are not allowed", s)
				}
				if name != "_" {
					if seen[name] {
						return nil, fmt.Errorf("invalid pattern %q: duplicate capture %q", s, name)
					}
					seen[name] = true
					named++
				}
				p.parts = append(p.parts, patternPart{capture: name})
				i += end + 1
				continue
			}
		}
		lit.WriteByte(s[i])
		i++
	}
	flush()
	if !forParser {
		if named > 0 {
			return nil, fmt.Errorf("invalid pattern %q: named captures are not allowed in a line filter", s)
		}
		return p, nil
	}
	if named == 0 {
		return nil, fmt.Errorf("invalid pattern %q: at least one capture is required", s)
	}
	return p, nil
}

// matches calls f for every capture of a matching line and reports whether it matched.
// With partial (the parser's mode, as in Loki) a literal that is not found ends matching:
// the pending capture takes the rest of the line and earlier captures are kept.
func (p *pattern) matches(line []byte, partial bool, f func(name string, value []byte)) bool {
	if partial && len(line) == 0 {
		return false
	}
	pos := 0
	for i, part := range p.parts {
		if part.capture == "" {
			if i == 0 {
				if !bytes.HasPrefix(line, part.literal) {
					return false
				}
				pos = len(part.literal)
			}
			continue
		}
		var value []byte
		if i+1 < len(p.parts) {
			next := p.parts[i+1].literal
			idx := bytes.Index(line[pos:], next)
			if idx < 0 {
				if !partial {
					return false
				}
				if f != nil && part.capture != "_" {
					f(part.capture, line[pos:])
				}
				return true
			}
			value = line[pos : pos+idx]
			pos += idx + len(next)
		} else {
			value = line[pos:]
			pos = len(line)
		}
		if f != nil && part.capture != "_" {
			f(part.capture, value)
		}
	}
	// A pattern ending with a literal must have consumed it; when the only part is a
	// literal, it must match the whole line's prefix (checked above).
	return true
}

// match is the |> line filter test, with Loki's rules: the literals must appear in order;
// a capture between two literals must not be empty; a pattern ending with a literal must
// end the line, one ending with a capture must leave text for it. An empty line matches
// only an empty pattern.
func (p *pattern) match(line []byte) bool {
	if len(line) == 0 || len(p.parts) == 0 {
		return len(line) == 0 && len(p.parts) == 0
	}
	off := 0
	for i, part := range p.parts {
		if part.capture != "" {
			continue
		}
		j := bytes.Index(line[off:], part.literal)
		if j < 0 || i != 0 && j == 0 {
			return false
		}
		off += j + len(part.literal)
	}
	endsWithCapture := p.parts[len(p.parts)-1].capture != ""
	return endsWithCapture == (off != len(line))
}
