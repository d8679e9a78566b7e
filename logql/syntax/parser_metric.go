package syntax

import (
	"regexp"
	"strconv"
	"time"
)

var rangeOps = map[string]bool{
	OpCountOverTime: true, OpRate: true, OpRateCounter: true, OpBytesOverTime: true,
	OpBytesRate: true, OpAbsentOverTime: true, OpSumOverTime: true, OpAvgOverTime: true,
	OpMinOverTime: true, OpMaxOverTime: true, OpStdvarOverTime: true, OpStddevOverTime: true,
	OpQuantileOverTime: true, OpFirstOverTime: true, OpLastOverTime: true,
}

var vectorOps = map[string]bool{
	OpSum: true, OpAvg: true, OpMin: true, OpMax: true, OpCount: true, OpStddev: true,
	OpStdvar: true, OpTopK: true, OpBottomK: true, OpSort: true, OpSortDesc: true,
}

// parseGrouping reads by (...) or without (...) when present.
func (p *parser) parseGrouping() (*Grouping, error) {
	t := p.peek()
	if !t.is("by") && !t.is("without") {
		return nil, nil
	}
	p.next()
	ls, err := p.parseLabelList()
	if err != nil {
		return nil, err
	}
	return &Grouping{Without: t.is("without"), Labels: ls}, nil
}

// parseGroupingAround reads the grouping after the call when none came before it.
func (p *parser) parseGroupingAfter(before *Grouping) (*Grouping, error) {
	if before != nil {
		return before, nil
	}
	return p.parseGrouping()
}

// parseParam reads the leading "number ," of quantile_over_time, topk and bottomk. It is
// read for every operation so that a misplaced parameter gets Loki's semantic message.
func (p *parser) parseParam() (*token, error) {
	i := 0
	if k := p.peek().kind; k == tokSub || k == tokAdd {
		i = 1
	}
	if p.peekN(i).kind != tokNumber || p.peekN(i+1).kind != tokComma {
		return nil, nil
	}
	t := p.peek()
	_, raw, err := p.parseSignedNumber()
	if err != nil {
		return nil, err
	}
	p.next() // ,
	t.text = raw
	return &t, nil
}

func (p *parser) parseRangeAggregation(op string) (Expr, error) {
	opTok := p.next()
	if err := p.enter(opTok); err != nil {
		return nil, err
	}
	defer p.leave()
	before, err := p.parseGrouping()
	if err != nil {
		return nil, err
	}
	if _, err := p.expect(tokLParen); err != nil {
		return nil, err
	}
	param, err := p.parseParam()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tokLBrace && t.kind != tokLParen {
		if param == nil {
			return nil, p.unexpected(t, "NUMBER", "{", "(")
		}
		return nil, p.unexpected(t, "{", "(")
	}
	lr, err := p.parseLogRange()
	if err != nil {
		return nil, err
	}
	if _, err := p.expect(tokRParen); err != nil {
		return nil, err
	}
	g, err := p.parseGroupingAfter(before)
	if err != nil {
		return nil, err
	}
	e := &RangeAggregationExpr{Op: op, Left: lr, Grouping: g}
	switch {
	case op == OpQuantileOverTime && param == nil:
		return nil, newParseError("parameter required for operation %s", op)
	case op != OpQuantileOverTime && param != nil:
		return nil, newParseError("unsupported parameter for operation %s(%s,", op, param.text)
	case param != nil:
		v, err := strconv.ParseFloat(param.text, 64)
		if err != nil {
			v, err = parseNumber(param.text)
			if err != nil {
				return nil, newParseError("invalid parameter %s(%s,", op, param.text)
			}
		}
		e.Param = &v
	}
	return e, validateRangeAggregation(e)
}

