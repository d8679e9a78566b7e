package syntax

import (
	"strconv"
	"strings"
)

// The printer renders canonical LogQL. Its one contract: for every tree t the parser can
// produce, parsing t.String() yields a tree equal to t. Parentheses are therefore written
// exactly where precedence or associativity would otherwise regroup a binary expression.

func (e *LogSelectorExpr) String() string {
	var b strings.Builder
	b.WriteByte('{')
	for i, m := range e.Matchers {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(m.String())
	}
	b.WriteByte('}')
	for _, s := range e.Pipeline {
		b.WriteByte(' ')
		b.WriteString(s.String())
	}
	return b.String()
}

func (op LineFilterOp) String() string {
	switch op {
	case LineContains:
		return "|="
	case LineNotContains:
		return "!="
	case LineMatchRegexp:
		return "|~"
	case LineNotMatchRegexp:
		return "!~"
	case LineMatchPattern:
		return "|>"
	case LineNotMatchPattern:
		return "!>"
	}
	return "?"
}

func (f LineFilter) String() string {
	var b strings.Builder
	b.WriteString(f.Op.String())
	b.WriteByte(' ')
	if f.IP {
		b.WriteString("ip(")
		if len(f.Values) > 0 {
			b.WriteString(strconv.Quote(f.Values[0]))
		}
		b.WriteByte(')')
		return b.String()
	}
	for i, v := range f.Values {
		if i > 0 {
			b.WriteString(" or ")
		}
		b.WriteString(strconv.Quote(v))
	}
	return b.String()
}

func (s *LineFilterStage) String() string { return s.Filter.String() }

func (k ParserKind) String() string {
	switch k {
	case ParserJSON:
		return "json"
	case ParserLogfmt:
		return "logfmt"
	case ParserRegexp:
		return "regexp"
	case ParserPattern:
		return "pattern"
	case ParserUnpack:
		return "unpack"
	}
	return "?"
}

func (s *ParserStage) String() string {
	var b strings.Builder
	b.WriteString("| ")
	b.WriteString(s.Kind.String())
	switch s.Kind {
	case ParserRegexp, ParserPattern:
		b.WriteByte(' ')
		b.WriteString(strconv.Quote(s.Param))
	case ParserJSON, ParserLogfmt:
		if s.Strict {
			b.WriteString(" --strict")
		}
		if s.KeepEmpty {
			b.WriteString(" --keep-empty")
		}
		for i, x := range s.Extractions {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteByte(' ')
			b.WriteString(x.Label)
			b.WriteByte('=')
			b.WriteString(strconv.Quote(x.Expr))
		}
	}
	return b.String()
}

func (s *LabelFilterStage) String() string { return "| " + s.Filter.String() }

func (f *BinaryLabelFilter) String() string {
	op := " or "
	if f.And {
		op = " and "
	}
	left := f.Left.String()
	// "and" binds tighter than "or"; both associate to the left.
	if l, ok := f.Left.(*BinaryLabelFilter); ok && f.And && !l.And {
		left = "(" + left + ")"
	}
	right := f.Right.String()
	if _, ok := f.Right.(*BinaryLabelFilter); ok {
		right = "(" + right + ")"
	}
	return left + op + right
}

func (f *StringLabelFilter) String() string { return f.Matcher.String() }

func (op CmpOp) String() string {
	switch op {
	case CmpEq:
		return "=="
	case CmpNe:
		return "!="
	case CmpGt:
		return ">"
	case CmpGe:
		return ">="
	case CmpLt:
		return "<"
	case CmpLe:
		return "<="
	}
	return "?"
}

func (f *NumericLabelFilter) String() string {
	raw := f.Raw
	if raw == "" {
		raw = formatFloat(f.Value)
		switch f.Kind {
		case DurationKind:
			raw += "s"
		case BytesKind:
			raw += "B"
		}
	}
	return f.Name + f.Op.String() + raw
}

func (f *IPLabelFilter) String() string {
	op := "="
	if f.Negate {
		op = "!="
	}
	return f.Name + op + "ip(" + strconv.Quote(f.CIDR) + ")"
}

func (s *LineFormatStage) String() string { return "| line_format " + strconv.Quote(s.Template) }

func (s *LabelFormatStage) String() string {
	var b strings.Builder
	b.WriteString("| label_format ")
	for i, op := range s.Ops {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(op.Dst)
		b.WriteByte('=')
		if op.Rename {
			b.WriteString(op.Value)
		} else {
			b.WriteString(strconv.Quote(op.Value))
		}
	}
	return b.String()
}

func labelSels(kw string, ls []LabelSel) string {
	var b strings.Builder
	b.WriteString("| ")
	b.WriteString(kw)
	for i, l := range ls {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte(' ')
		if l.Matcher != nil {
			b.WriteString(l.Matcher.String())
		} else {
			b.WriteString(l.Name)
		}
	}
	return b.String()
}

func (s *DropStage) String() string { return labelSels("drop", s.Labels) }

func (s *KeepStage) String() string { return labelSels("keep", s.Labels) }

func (*DecolorizeStage) String() string { return "| decolorize" }

