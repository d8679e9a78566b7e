package log

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"

	"github.com/jetlog/jetlog/logql/syntax"
)

// lineMatcher tests one alternative of a line filter.
type lineMatcher interface {
	match(line []byte) bool
}

type containsMatcher struct{ sub []byte }

func (m containsMatcher) match(line []byte) bool { return bytes.Contains(line, m.sub) }

// foldContainsMatcher is a case-insensitive substring test for (?i)literal regexps.
type foldContainsMatcher struct{ lower []byte }

func (m foldContainsMatcher) match(line []byte) bool {
	n := len(m.lower)
	for i := 0; i+n <= len(line); i++ {
		if bytes.EqualFold(line[i:i+n], m.lower) {
			return true
		}
	}
	return false
}

type regexpMatcher struct{ re *regexp.Regexp }

func (m regexpMatcher) match(line []byte) bool { return m.re.Match(line) }

// lineFilter is a line filter with its alternatives: positive filters pass if any
// alternative matches, negative ones only if none does.
type lineFilter struct {
	negate   bool
	matchers []lineMatcher
}

func (f *lineFilter) process(_ int64, line []byte, _ *builder) ([]byte, bool) {
	for _, m := range f.matchers {
		if m.match(line) {
			return line, !f.negate
		}
	}
	return line, f.negate
}

func newLineFilter(lf syntax.LineFilter) (stageFactory, error) {
	if len(lf.Values) == 0 {
		return nil, fmt.Errorf("line filter without a value")
	}
	f := &lineFilter{}
	switch lf.Op {
	case syntax.LineNotContains, syntax.LineNotMatchRegexp, syntax.LineNotMatchPattern:
		f.negate = true
	}
	for _, v := range lf.Values {
		m, err := newLineMatcher(lf.Op, lf.IP, v)
		if err != nil {
			return nil, err
		}
		f.matchers = append(f.matchers, m)
	}
	return func() stage { return f }, nil
}

func newLineMatcher(op syntax.LineFilterOp, ip bool, v string) (lineMatcher, error) {
	if ip {
		if op != syntax.LineContains && op != syntax.LineNotContains {
			return nil, fmt.Errorf("ip() line filter needs |= or !=")
		}
		return newIPLineMatcher(v)
	}
	switch op {
	case syntax.LineContains, syntax.LineNotContains:
		return containsMatcher{sub: []byte(v)}, nil
	case syntax.LineMatchRegexp, syntax.LineNotMatchRegexp:
		// A case-insensitive literal is a plain folded substring search.
		if lit, ok := strings.CutPrefix(v, "(?i)"); ok && lit != "" && regexp.QuoteMeta(lit) == lit {
			return foldContainsMatcher{lower: []byte(strings.ToLower(lit))}, nil
		}
		if regexp.QuoteMeta(v) == v {
			return containsMatcher{sub: []byte(v)}, nil
		}
		re, err := regexp.Compile(v)
		if err != nil {
			return nil, fmt.Errorf("invalid regexp %q: %w", v, err)
		}
		return regexpMatcher{re: re}, nil
	case syntax.LineMatchPattern, syntax.LineNotMatchPattern:
		p, err := compilePattern(v, false)
		if err != nil {
			return nil, err
		}
		return p, nil
	}
	return nil, fmt.Errorf("unknown line filter operator %d", op)
}