// validateRangeAggregation makes Loki's parse-time checks: which operations take a
// grouping, which need an unwrapped value and which refuse one.
func validateRangeAggregation(e *RangeAggregationExpr) error {
	if e.Grouping != nil {
		switch e.Op {
		case OpAvgOverTime, OpStddevOverTime, OpStdvarOverTime, OpQuantileOverTime,
			OpMaxOverTime, OpMinOverTime, OpFirstOverTime, OpLastOverTime:
		default:
			return newParseError("grouping not allowed for %s aggregation", e.Op)
		}
	}
	if e.Left.Unwrap != nil {
		switch e.Op {
		case OpAvgOverTime, OpSumOverTime, OpMaxOverTime, OpMinOverTime, OpStddevOverTime,
			OpStdvarOverTime, OpQuantileOverTime, OpRate, OpRateCounter, OpAbsentOverTime,
			OpFirstOverTime, OpLastOverTime:
			return nil
		}
		return newParseError("invalid aggregation %s with unwrap", e.Op)
	}
	switch e.Op {
	case OpBytesOverTime, OpBytesRate, OpCountOverTime, OpRate, OpAbsentOverTime:
		return nil
	}
	return newParseError("invalid aggregation %s without unwrap", e.Op)
}

// parseLogRange reads the argument of a range aggregation in any of Loki's shapes:
//
//	{a="b"} | json | unwrap x [5m] offset 1h
//	{a="b"}[5m] offset 1h | json | unwrap x
//	({a="b"} | json)[5m]
//	({a="b"} | json [5m])
func (p *parser) parseLogRange() (*LogRangeExpr, error) {
	if t := p.peek(); t.kind == tokLParen {
		if err := p.enter(t); err != nil {
			return nil, err
		}
		defer p.leave()
		p.next()
		if t := p.peek(); t.kind != tokLBrace && t.kind != tokLParen {
			return nil, p.unexpected(t, "{", "(")
		}
		if p.peek().kind == tokLParen {
			lr, err := p.parseLogRange()
			if err != nil {
				return nil, err
			}
			_, err = p.expect(tokRParen)
			return lr, err
		}
		sel, unwrap, err := p.parseRangeSelector()
		if err != nil {
			return nil, err
		}
		if p.peek().kind == tokRange {
			lr, err := p.parseRangeTail(sel, unwrap)
			if err != nil {
				return nil, err
			}
			_, err = p.expect(tokRParen)
			return lr, err
		}
		if t := p.peek(); t.kind != tokRParen {
			if unwrap != nil {
				return nil, p.unexpected(t, ")", "|")
			}
			return nil, p.unexpected(t)
		}
		p.next()
		return p.parseRangeTail(sel, unwrap)
	}
	sel, unwrap, err := p.parseRangeSelector()
	if err != nil {
		return nil, err
	}
	return p.parseRangeTail(sel, unwrap)
}

func (p *parser) parseRangeSelector() (*LogSelectorExpr, *Unwrap, error) {
	ms, err := p.parseSelector()
	if err != nil {
		return nil, nil, err
	}
	stages, unwrap, err := p.parsePipeline(true)
	if err != nil {
		return nil, nil, err
	}
	return &LogSelectorExpr{Matchers: ms, Pipeline: stages}, unwrap, nil
}

// parseRangeTail reads [range] [offset d] and, when nothing came before the range, the
// pipeline and unwrap that may follow it.
func (p *parser) parseRangeTail(sel *LogSelectorExpr, unwrap *Unwrap) (*LogRangeExpr, error) {
	rt := p.peek()
	if rt.kind != tokRange {
		if unwrap != nil {
			return nil, p.unexpected(rt, "RANGE", "|")
		}
		return nil, p.unexpected(rt)
	}
	p.next()
	interval, err := ParseDuration(rt.val)
	if err != nil {
		// Loki reports range errors at line 0 (its scanner forgets the line while it
		// reads the range) and at the column of the [.
		return nil, &ParseError{Msg: err.Error(), Col: rt.col}
	}
	lr := &LogRangeExpr{Left: sel, Interval: interval, Unwrap: unwrap}
	if lr.Offset, err = p.parseOffset(); err != nil {
		return nil, err
	}
	if len(sel.Pipeline) == 0 && unwrap == nil {
		if sel.Pipeline, lr.Unwrap, err = p.parsePipeline(true); err != nil {
			return nil, err
		}
	}
	return lr, nil
}

