package log

import (
	"fmt"
	"regexp"
)

// regexpParser sets a label for every named group of a matching line; a line that does not
// match gets no labels and no error, as in Loki.
type regexpParser struct {
	re    *regexp.Regexp
	names []string // per submatch index, "" for unnamed groups
}

func newRegexpParser(expr string) (*regexpParser, error) {
	re, err := regexp.Compile(expr)
	if err != nil {
		return nil, fmt.Errorf("invalid regexp %q: %w", expr, err)
	}
	p := &regexpParser{re: re, names: make([]string, len(re.SubexpNames()))}
	named := 0
	seen := map[string]bool{}
	for i, n := range re.SubexpNames() {
		if i == 0 || n == "" {
			continue
		}
		if !isCaptureName(n) {
			return nil, fmt.Errorf("invalid regexp %q: group name %q is not a valid label name", expr, n)
		}
		if seen[n] {
			return nil, fmt.Errorf("invalid regexp %q: duplicate group name %q", expr, n)
		}
		seen[n] = true
		p.names[i] = n
		named++
	}
	if named == 0 {
		return nil, fmt.Errorf("invalid regexp %q: at least one named capture must be supplied", expr)
	}
	return p, nil
}

func (p *regexpParser) process(_ int64, line []byte, b *builder) ([]byte, bool) {
	m := p.re.FindSubmatchIndex(line)
	if m == nil {
		return line, true
	}
	for i, name := range p.names {
		if name == "" || m[2*i] < 0 {
			continue
		}
		b.setParsed(name, string(line[m[2*i]:m[2*i+1]]))
	}
	return line, true
}