func (u *Unwrap) String() string {
	var b strings.Builder
	b.WriteString("| unwrap ")
	if u.Conv != "" {
		b.WriteString(u.Conv)
		b.WriteByte('(')
		b.WriteString(u.Label)
		b.WriteByte(')')
	} else {
		b.WriteString(u.Label)
	}
	for _, f := range u.PostFilters {
		b.WriteString(" | ")
		b.WriteString(f.String())
	}
	return b.String()
}

func (e *LogRangeExpr) String() string {
	var b strings.Builder
	b.WriteString(e.Left.String())
	if e.Unwrap != nil {
		b.WriteByte(' ')
		b.WriteString(e.Unwrap.String())
	}
	// A bare selector keeps its range glued to it, as Loki prints it: {a="b"}[5m].
	if len(e.Left.Pipeline) > 0 || e.Unwrap != nil {
		b.WriteByte(' ')
	}
	b.WriteByte('[')
	b.WriteString(FormatDuration(e.Interval))
	b.WriteByte(']')
	if e.Offset != 0 {
		b.WriteString(" offset ")
		b.WriteString(FormatDuration(e.Offset))
	}
	return b.String()
}

func (g *Grouping) String() string {
	if g == nil {
		return ""
	}
	kw := "by"
	if g.Without {
		kw = "without"
	}
	return kw + " (" + strings.Join(g.Labels, ", ") + ")"
}

func (e *RangeAggregationExpr) String() string {
	var b strings.Builder
	b.WriteString(e.Op)
	b.WriteByte('(')
	if e.Param != nil {
		b.WriteString(formatFloat(*e.Param))
		b.WriteString(", ")
	}
	b.WriteString(e.Left.String())
	b.WriteByte(')')
	if e.Grouping != nil {
		b.WriteByte(' ')
		b.WriteString(e.Grouping.String())
	}
	return b.String()
}

func (e *VectorAggregationExpr) String() string {
	var b strings.Builder
	b.WriteString(e.Op)
	if e.Grouping != nil {
		b.WriteByte(' ')
		b.WriteString(e.Grouping.String())
		b.WriteByte(' ')
	}
	b.WriteByte('(')
	if e.Op == OpTopK || e.Op == OpBottomK {
		b.WriteString(strconv.Itoa(e.Param))
		b.WriteString(", ")
	}
	b.WriteString(e.Left.String())
	b.WriteByte(')')
	return b.String()
}

func (m *VectorMatching) String() string {
	if m == nil {
		return ""
	}
	var b strings.Builder
	if m.On {
		b.WriteString("on (")
	} else {
		b.WriteString("ignoring (")
	}
	b.WriteString(strings.Join(m.Labels, ", "))
	b.WriteByte(')')
	switch m.Card {
	case ManyToOne:
		b.WriteString(" group_left")
	case OneToMany:
		b.WriteString(" group_right")
	default:
		return b.String()
	}
	if len(m.Include) > 0 {
		b.WriteString(" (")
		b.WriteString(strings.Join(m.Include, ", "))
		b.WriteByte(')')
	}
	return b.String()
}

func (e *BinOpExpr) String() string {
	var b strings.Builder
	prec := binOpPrecedence(e.Op)
	rightAssoc := e.Op == OpPow
	b.WriteString(binOperand(e.LHS, prec, rightAssoc))
	b.WriteByte(' ')
	b.WriteString(e.Op)
	if e.Opts.ReturnBool {
		b.WriteString(" bool")
	}
	if e.Opts.Matching != nil {
		b.WriteByte(' ')
		b.WriteString(e.Opts.Matching.String())
	}
	b.WriteByte(' ')
	b.WriteString(binOperand(e.RHS, prec, !rightAssoc))
	return b.String()
}

// binOperand renders one side of a binary operation of precedence prec, parenthesised when
// the parser would otherwise group it differently. tieNeedsParens is true on the side an
// equal-precedence operator does not associate to.
func binOperand(e SampleExpr, prec int, tieNeedsParens bool) string {
	s := e.String()
	switch c := e.(type) {
	case *BinOpExpr:
		cp := binOpPrecedence(c.Op)
		if cp < prec || (cp == prec && tieNeedsParens) {
			return "(" + s + ")"
		}
	case *LiteralExpr:
		// A negative literal on the left of ^ would read as the same literal anyway,
		// since the sign belongs to the number; nothing to do.
	}
	return s
}

// binOpPrecedence follows Prometheus: or < and, unless < comparisons < + - < * / % < ^.
func binOpPrecedence(op string) int {
	switch op {
	case OpOr:
		return 1
	case OpAnd, OpUnless:
		return 2
	case OpEq, OpNe, OpGt, OpGe, OpLt, OpLe:
		return 3
	case OpAdd, OpSub:
		return 4
	case OpMul, OpDiv, OpMod:
		return 5
	case OpPow:
		return 6
	}
	return 0
}

func (e *LiteralExpr) String() string { return formatFloat(e.Val) }

func (e *VectorExpr) String() string { return "vector(" + formatFloat(e.Val) + ")" }

func (e *LabelReplaceExpr) String() string {
	return "label_replace(" + e.Left.String() + ", " + strconv.Quote(e.Dst) + ", " +
		strconv.Quote(e.Replacement) + ", " + strconv.Quote(e.Src) + ", " + strconv.Quote(e.Regex) + ")"
}

func formatFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }
