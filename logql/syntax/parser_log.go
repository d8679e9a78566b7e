package syntax

import (
	"net/netip"
	"regexp"
	"strings"

	"github.com/jetlog/jetlog/schemas/labels"
)

// parseLogExpr reads a stream selector and its pipeline; unwrap is not allowed here.
func (p *parser) parseLogExpr() (*LogSelectorExpr, error) {
	ms, err := p.parseSelector()
	if err != nil {
		return nil, err
	}
	stages, _, err := p.parsePipeline(false)
	if err != nil {
		return nil, err
	}
	return &LogSelectorExpr{Matchers: ms, Pipeline: stages}, nil
}

var matchOps = map[tokKind]labels.MatchType{
	tokEq: labels.MatchEqual, tokNeq: labels.MatchNotEqual,
	tokRe: labels.MatchRegexp, tokNre: labels.MatchNotRegexp,
}

// parseSelector reads {name op "value", ...}. The empty-compatibility check is left to the
// caller so that {} is reported with Loki's message rather than as a syntax error.
func (p *parser) parseSelector() ([]*labels.Matcher, error) {
	if _, err := p.expect(tokLBrace); err != nil {
		return nil, err
	}
	ms := []*labels.Matcher{}
	if p.peek().kind == tokRBrace {
		p.next()
		return ms, nil
	}
	for {
		m, err := p.parseMatcher()
		if err != nil {
			return nil, err
		}
		ms = append(ms, m)
		switch t := p.next(); t.kind {
		case tokComma:
		case tokRBrace:
			return ms, nil
		default:
			return nil, p.unexpected(t, "}", ",")
		}
	}
}

// parseMatcher reads name op "value" with one of = != =~ !~.
func (p *parser) parseMatcher() (*labels.Matcher, error) {
	name, err := p.expect(tokIdent)
	if err != nil {
		return nil, err
	}
	opTok := p.next()
	mt, ok := matchOps[opTok.kind]
	if !ok {
		return nil, p.unexpected(opTok, "=", "=~", "!~", "!=")
	}
	val, err := p.expect(tokString)
	if err != nil {
		return nil, err
	}
	return newMatcher(mt, name.text, val.val)
}

func newMatcher(mt labels.MatchType, name, value string) (*labels.Matcher, error) {
	if mt == labels.MatchRegexp || mt == labels.MatchNotRegexp {
		// Compile the expression as written first, so the error quotes the user's text
		// rather than the anchored form the matcher builds.
		if _, err := regexp.Compile(value); err != nil {
			return nil, newParseError("%s", err.Error())
		}
	}
	m, err := labels.NewMatcher(mt, name, value)
	if err != nil {
		return nil, newParseError("%s", err.Error())
	}
	return m, nil
}

var lineFilterOps = map[tokKind]LineFilterOp{
	tokPipeEq: LineContains, tokNeq: LineNotContains, tokPipeRe: LineMatchRegexp,
	tokNre: LineNotMatchRegexp, tokPipePat: LineMatchPattern, tokNotPat: LineNotMatchPattern,
}

// parsePipeline reads stages until a token that cannot continue a pipeline. With
// allowUnwrap, a `| unwrap` ends the pipeline and is returned with its post-filters.
func (p *parser) parsePipeline(allowUnwrap bool) ([]Stage, *Unwrap, error) {
	var stages []Stage
	for {
		t := p.peek()
		if op, ok := lineFilterOps[t.kind]; ok {
			f, err := p.parseLineFilter(op)
			if err != nil {
				return nil, nil, err
			}
			stages = append(stages, &LineFilterStage{Filter: f})
			continue
		}
		if t.kind != tokPipe {
			return stages, nil, nil
		}
		if n := p.peekN(1); n.is("unwrap") && !isLabelFilterOp(p.peekN(2).kind) {
			if !allowUnwrap {
				return nil, nil, p.unexpected(n)
			}
			u, err := p.parseUnwrap()
			return stages, u, err
		}
		p.next()
		s, err := p.parseStage()
		if err != nil {
			return nil, nil, err
		}
		stages = append(stages, s)
	}
}

