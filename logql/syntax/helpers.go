package syntax

// PushdownLineFilters returns the line filters storage may apply to raw lines: those
// before the first stage that rewrites the line (line_format, decolorize). Parsers, label
// filters and label manipulation leave the line untouched, so a filter after them still
// tests the stored line. Every entry the whole pipeline keeps passes all returned filters.
func (e *LogSelectorExpr) PushdownLineFilters() []LineFilter {
	var fs []LineFilter
	for _, s := range e.Pipeline {
		switch s := s.(type) {
		case *LineFilterStage:
			fs = append(fs, s.Filter)
		case *LineFormatStage, *DecolorizeStage:
			return fs
		}
	}
	return fs
}

// LogSelectors returns the log selectors an expression reads, left to right: the
// expression itself for a log query, the selector of every range aggregation otherwise.
func LogSelectors(e Expr) []*LogSelectorExpr {
	var out []*LogSelectorExpr
	var walk func(Expr)
	walk = func(e Expr) {
		switch e := e.(type) {
		case *LogSelectorExpr:
			out = append(out, e)
		case *RangeAggregationExpr:
			out = append(out, e.Left.Left)
		case *VectorAggregationExpr:
			walk(e.Left)
		case *LabelReplaceExpr:
			walk(e.Left)
		case *BinOpExpr:
			walk(e.LHS)
			walk(e.RHS)
		}
	}
	walk(e)
	return out
}
