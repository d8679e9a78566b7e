package syntax

import (
	"errors"
	"strconv"
	"strings"

	"github.com/jetlog/jetlog/schemas/labels"
)

// maxDepth bounds the nesting of parentheses and aggregations, so that a hostile query
// cannot exhaust the stack of the parser, the printer or the engine.
const maxDepth = 256

// MaxQuerySize is the longest query accepted, in bytes, as in Loki (which counts the
// same way: an input of exactly this size is refused).
const MaxQuerySize = 128 << 10

// ParseExpr parses a LogQL query: a log query (*LogSelectorExpr) or a metric query
// (SampleExpr). Every error is a *ParseError with Loki's wording.
func ParseExpr(input string) (Expr, error) {
	if len(input) >= MaxQuerySize {
		return nil, newParseError("input size too long (%d > %d)", len(input), MaxQuerySize)
	}
	toks, err := tokenize(input)
	if err != nil {
		return nil, err
	}
	if len(toks) == 1 {
		// Loki reports an empty query without a position.
		return nil, newParseError("syntax error: unexpected $end")
	}
	p := &parser{toks: toks}
	e, err := p.parseBinary(1)
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tokEOF {
		return nil, p.unexpected(t)
	}
	if err := validateSelectors(e); err != nil {
		return nil, err
	}
	return e, nil
}

// ParseLogSelector parses a log query; a metric query is ErrNotLogSelector.
func ParseLogSelector(input string) (*LogSelectorExpr, error) {
	e, err := ParseExpr(input)
	if err != nil {
		return nil, err
	}
	sel, ok := e.(*LogSelectorExpr)
	if !ok {
		return nil, ErrNotLogSelector
	}
	return sel, nil
}

// ParseSampleExpr parses a metric query; a log query is ErrNotSampleExpr.
func ParseSampleExpr(input string) (SampleExpr, error) {
	e, err := ParseExpr(input)
	if err != nil {
		return nil, err
	}
	se, ok := e.(SampleExpr)
	if !ok {
		return nil, ErrNotSampleExpr
	}
	return se, nil
}

// ParseMatchers parses a bare stream selector such as {a="b", c=~"d"} (the match[]
// parameter of the series API), with the same empty-compatibility check as queries; any
// other valid query is ErrNotMatchers.
func ParseMatchers(input string) ([]*labels.Matcher, error) {
	e, err := ParseExpr(input)
	if err != nil {
		return nil, err
	}
	sel, ok := e.(*LogSelectorExpr)
	if !ok || len(sel.Pipeline) > 0 {
		return nil, ErrNotMatchers
	}
	return sel.Matchers, nil
}

// errEmptyCompatible is Loki's message, pinned by the conformance kit.
const errEmptyCompatible = `queries require at least one regexp or equality matcher that does not have an empty-compatible value. For instance, app=~".*" does not meet this requirement, but app=~".+" will`

// validateMatchers requires one matcher that rejects the empty string: without one, a
// selector would match every stream of the tenant, including streams lacking the label.
func validateMatchers(ms []*labels.Matcher) error {
	for _, m := range ms {
		if !m.Matches("") {
			return nil
		}
	}
	return newParseError("%s", errEmptyCompatible)
}

func validateSelectors(e Expr) error {
	switch e := e.(type) {
	case *LogSelectorExpr:
		return validateMatchers(e.Matchers)
	case *RangeAggregationExpr:
		return validateMatchers(e.Left.Left.Matchers)
	case *VectorAggregationExpr:
		return validateSelectors(e.Left)
	case *LabelReplaceExpr:
		return validateSelectors(e.Left)
	case *BinOpExpr:
		if err := validateSelectors(e.LHS); err != nil {
			return err
		}
		return validateSelectors(e.RHS)
	}
	return nil
}

// parser is a recursive-descent parser over the whole token slice.
type parser struct {
	toks  []token
	i     int
	depth int
}

func (p *parser) peek() token { return p.peekN(0) }

// peekN looks n tokens ahead; past the end it returns the EOF token.
func (p *parser) peekN(n int) token {
	if p.i+n < len(p.toks) {
		return p.toks[p.i+n]
	}
	return p.toks[len(p.toks)-1]
}

func (p *parser) next() token {
	t := p.peek()
	if p.i < len(p.toks)-1 {
		p.i++
	}
	return t
}

// enter guards recursion; every successful enter is paired with leave.
func (p *parser) enter(t token) error {
	p.depth++
	if p.depth > maxDepth {
		return &ParseError{Msg: "query is nested too deeply", Line: t.line, Col: t.col}
	}
	return nil
}

func (p *parser) leave() { p.depth-- }

// unexpected builds yacc's "syntax error: unexpected X[, expecting A or B]".
func (p *parser) unexpected(t token, expecting ...string) *ParseError {
	msg := "syntax error: unexpected " + t.describe()
	if len(expecting) > 0 {
		msg += ", expecting " + strings.Join(expecting, " or ")
	}
	return &ParseError{Msg: msg, Line: t.line, Col: t.col}
}

// expect consumes a token of kind k or fails naming what was expected.
func (p *parser) expect(k tokKind, expecting ...string) (token, error) {
	t := p.peek()
	if t.kind != k {
		if len(expecting) == 0 {
			expecting = []string{describeKind(k)}
		}
		return t, p.unexpected(t, expecting...)
	}
	return p.next(), nil
}

func describeKind(k tokKind) string { return token{kind: k}.describe() }

// parseLabelList reads ( [name {, name}] ).
func (p *parser) parseLabelList() ([]string, error) {
	if _, err := p.expect(tokLParen); err != nil {
		return nil, err
	}
	names := []string{}
	if p.peek().kind == tokRParen {
		p.next()
		return names, nil
	}
	if t := p.peek(); t.kind != tokIdent {
		return nil, p.unexpected(t, "IDENTIFIER", ")")
	}
	for {
		t, err := p.expect(tokIdent)
		if err != nil {
			return nil, err
		}
		names = append(names, t.text)
		switch t := p.next(); t.kind {
		case tokComma:
		case tokRParen:
			return names, nil
		default:
			return nil, p.unexpected(t, ",", ")")
		}
	}
}

// parseNumber reads a NUMBER token's text, with hexadecimal integers.
func parseNumber(s string) (float64, error) {
	if strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X") {
		n, err := strconv.ParseUint(s[2:], 16, 64)
		if err != nil {
			return 0, errors.New("unable to parse literal as a float: " + err.Error())
		}
		return float64(n), nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, errors.New("unable to parse literal as a float: " + err.Error())
	}
	return f, nil
}

// parseSignedNumber reads [+|-] NUMBER, returning the value and the text as written.
func (p *parser) parseSignedNumber() (float64, string, error) {
	sign := ""
	if k := p.peek().kind; (k == tokSub || k == tokAdd) && p.peekN(1).kind == tokNumber {
		sign = p.next().text
	}
	t, err := p.expect(tokNumber)
	if err != nil {
		return 0, "", err
	}
	v, err := parseNumber(t.text)
	if err != nil {
		return 0, "", &ParseError{Msg: err.Error(), Line: t.line, Col: t.col}
	}
	if sign == "-" {
		v = -v
	}
	return v, sign + t.text, nil
}
