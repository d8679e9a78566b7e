// Package syntax is LogQL's lexer, parser and abstract syntax tree. It knows nothing of how
// queries run: the engine (package logql) and the pipeline stages (package logql/log)
// import it, never the other way round.
//
// Every node's String() renders canonical LogQL that parses back to an equal tree:
// Parse(e.String()) == e.
//
// Entry points: ParseExpr (any query), ParseLogSelector (log queries), ParseSampleExpr
// (metric queries) and ParseMatchers (a bare selector, for the series API). Errors are a
// *ParseError, or ErrNotLogSelector, ErrNotSampleExpr or ErrNotMatchers for a valid query
// of the wrong kind; their text follows Loki's, because the HTTP API returns it verbatim
// with status 400.
//
// The parser is a hand-written lexer (lexer.go) and recursive-descent parser (parser*.go)
// that accepts Loki 3.x LogQL and makes Loki's parse-time checks. Where it knowingly
// differs: keywords are contextual, so labels may be named json, by or unwrap; a range
// aggregation also accepts its by/without clause before the parenthesised argument; a
// binary operation on two literals is folded as in Loki unless the result is not finite
// (1/0), which is kept as an operation because LogQL has no literal for it.
package syntax

import (
	"time"

	"github.com/jetlog/jetlog/schemas/labels"
)

// Expr is any LogQL expression: a *LogSelectorExpr (log query) or a SampleExpr (metric query).
type Expr interface {
	String() string
	isExpr()
}

// SampleExpr is a metric expression: *RangeAggregationExpr, *VectorAggregationExpr,
// *BinOpExpr, *LiteralExpr, *VectorExpr, *LabelReplaceExpr.
type SampleExpr interface {
	Expr
	isSampleExpr()
}

// LogSelectorExpr is a stream selector followed by an optional pipeline:
// {app="api"} |= "error" | json | level="error".
type LogSelectorExpr struct {
	Matchers []*labels.Matcher
	Pipeline []Stage // empty for a bare selector
}

// Stage is one pipeline step: *LineFilterStage, *ParserStage, *LabelFilterStage,
// *LineFormatStage, *LabelFormatStage, *DropStage, *KeepStage, *DecolorizeStage.
type Stage interface {
	String() string
	isStage()
}

// LineFilterOp is the operator of a line filter.
type LineFilterOp int

const (
	LineContains        LineFilterOp = iota // |=
	LineNotContains                         // !=
	LineMatchRegexp                         // |~
	LineNotMatchRegexp                      // !~
	LineMatchPattern                        // |>
	LineNotMatchPattern                     // !>
)

// LineFilter is one filter with its alternatives: |= "a" or "b" has Values ["a", "b"].
// For the positive operators an entry passes if any value matches; for the negative ones it
// passes only if none matches (Loki's semantics). IP is set for |= ip("cidr") / != ip("cidr"),
// with the CIDR or range in Values[0].
type LineFilter struct {
	Op     LineFilterOp
	Values []string
	IP     bool
}

// LineFilterStage is one `|= ...` (or `!=`, `|~`, `!~`, `|>`, `!>`) step.
type LineFilterStage struct {
	Filter LineFilter
}

// ParserKind names a parser stage.
type ParserKind int

const (
	ParserJSON ParserKind = iota
	ParserLogfmt
	ParserRegexp
	ParserPattern
	ParserUnpack
)

// LabelExtraction is one `label="expression"` parameter of json or logfmt.
// For json the expression is a JSON path like "x.y[0]"; for logfmt, a key.
type LabelExtraction struct {
	Label string
	Expr  string
}

// ParserStage is | json, | logfmt, | regexp "re", | pattern "p", | unpack.
type ParserStage struct {
	Kind        ParserKind
	Param       string            // the expression of regexp and pattern
	Extractions []LabelExtraction // json and logfmt parameters; empty = extract everything
	Strict      bool              // logfmt --strict
	KeepEmpty   bool              // logfmt --keep-empty
}

// LabelFilterStage is | <label filter>, e.g. | level="error" and status>=500.
type LabelFilterStage struct {
	Filter LabelFilter
}

