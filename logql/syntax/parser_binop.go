package syntax

import (
	"fmt"
	"math"
	"strings"
)

// binOpOf maps a token to a binary operator and its precedence (see binOpPrecedence).
func binOpOf(t token) (string, bool) {
	switch t.kind {
	case tokAdd:
		return OpAdd, true
	case tokSub:
		return OpSub, true
	case tokMul:
		return OpMul, true
	case tokDiv:
		return OpDiv, true
	case tokMod:
		return OpMod, true
	case tokPow:
		return OpPow, true
	case tokCmpEq:
		return OpEq, true
	case tokNeq:
		return OpNe, true
	case tokGt:
		return OpGt, true
	case tokGte:
		return OpGe, true
	case tokLt:
		return OpLt, true
	case tokLte:
		return OpLe, true
	case tokIdent:
		switch strings.ToLower(t.text) {
		case "and":
			return OpAnd, true
		case "or":
			return OpOr, true
		case "unless":
			return OpUnless, true
		}
	}
	return "", false
}

func isComparison(op string) bool {
	switch op {
	case OpEq, OpNe, OpGt, OpGe, OpLt, OpLe:
		return true
	}
	return false
}

func isSetOp(op string) bool { return op == OpAnd || op == OpOr || op == OpUnless }

// parseBinary is precedence climbing over Prometheus' operator table: it parses operands
// joined by operators of precedence >= minPrec. All operators associate to the left but ^.
func (p *parser) parseBinary(minPrec int) (Expr, error) {
	if err := p.enter(p.peek()); err != nil {
		return nil, err
	}
	defer p.leave()
	lhs, err := p.parseUnary()
	if err != nil {
		return nil, err
	}
	for {
		opTok := p.peek()
		op, ok := binOpOf(opTok)
		if !ok {
			return lhs, nil
		}
		prec := binOpPrecedence(op)
		if prec < minPrec {
			return lhs, nil
		}
		p.next()
		opts, err := p.parseBinOpModifiers(op)
		if err != nil {
			return nil, err
		}
		nextMin := prec + 1
		if op == OpPow {
			nextMin = prec
		}
		rhs, err := p.parseBinary(nextMin)
		if err != nil {
			return nil, err
		}
		if lhs, err = newBinOp(op, opts, lhs, rhs); err != nil {
			return nil, err
		}
	}
}

// parseBinOpModifiers reads [bool] [on|ignoring (labels) [group_left|group_right [(labels)]]].
func (p *parser) parseBinOpModifiers(op string) (BinOpOptions, error) {
	var opts BinOpOptions
	if t := p.peek(); t.is("bool") {
		if !isComparison(op) {
			return opts, &ParseError{Msg: "bool modifier can only be used on comparison operators", Line: t.line, Col: t.col}
		}
		p.next()
		opts.ReturnBool = true
	}
	t := p.peek()
	if !t.is("on") && !t.is("ignoring") {
		return opts, nil
	}
	p.next()
	m := &VectorMatching{On: t.is("on")}
	var err error
	if m.Labels, err = p.parseLabelList(); err != nil {
		return opts, err
	}
	opts.Matching = m
	g := p.peek()
	switch {
	case g.is("group_left"):
		m.Card = ManyToOne
	case g.is("group_right"):
		m.Card = OneToMany
	default:
		return opts, nil
	}
	if isSetOp(op) {
		return opts, &ParseError{Msg: fmt.Sprintf("no grouping allowed for %q operation", op), Line: g.line, Col: g.col}
	}
	p.next()
	m.Include = []string{}
	if p.peek().kind == tokLParen {
		if m.Include, err = p.parseLabelList(); err != nil {
			return opts, err
		}
	}
	return opts, nil
}

// goTypeName names a log expression in errors the way Loki's Go types do.
func goTypeName(e Expr) string {
	if sel, ok := e.(*LogSelectorExpr); ok {
		if len(sel.Pipeline) == 0 {
			return "*syntax.MatchersExpr"
		}
		return "*syntax.PipelineExpr"
	}
	return fmt.Sprintf("%T", e)
}

