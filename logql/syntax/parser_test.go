package syntax

import (
	"reflect"
	"testing"
	"time"

	"github.com/jetlog/jetlog/schemas/labels"
)

func eq(n, v string) *labels.Matcher            { return labels.MustNewMatcher(labels.MatchEqual, n, v) }
func re(n, v string) *labels.Matcher            { return labels.MustNewMatcher(labels.MatchRegexp, n, v) }
func ms(m ...*labels.Matcher) []*labels.Matcher { return m }
func sel(m ...*labels.Matcher) *LogSelectorExpr { return &LogSelectorExpr{Matchers: m} }
func pipe(s *LogSelectorExpr, st ...Stage) *LogSelectorExpr {
	s.Pipeline = st
	return s
}
func strF(m *labels.Matcher) *StringLabelFilter { return &StringLabelFilter{Matcher: m} }
func and(l, r LabelFilter) *BinaryLabelFilter {
	return &BinaryLabelFilter{And: true, Left: l, Right: r}
}
func or(l, r LabelFilter) *BinaryLabelFilter { return &BinaryLabelFilter{Left: l, Right: r} }
func fp(f float64) *float64                  { return &f }
func rng(s *LogSelectorExpr, d time.Duration) *LogRangeExpr {
	return &LogRangeExpr{Left: s, Interval: d}
}