// LabelFilter is a boolean expression over labels: *BinaryLabelFilter, *StringLabelFilter,
// *NumericLabelFilter, *IPLabelFilter.
type LabelFilter interface {
	String() string
	isLabelFilter()
}

// BinaryLabelFilter joins two filters with "and" (also written "," or a space) or "or".
// Parentheses in the source are kept only as tree structure.
type BinaryLabelFilter struct {
	And         bool // false means "or"
	Left, Right LabelFilter
}

// StringLabelFilter compares a label as a string: level="error", path=~"/api.*".
type StringLabelFilter struct {
	Matcher *labels.Matcher
}

// CmpOp is a numeric comparison.
type CmpOp int

const (
	CmpEq CmpOp = iota // == (also "=" in label filters)
	CmpNe              // !=
	CmpGt              // >
	CmpGe              // >=
	CmpLt              // <
	CmpLe              // <=
)

// NumericKind says how the right-hand side and the label value are read.
type NumericKind int

const (
	NumberKind   NumericKind = iota // 500, 1.5
	DurationKind                    // 1500ms, 1m30s: compared in seconds
	BytesKind                       // 150KB, 20MiB: compared in bytes
)

// NumericLabelFilter compares a label as a number, a duration or a byte size.
// Value is the right-hand side converted to seconds (durations) or bytes (byte sizes);
// Raw is the literal as written, for String().
type NumericLabelFilter struct {
	Name  string
	Op    CmpOp
	Kind  NumericKind
	Value float64
	Raw   string
}

// IPLabelFilter is addr = ip("10.0.0.0/8") or addr != ip("...").
type IPLabelFilter struct {
	Name   string
	Negate bool
	CIDR   string
}

// LineFormatStage is | line_format "template".
type LineFormatStage struct {
	Template string
}

// LabelFmt is one operation of label_format: dst=src (Rename) or dst="template".
type LabelFmt struct {
	Dst    string
	Rename bool
	Value  string // source label name when Rename, else the template
}

// LabelFormatStage is | label_format a=b, c="{{.x}}".
type LabelFormatStage struct {
	Ops []LabelFmt
}

// LabelSel names a label for drop and keep, optionally with a matcher on its value:
// drop level, method="GET".
type LabelSel struct {
	Name    string
	Matcher *labels.Matcher // nil: by name only
}

// DropStage is | drop a, b="x".
type DropStage struct {
	Labels []LabelSel
}

// KeepStage is | keep a, b="x".
type KeepStage struct {
	Labels []LabelSel
}

// DecolorizeStage is | decolorize.
type DecolorizeStage struct{}

// Unwrap is the `| unwrap [conv(]label[)]` part of a range expression, with the label
// filters that may follow it (used to drop conversion errors: | __error__="").
type Unwrap struct {
	Label       string
	Conv        string // "", "duration", "duration_seconds" or "bytes"
	PostFilters []LabelFilter
}

// LogRangeExpr is a log selector with its range: {app="api"} |= "x" [5m] offset 1h.
type LogRangeExpr struct {
	Left     *LogSelectorExpr
	Interval time.Duration
	Offset   time.Duration
	Unwrap   *Unwrap
}

// Range aggregation operators (lower case, as in LogQL).
const (
	OpCountOverTime    = "count_over_time"
	OpRate             = "rate"
	OpRateCounter      = "rate_counter"
	OpBytesOverTime    = "bytes_over_time"
	OpBytesRate        = "bytes_rate"
	OpAbsentOverTime   = "absent_over_time"
	OpSumOverTime      = "sum_over_time"
	OpAvgOverTime      = "avg_over_time"
	OpMinOverTime      = "min_over_time"
	OpMaxOverTime      = "max_over_time"
	OpStdvarOverTime   = "stdvar_over_time"
	OpStddevOverTime   = "stddev_over_time"
	OpQuantileOverTime = "quantile_over_time"
	OpFirstOverTime    = "first_over_time"
	OpLastOverTime     = "last_over_time"
)

// Grouping is a by (...) or without (...) clause. A nil *Grouping means no clause; an empty
// label list with Without false means by ().
type Grouping struct {
	Without bool
	Labels  []string
}

// RangeAggregationExpr is op(range) with an optional parameter and grouping:
// quantile_over_time(0.95, {a="b"} | unwrap x [5m]) by (c).
type RangeAggregationExpr struct {
	Op       string
	Left     *LogRangeExpr
	Param    *float64 // quantile_over_time's φ
	Grouping *Grouping
}

// Vector aggregation operators.
const (
	OpSum      = "sum"
	OpAvg      = "avg"
	OpMin      = "min"
	OpMax      = "max"
	OpCount    = "count"
	OpStddev   = "stddev"
	OpStdvar   = "stdvar"
	OpTopK     = "topk"
	OpBottomK  = "bottomk"
	OpSort     = "sort"
	OpSortDesc = "sort_desc"
)

// VectorAggregationExpr is op [by|without (...)] (expr), or topk(k, expr).
type VectorAggregationExpr struct {
	Op       string
	Left     SampleExpr
	Grouping *Grouping
	Param    int // k of topk and bottomk
}

// Binary operators.
const (
	OpAdd    = "+"
	OpSub    = "-"
	OpMul    = "*"
	OpDiv    = "/"
	OpMod    = "%"
	OpPow    = "^"
	OpEq     = "=="
	OpNe     = "!="
	OpGt     = ">"
	OpGe     = ">="
	OpLt     = "<"
	OpLe     = "<="
	OpAnd    = "and"
	OpOr     = "or"
	OpUnless = "unless"
)

// Cardinality of a vector match.
type Cardinality int

const (
	OneToOne  Cardinality = iota
	ManyToOne             // group_left
	OneToMany             // group_right
)

// VectorMatching is on(...)/ignoring(...) with group_left/group_right(...).
type VectorMatching struct {
	On      bool // false means ignoring
	Labels  []string
	Card    Cardinality
	Include []string // labels of group_left/group_right
}

// BinOpOptions are the modifiers of a binary operator. Matching is nil without on/ignoring.
type BinOpOptions struct {
	ReturnBool bool
	Matching   *VectorMatching
}

// BinOpExpr is lhs op rhs.
type BinOpExpr struct {
	Op   string
	LHS  SampleExpr
	RHS  SampleExpr
	Opts BinOpOptions
}

// LiteralExpr is a number literal, e.g. 2 or -1.5.
type LiteralExpr struct {
	Val float64
}

// VectorExpr is vector(x).
type VectorExpr struct {
	Val float64
}

// LabelReplaceExpr is label_replace(expr, "dst", "replacement", "src", "regex").
type LabelReplaceExpr struct {
	Left        SampleExpr
	Dst         string
	Replacement string
	Src         string
	Regex       string
}

func (*LogSelectorExpr) isExpr()       {}
func (*RangeAggregationExpr) isExpr()  {}
func (*VectorAggregationExpr) isExpr() {}
func (*BinOpExpr) isExpr()             {}
func (*LiteralExpr) isExpr()           {}
func (*VectorExpr) isExpr()            {}
func (*LabelReplaceExpr) isExpr()      {}

func (*RangeAggregationExpr) isSampleExpr()  {}
func (*VectorAggregationExpr) isSampleExpr() {}
func (*BinOpExpr) isSampleExpr()             {}
func (*LiteralExpr) isSampleExpr()           {}
func (*VectorExpr) isSampleExpr()            {}
func (*LabelReplaceExpr) isSampleExpr()      {}

func (*LineFilterStage) isStage()  {}
func (*ParserStage) isStage()      {}
func (*LabelFilterStage) isStage() {}
func (*LineFormatStage) isStage()  {}
func (*LabelFormatStage) isStage() {}
func (*DropStage) isStage()        {}
func (*KeepStage) isStage()        {}
func (*DecolorizeStage) isStage()  {}

func (*BinaryLabelFilter) isLabelFilter()  {}
func (*StringLabelFilter) isLabelFilter()  {}
func (*NumericLabelFilter) isLabelFilter() {}
func (*IPLabelFilter) isLabelFilter()      {}