// parseOffset reads offset [-]duration when present.
func (p *parser) parseOffset() (time.Duration, error) {
	if !p.peek().is("offset") {
		return 0, nil
	}
	p.next()
	neg := false
	if p.peek().kind == tokSub {
		p.next()
		neg = true
	}
	t := p.next()
	if t.kind != tokDuration && !(t.kind == tokNumber && t.text == "0") {
		return 0, p.unexpected(t, "DURATION")
	}
	// An offset is lexed like a label-filter duration: Prometheus or Go syntax (1.5h).
	d, err := parseLabelDuration(t.text)
	if err != nil {
		return 0, &ParseError{Msg: err.Error(), Line: t.line, Col: t.col}
	}
	if neg {
		d = -d
	}
	return d, nil
}

func (p *parser) parseVectorAggregation(op string) (Expr, error) {
	opTok := p.next()
	if err := p.enter(opTok); err != nil {
		return nil, err
	}
	defer p.leave()
	before, err := p.parseGrouping()
	if err != nil {
		return nil, err
	}
	if _, err := p.expect(tokLParen); err != nil {
		return nil, err
	}
	param, err := p.parseParam()
	if err != nil {
		return nil, err
	}
	inner, err := p.parseSampleOperand()
	if err != nil {
		return nil, err
	}
	if _, err := p.expect(tokRParen); err != nil {
		return nil, err
	}
	g, err := p.parseGroupingAfter(before)
	if err != nil {
		return nil, err
	}
	e := &VectorAggregationExpr{Op: op, Left: inner, Grouping: g}
	switch op {
	case OpTopK, OpBottomK:
		if param == nil {
			return nil, newParseError("parameter required for operation %s", op)
		}
		k, err := strconv.Atoi(param.text)
		if err != nil {
			return nil, newParseError("invalid parameter %s(%s,", op, param.text)
		}
		if k <= 0 {
			return nil, newParseError("invalid parameter (must be greater than 0) %s(%s", op, param.text)
		}
		e.Param = k
	default:
		if param != nil {
			return nil, newParseError("unsupported parameter for operation %s(%s,", op, param.text)
		}
	}
	if (op == OpSort || op == OpSortDesc) && g != nil && len(g.Labels) > 0 {
		return nil, newParseError("sort and sort_desc doesn't allow grouping by ")
	}
	return e, nil
}

// parseSampleOperand reads a metric expression argument; a log query there is reported at
// the token that follows it, where Loki's grammar fails too.
func (p *parser) parseSampleOperand() (SampleExpr, error) {
	e, err := p.parseBinary(1)
	if err != nil {
		return nil, err
	}
	se, ok := e.(SampleExpr)
	if !ok {
		return nil, p.unexpected(p.peek())
	}
	return se, nil
}

func (p *parser) parseLabelReplace() (Expr, error) {
	t := p.next()
	if err := p.enter(t); err != nil {
		return nil, err
	}
	defer p.leave()
	if _, err := p.expect(tokLParen); err != nil {
		return nil, err
	}
	inner, err := p.parseSampleOperand()
	if err != nil {
		return nil, err
	}
	var args [4]string
	for i := range args {
		if _, err := p.expect(tokComma, ","); err != nil {
			return nil, err
		}
		s, err := p.expect(tokString)
		if err != nil {
			return nil, err
		}
		args[i] = s.val
	}
	if _, err := p.expect(tokRParen); err != nil {
		return nil, err
	}
	e := &LabelReplaceExpr{Left: inner, Dst: args[0], Replacement: args[1], Src: args[2], Regex: args[3]}
	if _, err := regexp.Compile("^(?:" + e.Regex + ")$"); err != nil {
		return nil, newParseError("invalid regex in label_replace: %s", err.Error())
	}
	if !labelNameRE.MatchString(e.Dst) {
		return nil, newParseError("invalid destination label name in label_replace: %s", e.Dst)
	}
	return e, nil
}

func (p *parser) parseVector() (Expr, error) {
	p.next()
	if _, err := p.expect(tokLParen); err != nil {
		return nil, err
	}
	v, _, err := p.parseSignedNumber()
	if err != nil {
		return nil, err
	}
	if _, err := p.expect(tokRParen); err != nil {
		return nil, err
	}
	return &VectorExpr{Val: v}, nil
}
