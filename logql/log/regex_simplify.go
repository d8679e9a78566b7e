package log

import (
	"fmt"
	"regexp"
	"regexp/syntax"
	"strings"
)

// valueMatcher tests a label value or a line.
type valueMatcher func(v string) bool

// simplifyRegex reproduces Loki's regex simplifier, which turns simple regular expressions
// into literal tests. Its result is observable: for label filters (isLabel) a lone literal
// or an alternation of literals is an equality test, but a concatenation such as `0.*` or
// `.*err.*` becomes an unanchored substring test, so `| trace_id=~"0.*"` keeps any value
// containing "0" (Loki 3.7 answers so). `.*` and the empty regexp match everything; `.+`
// matches any non-empty value. ok is false when Loki would run the regexp itself.
func simplifyRegex(reg *syntax.Regexp, isLabel bool) (valueMatcher, bool) {
	switch reg.Op {
	case syntax.OpAlternate:
		clearCaptures(reg.Sub)
		var fs []valueMatcher
		for _, sub := range reg.Sub {
			f, ok := simplifyRegex(sub, isLabel)
			if !ok {
				return nil, false
			}
			fs = append(fs, f)
		}
		return anyOf(fs), true
	case syntax.OpConcat:
		return simplifyConcat(reg, nil)
	case syntax.OpCapture:
		return simplifyRegex(reg.Sub[0], isLabel)
	case syntax.OpLiteral:
		lit := string(reg.Rune)
		if isLabel {
			return equalMatcher(lit, foldCase(reg)), true
		}
		return containsValue(lit, foldCase(reg)), true
	case syntax.OpStar:
		if reg.Sub[0].Op == syntax.OpAnyCharNotNL {
			return func(string) bool { return true }, true
		}
	case syntax.OpPlus:
		if len(reg.Sub) == 1 && reg.Sub[0].Op == syntax.OpAnyCharNotNL {
			return func(v string) bool { return len(v) > 0 }, true
		}
	case syntax.OpEmptyMatch:
		return func(string) bool { return true }, true
	}
	return nil, false
}

func foldCase(reg *syntax.Regexp) bool { return reg.Flags&syntax.FoldCase != 0 }

func clearCaptures(regs []*syntax.Regexp) {
	for _, r := range regs {
		for r.Op == syntax.OpCapture {
			*r = *r.Sub[0]
		}
	}
}

// simplifyConcat handles literal-and-star concatenations (foo.*, .*foo.*) and a literal
// followed by alternates (b(ar|uzz)), at most three parts, as Loki does.
func simplifyConcat(reg *syntax.Regexp, base []byte) (valueMatcher, bool) {
	clearCaptures(reg.Sub)
	subs := make([]*syntax.Regexp, 0, len(reg.Sub))
	for _, r := range reg.Sub {
		if r.Op != syntax.OpEmptyMatch {
			subs = append(subs, r)
		}
	}
	if len(subs) > 3 {
		return nil, false
	}
	var (
		curr     []valueMatcher
		literals int
		fold     bool
	)
	for _, sub := range subs {
		switch {
		case sub.Op == syntax.OpLiteral:
			if literals != 0 {
				return nil, false
			}
			literals++
			base = append(base, string(sub.Rune)...)
			fold = foldCase(sub)
		case sub.Op == syntax.OpAlternate && base != nil:
			fs, ok := simplifyConcatAlternate(sub, base, fold)
			if !ok {
				return nil, false
			}
			curr = append(curr, fs...)
		case sub.Op == syntax.OpStar && sub.Sub[0].Op == syntax.OpAnyCharNotNL:
		default:
			return nil, false
		}
	}
	if curr != nil {
		return anyOf(curr), true
	}
	if base != nil {
		return containsValue(string(base), fold), true
	}
	return nil, false
}

func simplifyConcatAlternate(reg *syntax.Regexp, litBytes []byte, fold bool) ([]valueMatcher, bool) {
	lit := string(litBytes)
	var out []valueMatcher
	for _, alt := range reg.Sub {
		if !fold && foldCase(alt) {
			return nil, false
		}
		switch alt.Op {
		case syntax.OpEmptyMatch:
			out = append(out, containsValue(lit, fold))
		case syntax.OpLiteral:
			out = append(out, containsValue(lit+string(alt.Rune), fold))
		case syntax.OpConcat:
			f, ok := simplifyConcat(alt, []byte(lit))
			if !ok {
				return nil, false
			}
			out = append(out, f)
		case syntax.OpStar:
			if alt.Sub[0].Op != syntax.OpAnyCharNotNL {
				return nil, false
			}
			out = append(out, containsValue(lit, fold))
		default:
			return nil, false
		}
	}
	return out, len(out) > 0
}

func anyOf(fs []valueMatcher) valueMatcher {
	if len(fs) == 1 {
		return fs[0]
	}
	return func(v string) bool {
		for _, f := range fs {
			if f(v) {
				return true
			}
		}
		return false
	}
}

func equalMatcher(lit string, fold bool) valueMatcher {
	if fold {
		return func(v string) bool { return strings.EqualFold(v, lit) }
	}
	return func(v string) bool { return v == lit }
}

func containsValue(lit string, fold bool) valueMatcher {
	if fold {
		return func(v string) bool {
			for i := 0; i+len(lit) <= len(v); i++ {
				if strings.EqualFold(v[i:i+len(lit)], lit) {
					return true
				}
			}
			return false
		}
	}
	return func(v string) bool { return strings.Contains(v, lit) }
}

// newLabelRegexMatcher builds the test of a label filter `name=~"re"` as Loki does: the
// simplified form when there is one, else the regexp anchored at both ends (without
// (?s), so "." does not match a newline).
func newLabelRegexMatcher(re string) (valueMatcher, error) {
	reg, err := syntax.Parse(re, syntax.Perl)
	if err != nil {
		return nil, fmt.Errorf("invalid regexp %q: %w", re, err)
	}
	reg = reg.Simplify()
	if f, ok := simplifyRegex(reg, true); ok {
		return f, nil
	}
	compiled, err := regexp.Compile("^(?:" + re + ")$")
	if err != nil {
		return nil, fmt.Errorf("invalid regexp %q: %w", re, err)
	}
	return compiled.MatchString, nil
}
