package syntax

// Label filters combine with "or", "and", "," and juxtaposition (| a="b" c="d"); the last
// two mean "and". Loki's yacc grammar gives "and" precedence over "or" (both left
// associative) but gives the "," and juxtaposition rules no precedence at all, so yacc
// always shifts on them: what follows a comma, up to the end of the filter, becomes one
// group. Thus `a, b or c` is a and (b or c) while `a and b or c` is (a and b) or c. The
// Pratt parser below reproduces that with binding powers: "," and juxtaposition bind
// tightest to their left and loosest to their right.
//
// Keywords and commas are consumed only when a label filter follows them, so that the
// commas of enclosing calls and binary operators after a range are left to the caller.

const (
	lfBindOr    = 1
	lfBindAnd   = 2
	lfBindComma = 3
)

func isLabelFilterOp(k tokKind) bool {
	switch k {
	case tokEq, tokNeq, tokRe, tokNre, tokCmpEq, tokGt, tokGte, tokLt, tokLte:
		return true
	}
	return false
}

// startsLabelFilter reports whether the token n ahead begins a label filter.
func (p *parser) startsLabelFilter(n int) bool {
	t := p.peekN(n)
	if t.kind == tokLParen {
		return true
	}
	return t.kind == tokIdent && isLabelFilterOp(p.peekN(n+1).kind)
}

func (p *parser) parseLabelFilterOr() (LabelFilter, error) { return p.parseLabelFilterExpr(0) }

// parseLabelFilterExpr parses operators whose left binding power exceeds rbp.
func (p *parser) parseLabelFilterExpr(rbp int) (LabelFilter, error) {
	left, err := p.parseLabelFilterPrimary()
	if err != nil {
		return nil, err
	}
	for {
		t := p.peek()
		var lbp, nextRbp int
		and, consume := true, true
		switch {
		case t.is("or") && p.startsLabelFilter(1):
			lbp, nextRbp, and = lfBindOr, lfBindOr, false
		case t.is("and") && p.startsLabelFilter(1):
			lbp, nextRbp = lfBindAnd, lfBindAnd
		case t.kind == tokComma && p.startsLabelFilter(1):
			lbp, nextRbp = lfBindComma, 0
		case p.startsLabelFilter(0):
			lbp, nextRbp, consume = lfBindComma, 0, false
		default:
			return left, nil
		}
		if lbp <= rbp {
			return left, nil
		}
		if consume {
			p.next()
		}
		right, err := p.parseLabelFilterExpr(nextRbp)
		if err != nil {
			return nil, err
		}
		left = &BinaryLabelFilter{And: and, Left: left, Right: right}
	}
}

var cmpOps = map[tokKind]CmpOp{
	tokEq: CmpEq, tokCmpEq: CmpEq, tokNeq: CmpNe, tokGt: CmpGt, tokGte: CmpGe, tokLt: CmpLt, tokLte: CmpLe,
}

func (p *parser) parseLabelFilterPrimary() (LabelFilter, error) {
	t := p.peek()
	if t.kind == tokLParen {
		if err := p.enter(t); err != nil {
			return nil, err
		}
		defer p.leave()
		p.next()
		f, err := p.parseLabelFilterOr()
		if err != nil {
			return nil, err
		}
		if _, err := p.expect(tokRParen); err != nil {
			return nil, err
		}
		return f, nil
	}
	// Loki's yacc names the expected tokens only when there are at most four; here
	// there are more, hence the bare "unexpected X".
	name := p.next()
	if name.kind != tokIdent {
		return nil, p.unexpected(name)
	}
	opTok := p.next()
	if !isLabelFilterOp(opTok.kind) {
		return nil, p.unexpected(opTok)
	}
	v := p.peek()
	// String matchers: = != =~ !~ "value".
	if mt, ok := matchOps[opTok.kind]; ok && v.kind == tokString {
		p.next()
		m, err := newMatcher(mt, name.text, v.val)
		if err != nil {
			return nil, err
		}
		return &StringLabelFilter{Matcher: m}, nil
	}
	if opTok.kind == tokRe || opTok.kind == tokNre {
		return nil, p.unexpected(v, "STRING")
	}
	// name = ip("cidr"), name != ip("cidr").
	if (opTok.kind == tokEq || opTok.kind == tokNeq) && v.is("ip") && p.peekN(1).kind == tokLParen {
		p.next()
		p.next()
		s, err := p.expect(tokString)
		if err != nil {
			return nil, err
		}
		if _, err := p.expect(tokRParen); err != nil {
			return nil, err
		}
		if err := validateIP(s.val); err != nil {
			return nil, err
		}
		return &IPLabelFilter{Name: name.text, Negate: opTok.kind == tokNeq, CIDR: s.val}, nil
	}
	return p.parseNumericLabelFilter(name.text, opTok.kind)
}

// parseNumericLabelFilter reads the right-hand side of a numeric, duration or byte-size
// comparison, with an optional sign.
func (p *parser) parseNumericLabelFilter(name string, opKind tokKind) (LabelFilter, error) {
	op := cmpOps[opKind]
	sign := ""
	if k := p.peek().kind; k == tokSub || k == tokAdd {
		switch p.peekN(1).kind {
		case tokNumber, tokDuration, tokBytes:
			sign = p.next().text
		}
	}
	v := p.next()
	f := &NumericLabelFilter{Name: name, Op: op, Raw: sign + v.text}
	switch v.kind {
	case tokNumber:
		n, err := parseNumber(v.text)
		if err != nil {
			return nil, &ParseError{Msg: err.Error(), Line: v.line, Col: v.col}
		}
		f.Kind, f.Value = NumberKind, n
	case tokDuration:
		d, err := parseLabelDuration(v.text)
		if err != nil {
			return nil, &ParseError{Msg: err.Error(), Line: v.line, Col: v.col}
		}
		f.Kind, f.Value = DurationKind, d.Seconds()
	case tokBytes:
		b, err := ParseBytes(v.text)
		if err != nil {
			return nil, &ParseError{Msg: err.Error(), Line: v.line, Col: v.col}
		}
		f.Kind, f.Value = BytesKind, b
	default:
		return nil, p.unexpected(v)
	}
	if sign == "-" {
		f.Value = -f.Value
	}
	return f, nil
}