// newBinOp checks the legs and, like Loki, folds an operation on two literals into one
// literal (the engine then never sees a binary operation without a vector). A fold whose
// result is not finite (1/0) is kept as an operation, because LogQL has no literal for it.
func newBinOp(op string, opts BinOpOptions, lhs, rhs Expr) (Expr, error) {
	left, ok := lhs.(SampleExpr)
	if !ok {
		return nil, newParseError("unexpected type for left leg of binary operation (%s): %s", op, goTypeName(lhs))
	}
	right, ok := rhs.(SampleExpr)
	if !ok {
		return nil, newParseError("unexpected type for right leg of binary operation (%s): %s", op, goTypeName(rhs))
	}
	ll, lok := left.(*LiteralExpr)
	rl, rok := right.(*LiteralExpr)
	if isSetOp(op) {
		if lok {
			return nil, newParseError("unexpected literal for left leg of logical/set binary operation (%s): %f", op, ll.Val)
		}
		if rok {
			return nil, newParseError("unexpected literal for right leg of logical/set binary operation (%s): %f", op, rl.Val)
		}
	}
	if lok && rok {
		if v := foldLiterals(op, ll.Val, rl.Val); !math.IsNaN(v) && !math.IsInf(v, 0) {
			return &LiteralExpr{Val: v}, nil
		}
	}
	return &BinOpExpr{Op: op, LHS: left, RHS: right, Opts: opts}, nil
}

func foldLiterals(op string, a, b float64) float64 {
	boolf := func(c bool) float64 {
		if c {
			return 1
		}
		return 0
	}
	switch op {
	case OpAdd:
		return a + b
	case OpSub:
		return a - b
	case OpMul:
		return a * b
	case OpDiv:
		if b == 0 {
			return math.NaN()
		}
		return a / b
	case OpMod:
		if b == 0 {
			return math.NaN()
		}
		return math.Mod(a, b)
	case OpPow:
		return math.Pow(a, b)
	case OpEq:
		return boolf(a == b)
	case OpNe:
		return boolf(a != b)
	case OpGt:
		return boolf(a > b)
	case OpGe:
		return boolf(a >= b)
	case OpLt:
		return boolf(a < b)
	case OpLe:
		return boolf(a <= b)
	}
	return math.NaN()
}

// parseUnary reads one operand: a literal, a parenthesised expression, a log query or a
// function call.
func (p *parser) parseUnary() (Expr, error) {
	t := p.peek()
	switch t.kind {
	case tokNumber:
		v, _, err := p.parseSignedNumber()
		if err != nil {
			return nil, err
		}
		return &LiteralExpr{Val: v}, nil
	case tokAdd, tokSub:
		if p.peekN(1).kind != tokNumber {
			return nil, p.unexpected(t)
		}
		v, _, err := p.parseSignedNumber()
		if err != nil {
			return nil, err
		}
		return &LiteralExpr{Val: v}, nil
	case tokLParen:
		p.next()
		e, err := p.parseBinary(1)
		if err != nil {
			return nil, err
		}
		if _, err := p.expect(tokRParen); err != nil {
			return nil, err
		}
		return e, nil
	case tokLBrace:
		sel, err := p.parseLogExpr()
		if err != nil {
			return nil, err
		}
		if t := p.peek(); t.kind == tokRange {
			return nil, p.unexpected(t)
		}
		return sel, nil
	case tokIdent:
		name := strings.ToLower(t.text)
		switch {
		case rangeOps[name]:
			return p.parseRangeAggregation(name)
		case vectorOps[name]:
			return p.parseVectorAggregation(name)
		case name == "label_replace":
			return p.parseLabelReplace()
		case name == "vector":
			return p.parseVector()
		}
	}
	return nil, p.unexpected(t)
}