func TestParseExprAST(t *testing.T) {
	f := func(in string, want Expr) {
		t.Helper()
		got, err := ParseExpr(in)
		if err != nil {
			t.Fatalf("ParseExpr(%q): %v", in, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("ParseExpr(%q)\n got %s\n     %#v\nwant %s\n     %#v", in, got, got, want, want)
		}
		checkRoundTrip(t, in, got)
	}
	ab := func() *LogSelectorExpr { return sel(eq("a", "b")) }

	// Selectors.
	f(`{a="b"}`, ab())
	f(`{a="b", c!="d", e=~"f.*", g!~"h"}`, sel(eq("a", "b"),
		labels.MustNewMatcher(labels.MatchNotEqual, "c", "d"), re("e", "f.*"),
		labels.MustNewMatcher(labels.MatchNotRegexp, "g", "h")))
	f("{a=`x\\d`}", sel(eq("a", `x\d`)))
	f(`{a="\u00e9\n"}`, sel(eq("a", "é\n")))
	f("{a=\"b\"} # trailing comment\n", ab())

	// Line filters.
	f(`{a="b"} |= "x" or "y" != "z" |~ "r" !~ "s" |> "<_>p" !> "q<_>"`, pipe(ab(),
		&LineFilterStage{LineFilter{Op: LineContains, Values: []string{"x", "y"}}},
		&LineFilterStage{LineFilter{Op: LineNotContains, Values: []string{"z"}}},
		&LineFilterStage{LineFilter{Op: LineMatchRegexp, Values: []string{"r"}}},
		&LineFilterStage{LineFilter{Op: LineNotMatchRegexp, Values: []string{"s"}}},
		&LineFilterStage{LineFilter{Op: LineMatchPattern, Values: []string{"<_>p"}}},
		&LineFilterStage{LineFilter{Op: LineNotMatchPattern, Values: []string{"q<_>"}}}))
	f(`{a="b"} != ip("10.0.0.0/8")`, pipe(ab(),
		&LineFilterStage{LineFilter{Op: LineNotContains, Values: []string{"10.0.0.0/8"}, IP: true}}))

	// Parsers.
	f(`{a="b"} | json | logfmt | unpack`, pipe(ab(), &ParserStage{Kind: ParserJSON},
		&ParserStage{Kind: ParserLogfmt}, &ParserStage{Kind: ParserUnpack}))
	f(`{a="b"} | json x="y.z[0]", w`, pipe(ab(), &ParserStage{Kind: ParserJSON,
		Extractions: []LabelExtraction{{"x", "y.z[0]"}, {"w", "w"}}}))
	f(`{a="b"} | logfmt --strict --keep-empty x="k"`, pipe(ab(), &ParserStage{Kind: ParserLogfmt,
		Strict: true, KeepEmpty: true, Extractions: []LabelExtraction{{"x", "k"}}}))
	f(`{a="b"} | regexp "(?P<x>\\d+)"`, pipe(ab(), &ParserStage{Kind: ParserRegexp, Param: `(?P<x>\d+)`}))
	f(`{a="b"} | pattern "<ip> - <_>"`, pipe(ab(), &ParserStage{Kind: ParserPattern, Param: "<ip> - <_>"}))
	f(`{a="b"} | Json`, pipe(ab(), &ParserStage{Kind: ParserJSON}))

	// Label filters: precedence, juxtaposition, commas, parentheses.
	x1, y2, z3 := strF(eq("x", "1")), strF(eq("y", "2")), strF(eq("z", "3"))
	f(`{a="b"} | x="1" or y="2" and z="3"`, pipe(ab(), &LabelFilterStage{or(x1, and(y2, z3))}))
	f(`{a="b"} | x="1" and y="2" or z="3"`, pipe(ab(), &LabelFilterStage{or(and(x1, y2), z3)}))
	f(`{a="b"} | (x="1" or y="2") z="3"`, pipe(ab(), &LabelFilterStage{and(or(x1, y2), z3)}))
	f(`{a="b"} | x="1", y="2"`, pipe(ab(), &LabelFilterStage{and(x1, y2)}))
	// Loki's grammar shifts on "," and juxtaposition: the rest of the filter is one group.
	f(`{a="b"} | x="1", y="2" or z="3"`, pipe(ab(), &LabelFilterStage{and(x1, or(y2, z3))}))
	f(`{a="b"} | x="1" y="2" or z="3"`, pipe(ab(), &LabelFilterStage{and(x1, or(y2, z3))}))
	f(`{a="b"} | x="1" or y="2", z="3"`, pipe(ab(), &LabelFilterStage{or(x1, and(y2, z3))}))
	f(`{a="b"} | x="1" and y="2", z="3"`, pipe(ab(), &LabelFilterStage{and(x1, and(y2, z3))}))
	// From Loki's parser tests: the groupings Loki's grammar produces.
	num := func(n string, op CmpOp, v float64, raw string) LabelFilter {
		return &NumericLabelFilter{Name: n, Op: op, Kind: NumberKind, Value: v, Raw: raw}
	}
	latency := &NumericLabelFilter{Name: "latency", Op: CmpGe, Kind: DurationKind, Value: 0.25, Raw: "250ms"}
	f(`{app="foo"} |= "bar" | json | latency >= 250ms or ( status_code < 500 and status_code > 200)
		| foo="bar" buzz!="blip", blop=~"boop" or fuzz==5`,
		pipe(sel(eq("app", "foo")),
			&LineFilterStage{LineFilter{Op: LineContains, Values: []string{"bar"}}},
			&ParserStage{Kind: ParserJSON},
			&LabelFilterStage{or(latency, and(num("status_code", CmpLt, 500, "500"), num("status_code", CmpGt, 200, "200")))},
			&LabelFilterStage{and(strF(eq("foo", "bar")), and(strF(labels.MustNewMatcher(labels.MatchNotEqual, "buzz", "blip")),
				or(strF(re("blop", "boop")), num("fuzz", CmpEq, 5, "5"))))}))
	f(`{app="foo"} | json |  status_code < 500 or status_code > 200 and latency >= 250ms `,
		pipe(sel(eq("app", "foo")), &ParserStage{Kind: ParserJSON},
			&LabelFilterStage{or(num("status_code", CmpLt, 500, "500"), and(num("status_code", CmpGt, 200, "200"), latency))}))
	f(`{a="b"} | x="1" and y="2" and z="3"`, pipe(ab(), &LabelFilterStage{and(and(x1, y2), z3)}))
	f(`{a="b"} | x="1" or y="2" or z="3"`, pipe(ab(), &LabelFilterStage{or(or(x1, y2), z3)}))
	f(`{a="b"} | x="1" | y="2"`, pipe(ab(), &LabelFilterStage{x1}, &LabelFilterStage{y2}))
	f(`{a="b"} | status>=500`, pipe(ab(), &LabelFilterStage{&NumericLabelFilter{
		Name: "status", Op: CmpGe, Kind: NumberKind, Value: 500, Raw: "500"}}))
	f(`{a="b"} | n=-1.5`, pipe(ab(), &LabelFilterStage{&NumericLabelFilter{
		Name: "n", Op: CmpEq, Kind: NumberKind, Value: -1.5, Raw: "-1.5"}}))
	f(`{a="b"} | d > 1m30s`, pipe(ab(), &LabelFilterStage{&NumericLabelFilter{
		Name: "d", Op: CmpGt, Kind: DurationKind, Value: 90, Raw: "1m30s"}}))
	f(`{a="b"} | d <= 1500ms`, pipe(ab(), &LabelFilterStage{&NumericLabelFilter{
		Name: "d", Op: CmpLe, Kind: DurationKind, Value: 1.5, Raw: "1500ms"}}))
	f(`{a="b"} | d != 1.5h`, pipe(ab(), &LabelFilterStage{&NumericLabelFilter{
		Name: "d", Op: CmpNe, Kind: DurationKind, Value: 5400, Raw: "1.5h"}}))
	f(`{a="b"} | s < 150KB`, pipe(ab(), &LabelFilterStage{&NumericLabelFilter{
		Name: "s", Op: CmpLt, Kind: BytesKind, Value: 150000, Raw: "150KB"}}))
	f(`{a="b"} | s == 2MiB`, pipe(ab(), &LabelFilterStage{&NumericLabelFilter{
		Name: "s", Op: CmpEq, Kind: BytesKind, Value: 2 << 20, Raw: "2MiB"}}))
	f(`{a="b"} | ip = ip("10.0.0.1")`, pipe(ab(), &LabelFilterStage{&IPLabelFilter{Name: "ip", CIDR: "10.0.0.1"}}))
	f(`{a="b"} | c != ip("::1/128")`, pipe(ab(), &LabelFilterStage{&IPLabelFilter{Name: "c", Negate: true, CIDR: "::1/128"}}))
	f(`{a="b"} | json="x"`, pipe(ab(), &LabelFilterStage{strF(eq("json", "x"))}))
	f(`{a="b"} | x="1" (y="2" or z="3")`, pipe(ab(), &LabelFilterStage{and(x1, or(y2, z3))}))
	f(`{a="b"} | x="1" and or="y"`, pipe(ab(), &LabelFilterStage{and(x1, strF(eq("or", "y")))}))
	f(`{a="b"} | unwrap="1"`, pipe(ab(), &LabelFilterStage{strF(eq("unwrap", "1"))}))

	// Formatting and label manipulation.
	f(`{a="b"} | line_format "{{.x}}" | decolorize`, pipe(ab(), &LineFormatStage{"{{.x}}"}, &DecolorizeStage{}))
	f(`{a="b"} | label_format x=y, z="{{.w}}"`, pipe(ab(), &LabelFormatStage{[]LabelFmt{
		{Dst: "x", Rename: true, Value: "y"}, {Dst: "z", Value: "{{.w}}"}}}))
	f(`{a="b"} | drop x, y="1"`, pipe(ab(), &DropStage{[]LabelSel{{Name: "x"}, {Name: "y", Matcher: eq("y", "1")}}}))
	f(`{a="b"} | keep x, z=~"3"`, pipe(ab(), &KeepStage{[]LabelSel{{Name: "x"}, {Name: "z", Matcher: re("z", "3")}}}))

	// Range aggregations, both range placements, offset, unwrap.
	f(`count_over_time({a="b"}[5m])`, &RangeAggregationExpr{Op: OpCountOverTime, Left: rng(ab(), 5*time.Minute)})
	jsonRange := &LogRangeExpr{Left: pipe(ab(), &ParserStage{Kind: ParserJSON}), Interval: time.Hour, Offset: 90 * time.Minute}
	f(`rate({a="b"} | json [1h] offset 1h30m)`, &RangeAggregationExpr{Op: OpRate, Left: jsonRange})
	f(`rate({a="b"}[1h] offset 1h30m | json)`, &RangeAggregationExpr{Op: OpRate, Left: jsonRange})
	f(`rate(({a="b"} | json)[1h] offset 1h30m)`, &RangeAggregationExpr{Op: OpRate, Left: jsonRange})
	unwrapped := &LogRangeExpr{Left: pipe(ab(), &ParserStage{Kind: ParserLogfmt}), Interval: 10 * time.Minute,
		Unwrap: &Unwrap{Label: "d", Conv: "duration", PostFilters: []LabelFilter{strF(eq("__error__", ""))}}}
	want := &RangeAggregationExpr{Op: OpQuantileOverTime, Left: unwrapped, Param: fp(0.95),
		Grouping: &Grouping{Labels: []string{"method"}}}
	f(`quantile_over_time(0.95, {a="b"} | logfmt | unwrap duration(d) | __error__="" [10m]) by (method)`, want)
	f(`quantile_over_time by (method) (0.95, {a="b"}[10m] | logfmt | unwrap duration(d) | __error__="")`, want)
	f(`sum_over_time({a="b"} | unwrap bytes(s) [1m])`, &RangeAggregationExpr{Op: OpSumOverTime,
		Left: &LogRangeExpr{Left: ab(), Interval: time.Minute, Unwrap: &Unwrap{Label: "s", Conv: "bytes"}}})
	f(`rate_counter({a="b"} | unwrap duration_seconds(s) [1m])`, &RangeAggregationExpr{Op: OpRateCounter,
		Left: &LogRangeExpr{Left: ab(), Interval: time.Minute, Unwrap: &Unwrap{Label: "s", Conv: "duration_seconds"}}})
	f(`max_over_time({a="b"} | unwrap x [1m]) without (c)`, &RangeAggregationExpr{Op: OpMaxOverTime,
		Left:     &LogRangeExpr{Left: ab(), Interval: time.Minute, Unwrap: &Unwrap{Label: "x"}},
		Grouping: &Grouping{Without: true, Labels: []string{"c"}}})
	f(`bytes_rate({a="b"}[1d] offset -1w)`, &RangeAggregationExpr{Op: OpBytesRate,
		Left: &LogRangeExpr{Left: ab(), Interval: 24 * time.Hour, Offset: -7 * 24 * time.Hour}})

	// Vector aggregations.
	cot := func() SampleExpr {
		return &RangeAggregationExpr{Op: OpCountOverTime, Left: rng(ab(), 5*time.Minute)}
	}
	byC := &Grouping{Labels: []string{"c"}}
	f(`sum by (c) (count_over_time({a="b"}[5m]))`, &VectorAggregationExpr{Op: OpSum, Left: cot(), Grouping: byC})
	f(`sum(count_over_time({a="b"}[5m])) by (c)`, &VectorAggregationExpr{Op: OpSum, Left: cot(), Grouping: byC})
	f(`SUM BY (c) (count_over_time({a="b"}[5m]))`, &VectorAggregationExpr{Op: OpSum, Left: cot(), Grouping: byC})
	f(`avg by () (count_over_time({a="b"}[5m]))`, &VectorAggregationExpr{Op: OpAvg, Left: cot(), Grouping: &Grouping{Labels: []string{}}})
	f(`topk(3, count_over_time({a="b"}[5m]))`, &VectorAggregationExpr{Op: OpTopK, Left: cot(), Param: 3})
	f(`bottomk by (c) (1, count_over_time({a="b"}[5m]))`, &VectorAggregationExpr{Op: OpBottomK, Left: cot(), Param: 1, Grouping: byC})
	f(`sort_desc(count_over_time({a="b"}[5m]))`, &VectorAggregationExpr{Op: OpSortDesc, Left: cot()})

	// Binary operations: precedence and associativity.
	bin := func(op string, l, r SampleExpr) *BinOpExpr { return &BinOpExpr{Op: op, LHS: l, RHS: r} }
	f(`count_over_time({a="b"}[5m]) + count_over_time({a="b"}[5m]) * count_over_time({a="b"}[5m])`,
		bin(OpAdd, cot(), bin(OpMul, cot(), cot())))
	f(`count_over_time({a="b"}[5m]) - count_over_time({a="b"}[5m]) - count_over_time({a="b"}[5m])`,
		bin(OpSub, bin(OpSub, cot(), cot()), cot()))
	f(`count_over_time({a="b"}[5m]) ^ count_over_time({a="b"}[5m]) ^ count_over_time({a="b"}[5m])`,
		bin(OpPow, cot(), bin(OpPow, cot(), cot())))
	f(`count_over_time({a="b"}[5m]) or count_over_time({a="b"}[5m]) unless count_over_time({a="b"}[5m])`,
		bin(OpOr, cot(), bin(OpUnless, cot(), cot())))
	f(`count_over_time({a="b"}[5m]) > 1 + 2 * 3`, bin(OpGt, cot(), &LiteralExpr{7}))
	f(`-2 ^ 2 * count_over_time({a="b"}[5m])`, bin(OpMul, &LiteralExpr{4}, cot()))
	f(`count_over_time({a="b"}[5m]) == bool 1e3`, &BinOpExpr{Op: OpEq, LHS: cot(), RHS: &LiteralExpr{1000},
		Opts: BinOpOptions{ReturnBool: true}})
	f(`count_over_time({a="b"}[5m]) / on (c) group_left (d) count_over_time({a="b"}[5m])`,
		&BinOpExpr{Op: OpDiv, LHS: cot(), RHS: cot(), Opts: BinOpOptions{Matching: &VectorMatching{
			On: true, Labels: []string{"c"}, Card: ManyToOne, Include: []string{"d"}}}})
	f(`count_over_time({a="b"}[5m]) * ignoring () group_right count_over_time({a="b"}[5m])`,
		&BinOpExpr{Op: OpMul, LHS: cot(), RHS: cot(), Opts: BinOpOptions{Matching: &VectorMatching{
			Labels: []string{}, Card: OneToMany, Include: []string{}}}})
	f(`1 / 0`, bin(OpDiv, &LiteralExpr{1}, &LiteralExpr{0}))
	f(`(1)`, &LiteralExpr{1})
	f(`-0x10`, &LiteralExpr{-16})

	// Functions.
	f(`vector(2.5)`, &VectorExpr{2.5})
	f(`label_replace(count_over_time({a="b"}[5m]), "d", "$1", "s", "(.*)")`,
		&LabelReplaceExpr{Left: cot(), Dst: "d", Replacement: "$1", Src: "s", Regex: "(.*)"})
}

func TestParseLogSelectorAndSampleExpr(t *testing.T) {
	if s, err := ParseLogSelector(`{a="b"} |= "x"`); err != nil || len(s.Pipeline) != 1 {
		t.Fatalf("ParseLogSelector: %v, %v", s, err)
	}
	if _, err := ParseLogSelector(`count_over_time({a="b"}[5m])`); err != ErrNotLogSelector {
		t.Fatalf("ParseLogSelector(metric) error = %v", err)
	}
	if e, err := ParseSampleExpr(`count_over_time({a="b"}[5m])`); err != nil || e.String() != `count_over_time({a="b"}[5m])` {
		t.Fatalf("ParseSampleExpr: %v, %v", e, err)
	}
	if _, err := ParseSampleExpr(`{a="b"}`); err != ErrNotSampleExpr {
		t.Fatalf("ParseSampleExpr(log) error = %v", err)
	}
}

func TestParseMatchers(t *testing.T) {
	f := func(in string, want []*labels.Matcher, wantErr string) {
		t.Helper()
		got, err := ParseMatchers(in)
		if wantErr != "" {
			if err == nil || err.Error() != wantErr {
				t.Fatalf("ParseMatchers(%q) error = %v, want %s", in, err, wantErr)
			}
			return
		}
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("ParseMatchers(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	f(`{a="b", c=~"d"}`, ms(eq("a", "b"), re("c", "d")), "")
	f(`{a="b"} |= "x"`, nil, "only label matchers are supported")
	f(`count_over_time({a="b"}[1m])`, nil, "only label matchers are supported")
	f(`{app=""} |= "foo"`, nil, "parse error : "+errEmptyCompatible)
	f(`{a=""}`, nil, "parse error : "+errEmptyCompatible)
	f(`a="b"`, nil, "parse error at line 1, col 1: syntax error: unexpected IDENTIFIER")
}

func TestLiteralFolding(t *testing.T) {
	f := func(in string, want float64) {
		t.Helper()
		e, err := ParseExpr(in)
		if err != nil {
			t.Fatalf("ParseExpr(%q): %v", in, err)
		}
		lit, ok := e.(*LiteralExpr)
		if !ok || lit.Val != want {
			t.Fatalf("ParseExpr(%q) = %#v, want literal %v", in, e, want)
		}
	}
	f("1 + 2", 3)
	f("1 - 2", -1)
	f("2 * 3", 6)
	f("3 / 2", 1.5)
	f("7 % 4", 3)
	f("2 ^ 10", 1024)
	f("2 ^ 3 ^ 2", 512)
	f("(2 ^ 3) ^ 2", 64)
	f("1 == 1", 1)
	f("1 != 1", 0)
	f("2 > 1", 1)
	f("2 >= 3", 0)
	f("2 < 3", 1)
	f("3 <= 2", 0)
	f("1 > bool 0", 1)
	f("-1 - -1", 0)
	f("+1.5e1", 15)
	// Non-finite results stay operations, because they have no literal form.
	for _, in := range []string{"1 / 0", "1 % 0", "0 / 0", "1e308 * 10"} {
		if e, err := ParseExpr(in); err != nil {
			t.Fatalf("ParseExpr(%q): %v", in, err)
		} else if _, ok := e.(*BinOpExpr); !ok {
			t.Fatalf("ParseExpr(%q) = %#v, want a *BinOpExpr", in, e)
		}
	}
}

func TestPrintBuiltTrees(t *testing.T) {
	// Trees built by hand (by the engine or tests) print sensibly even without Raw.
	f := func(e interface{ String() string }, want string) {
		t.Helper()
		if got := e.String(); got != want {
			t.Fatalf("got %s, want %s", got, want)
		}
	}
	f(&NumericLabelFilter{Name: "d", Op: CmpGt, Kind: DurationKind, Value: 1.5}, "d>1.5s")
	f(&NumericLabelFilter{Name: "s", Op: CmpLe, Kind: BytesKind, Value: 2048}, "s<=2048B")
	f(&NumericLabelFilter{Name: "n", Op: CmpNe, Value: 3}, "n!=3")
	f(&LineFilterStage{LineFilter{Op: LineNotContains, IP: true, Values: []string{"::1"}}}, `!= ip("::1")`)
	f(&VectorMatching{Labels: []string{"a", "b"}}, "ignoring (a, b)")
	f(&VectorMatching{On: true, Labels: []string{}, Card: OneToMany, Include: []string{"c"}}, "on () group_right (c)")
	f(&Grouping{Without: true, Labels: []string{"x"}}, "without (x)")
	f(&LogRangeExpr{Left: sel(eq("a", "b")), Interval: time.Minute, Offset: -time.Hour}, `{a="b"}[1m] offset -1h`)
	f(&RangeAggregationExpr{Op: OpRate, Left: &LogRangeExpr{Left: sel(eq("a", "b")), Interval: time.Minute, Offset: -time.Hour}},
		`rate({a="b"}[1m] offset -1h)`)
}
