package gateway

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/jetlog/jetlog/schemas/labels"
)

// parseLabels parses Loki's stream selector syntax {name="value", ...} (values in double
// quotes with Go escapes, or back-quoted raw). Labels with an empty value are dropped, as in
// Loki (an empty value equals an absent label). The result is sorted by name and keeps
// duplicate names, so that validation can report them with Loki's message.
func parseLabels(s string) (labels.Labels, error) {
	p := labelParser{s: s}
	return p.parse()
}

type labelParser struct {
	s   string
	pos int
}

func (p *labelParser) errorf(format string, args ...any) error {
	return fmt.Errorf("1:%d: parse error: %s", p.pos+1, fmt.Sprintf(format, args...))
}

func (p *labelParser) skipSpace() {
	for p.pos < len(p.s) {
		switch p.s[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *labelParser) parse() (labels.Labels, error) {
	p.skipSpace()
	if p.pos >= len(p.s) || p.s[p.pos] != '{' {
		return nil, p.errorf("expected '{'")
	}
	p.pos++
	// Sized up front: growing by appends to a million labels allocates five times the slice.
	// Every label has an '=' and takes at least four bytes.
	ls := make(labels.Labels, 0, min(strings.Count(p.s, "="), len(p.s)/4+1))
	for {
		p.skipSpace()
		if p.pos < len(p.s) && p.s[p.pos] == '}' {
			break // after '{' or ',': "{}" and a trailing comma are valid, as in Prometheus' grammar
		}
		start := p.pos
		for p.pos < len(p.s) && nameByte(p.s[p.pos], p.pos == start) {
			p.pos++
		}
		if p.pos == start {
			if p.pos >= len(p.s) {
				return nil, p.errorf("unexpected end of input, expected label name")
			}
			return nil, p.errorf("invalid label name starting at %q", truncate(p.s[p.pos:], 32))
		}
		name := p.s[start:p.pos]
		p.skipSpace()
		if p.pos >= len(p.s) || p.s[p.pos] != '=' {
			return nil, p.errorf("expected '=' after label name %q", name)
		}
		p.pos++
		p.skipSpace()
		value, err := p.quoted()
		if err != nil {
			return nil, err
		}
		if value != "" {
			ls = append(ls, labels.Label{Name: name, Value: value})
		}
		p.skipSpace()
		if p.pos >= len(p.s) {
			return nil, p.errorf("unexpected end of input, expected ',' or '}'")
		}
		if p.s[p.pos] == ',' {
			p.pos++
			continue
		}
		if p.s[p.pos] == '}' {
			break
		}
		return nil, p.errorf("unexpected %q, expected ',' or '}'", p.s[p.pos])
	}
	p.pos++ // '}'
	p.skipSpace()
	if p.pos != len(p.s) {
		return nil, p.errorf("unexpected %q after '}'", truncate(p.s[p.pos:], 32))
	}
	sort.SliceStable(ls, func(i, j int) bool { return ls[i].Name < ls[j].Name })
	return ls, nil
}

// quoted reads a "..." or '...' (Go escapes) or `...` (raw) string value.
func (p *labelParser) quoted() (string, error) {
	if p.pos >= len(p.s) {
		return "", p.errorf("unexpected end of input, expected quoted label value")
	}
	q := p.s[p.pos]
	if q != '"' && q != '\'' && q != '`' {
		return "", p.errorf("label value must be quoted, found %q", q)
	}
	start := p.pos
	p.pos++
	escaped := false
	for p.pos < len(p.s) {
		c := p.s[p.pos]
		if c == '\\' && q != '`' {
			escaped = true
			p.pos += 2
			continue
		}
		if c == q {
			p.pos++
			lit := p.s[start:p.pos]
			var v string
			if escaped {
				if q == '\'' {
					lit = singleToDouble(lit)
				}
				var err error
				if v, err = strconv.Unquote(lit); err != nil {
					return "", p.errorf("invalid label value %s: %v", truncate(lit, 32), err)
				}
			} else {
				v = lit[1 : len(lit)-1]
			}
			if !utf8.ValidString(v) {
				return "", p.errorf("invalid UTF-8 in label value")
			}
			return v, nil
		}
		if c == '\n' && q != '`' {
			return "", p.errorf("unterminated quoted string")
		}
		p.pos++
	}
	p.pos = len(p.s)
	return "", p.errorf("unterminated quoted string")
}

// singleToDouble rewrites a single-quoted literal with escapes as a double-quoted one for
// strconv.Unquote: \' becomes ', a bare " becomes \".
func singleToDouble(lit string) string {
	inner := lit[1 : len(lit)-1]
	b := make([]byte, 0, len(inner)+4)
	b = append(b, '"')
	for i := 0; i < len(inner); i++ {
		switch c := inner[i]; {
		case c == '\\' && i+1 < len(inner):
			if inner[i+1] == '\'' {
				b = append(b, '\'')
			} else {
				b = append(b, c, inner[i+1])
			}
			i++
		case c == '"':
			b = append(b, '\\', '"')
		default:
			b = append(b, c)
		}
	}
	return string(append(b, '"'))
}

func nameByte(c byte, first bool) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || !first && c >= '0' && c <= '9'
}

func validLabelName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !nameByte(s[i], i == 0) {
			return false
		}
	}
	return true
}

// labelCache memoises parseLabels per distinct label string: agents send the same few label
// strings in every push, so parsing, sorting and canonicalising happen once per stream.
// Bounded: it is emptied when it reaches max entries.
type labelCache struct {
	mu  sync.RWMutex
	m   map[string]*parsedStream
	max int
}

// parsedStream is a cache entry. ls and err never change; verdict memoises validation for the
// *Limits it was computed with (limits objects are immutable, so pointer equality suffices).
type parsedStream struct {
	ls      labels.Labels
	err     error
	verdict verdictPtr
}

// maxCachedLabelsLen keeps giant label strings (a push with a million labels) out of the cache.
const maxCachedLabelsLen = 4096

func newLabelCache(max int) *labelCache {
	return &labelCache{m: make(map[string]*parsedStream), max: max}
}

func (c *labelCache) get(s string) *parsedStream {
	c.mu.RLock()
	ps, ok := c.m[s]
	c.mu.RUnlock()
	if ok {
		return ps
	}
	ls, err := parseLabels(s)
	ps = &parsedStream{ls: ls, err: err}
	if len(s) > maxCachedLabelsLen {
		return ps // hostile or unusual: parse every time rather than pin it in memory
	}
	key := string([]byte(s)) // own copy: s may alias a request buffer
	c.mu.Lock()
	if len(c.m) >= c.max {
		c.m = make(map[string]*parsedStream, c.max/2)
	}
	c.m[key] = ps
	c.mu.Unlock()
	return ps
}