// parseLineFilter reads op "a" [or "b" ...] or op ip("cidr").
func (p *parser) parseLineFilter(op LineFilterOp) (LineFilter, error) {
	p.next()
	f := LineFilter{Op: op}
	if t := p.peek(); t.is("ip") && p.peekN(1).kind == tokLParen {
		if op != LineContains && op != LineNotContains {
			return f, &ParseError{Msg: "syntax error: ip() line filter supports only |= and !=", Line: t.line, Col: t.col}
		}
		p.next()
		p.next()
		s, err := p.expect(tokString)
		if err != nil {
			return f, err
		}
		if _, err := p.expect(tokRParen); err != nil {
			return f, err
		}
		if err := validateIP(s.val); err != nil {
			return f, err
		}
		f.IP = true
		f.Values = []string{s.val}
		if t := p.peek(); t.is("or") && p.peekN(1).kind == tokString {
			return f, &ParseError{Msg: "syntax error: ip() line filter cannot be combined with or", Line: t.line, Col: t.col}
		}
		return f, nil
	}
	s, err := p.expect(tokString, "STRING", "ip")
	if err != nil {
		return f, err
	}
	f.Values = []string{s.val}
	for p.peek().is("or") && (p.peekN(1).kind == tokString || p.peekN(1).is("ip") && p.peekN(2).kind == tokLParen) {
		if n := p.peekN(1); n.kind != tokString {
			return f, &ParseError{Msg: "syntax error: ip() line filter cannot be combined with or", Line: n.line, Col: n.col}
		}
		p.next()
		f.Values = append(f.Values, p.next().val)
	}
	if op == LineMatchRegexp || op == LineNotMatchRegexp {
		for _, v := range f.Values {
			if _, err := regexp.Compile(v); err != nil {
				return f, newParseError("%s", err.Error())
			}
		}
	}
	return f, nil
}

// validateIP accepts what Loki's ip() does: an address, a CIDR or a range a-b.
func validateIP(s string) error {
	if _, err := netip.ParseAddr(s); err == nil {
		return nil
	}
	if _, err := netip.ParsePrefix(s); err == nil {
		return nil
	}
	if lo, hi, ok := strings.Cut(s, "-"); ok {
		a, errA := netip.ParseAddr(strings.TrimSpace(lo))
		b, errB := netip.ParseAddr(strings.TrimSpace(hi))
		if errA == nil && errB == nil && a.Is4() == b.Is4() && a.Compare(b) <= 0 {
			return nil
		}
	}
	return newParseError("ip: invalid IP address, CIDR or range %q", s)
}

// parseUnwrap reads | unwrap [conv(]label[)] and its | label-filter post-filters.
func (p *parser) parseUnwrap() (*Unwrap, error) {
	p.next() // |
	p.next() // unwrap
	u := &Unwrap{}
	t, err := p.expect(tokIdent)
	if err != nil {
		return nil, err
	}
	conv := strings.ToLower(t.text)
	if (conv == "duration" || conv == "duration_seconds" || conv == "bytes") && p.peek().kind == tokLParen {
		p.next()
		l, err := p.expect(tokIdent)
		if err != nil {
			return nil, err
		}
		if _, err := p.expect(tokRParen); err != nil {
			return nil, err
		}
		u.Conv, u.Label = conv, l.text
	} else {
		u.Label = t.text
	}
	for p.peek().kind == tokPipe {
		p.next()
		if !p.startsLabelFilter(0) {
			return nil, p.unexpected(p.peek(), "IDENTIFIER", "(")
		}
		f, err := p.parseLabelFilterOr()
		if err != nil {
			return nil, err
		}
		u.PostFilters = append(u.PostFilters, f)
	}
	return u, nil
}
