package syntax

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestParseErrors(t *testing.T) {
	f := func(in, want string) {
		t.Helper()
		e, err := ParseExpr(in)
		if err == nil {
			t.Fatalf("ParseExpr(%q) = %s, want error %s", in, e, want)
		}
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Fatalf("ParseExpr(%q) error %T is not a *ParseError", in, err)
		}
		if err.Error() != want {
			t.Errorf("ParseExpr(%q) error\n got %s\nwant %s", in, err, want)
		}
	}
	empty := "parse error : " + errEmptyCompatible

	// Pinned by the conformance kit (answers.json from Loki 3.7).
	f(`{app="api"`, "parse error at line 1, col 11: syntax error: unexpected $end, expecting } or ,")
	f(`{app=""}`, `parse error : queries require at least one regexp or equality matcher that does not have an empty-compatible value. For instance, app=~".*" does not meet this requirement, but app=~".+" will`)

	// Empty-compatible selectors, anywhere in the query.
	f(`{}`, empty)
	f(`{a!="x"}`, empty)
	f(`{a=~".*", b!~"y"}`, empty)
	f(`sum(rate({a="b"}[1m])) / sum(rate({a=~".*"}[1m]))`, empty)

	// Syntax errors with positions, yacc style.
	f(`unk({ foo !~ "bar" }[5m])`, "parse error at line 1, col 1: syntax error: unexpected IDENTIFIER")
	f(`label_replace(rate({ foo !~ "bar" }[5m]),"")`, "parse error at line 1, col 44: syntax error: unexpected ), expecting ,")
	f(`{a="b"} | unwrap x`, "parse error at line 1, col 11: syntax error: unexpected unwrap")
	f(`{a="b"}[5m]`, "parse error at line 0, col 8: syntax error: unexpected RANGE")
	f(`sum({a="b"})`, "parse error at line 1, col 12: syntax error: unexpected )")
	f(`{a="b" | json`, "parse error at line 1, col 8: syntax error: unexpected |, expecting } or ,")
	f(`{a}`, "parse error at line 1, col 3: syntax error: unexpected }, expecting = or =~ or !~ or !=")
	f(`{a=b}`, "parse error at line 1, col 4: syntax error: unexpected IDENTIFIER, expecting STRING")
	f(`{a="b"} |= `, "parse error at line 1, col 12: syntax error: unexpected $end, expecting STRING or ip")
	f(`{a="b"} | json |`, "parse error at line 1, col 17: syntax error: unexpected $end")
	f(`{a="b"} | x > "y"`, "parse error at line 1, col 15: syntax error: unexpected STRING")
	f(`{a="b"} | x=="s"`, "parse error at line 1, col 14: syntax error: unexpected STRING")
	f(`{a="b"} | x=}`, "parse error at line 1, col 13: syntax error: unexpected }")
	f(`{a="b"} | x=`, "parse error at line 1, col 13: syntax error: unexpected $end")
	f(`1e+`, "parse error at line 1, col 1: exponent has no digits")
	f(`{a="b"} | x > 5E`, "parse error at line 1, col 15: exponent has no digits")
	f(`{a="b"} | x=~5`, "parse error at line 1, col 14: syntax error: unexpected NUMBER, expecting STRING")
	f("{a=\"b\"}\n| json\n| x >", "parse error at line 3, col 6: syntax error: unexpected $end")
	f(`sum by (a, ) (rate({a="b"}[5m]))`, "parse error at line 1, col 12: syntax error: unexpected ), expecting IDENTIFIER")
	f(`vector(x)`, "parse error at line 1, col 8: syntax error: unexpected IDENTIFIER, expecting NUMBER")
	f(`{a="b"} | keep`, "parse error at line 1, col 15: syntax error: unexpected $end, expecting IDENTIFIER")
	f(``, "parse error : syntax error: unexpected $end")
	f(`  # only a comment`, "parse error : syntax error: unexpected $end")
	f(`rate({a="b"}[5m]) rate({a="b"}[5m])`, "parse error at line 1, col 19: syntax error: unexpected RATE")
	f(`rate({a="b"}[5m]) rate`, "parse error at line 1, col 19: syntax error: unexpected IDENTIFIER")
	f(`count_over_time({a="b"} [5m] [5m])`, "parse error at line 0, col 30: syntax error: unexpected RANGE, expecting )")

	f(`count_over_time(({a="b"} | json))`, "parse error at line 1, col 33: syntax error: unexpected )")
	f(`count_over_time({a="b"})`, "parse error at line 1, col 24: syntax error: unexpected )")
	f(`count_over_time(({a="b"}[5m])[5m])`, "parse error at line 0, col 30: syntax error: unexpected RANGE, expecting )")
	f(`sum_over_time({a="b"} | unwrap x | json [5m])`, "parse error at line 1, col 36: syntax error: unexpected json, expecting IDENTIFIER or (")
	f(`sum_over_time({a="b"} | unwrap [5m])`, "parse error at line 0, col 32: syntax error: unexpected RANGE, expecting IDENTIFIER")
	f(`count_over_time({a="b"}[5m] offset)`, "parse error at line 1, col 35: syntax error: unexpected ), expecting DURATION")
	f(`count_over_time({a="b"}[5m] offset 1x)`, `parse error at line 1, col 36: invalid number, duration or byte size "1x"`)
	f(`count_over_time({app="a"}[30m:5m])`, `parse error at line 0, col 26: unknown unit "m:" in duration "30m:5m"`)
	f(`count_over_time({app="a"}[1.5h])`, `parse error at line 0, col 26: unknown unit "." in duration "1.5h"`)
	f(`count_over_time({app="a"}[5m1h])`, `parse error at line 0, col 26: not a valid duration string: "5m1h"`)
	f(`count_over_time({app="a"}[])`, `parse error at line 0, col 26: empty duration string`)
	f(`sum by (x) by (y) (vector(1))`, "parse error at line 1, col 12: syntax error: unexpected by, expecting (")
	f(`sum(vector(1)) by (x) by (y)`, "parse error at line 1, col 23: syntax error: unexpected by")
	f(`rate({a="b"}[5m]) > on (x) group_left (y`, "parse error at line 1, col 41: syntax error: unexpected $end, expecting , or )")
	f(`count_over_time([5m])`, "parse error at line 0, col 17: syntax error: unexpected RANGE, expecting NUMBER or { or (")
	f(`max_over_time(sum(rate({app="a"}[1m]))[30m:5m])`, "parse error at line 1, col 15: syntax error: unexpected SUM, expecting NUMBER or { or (")
	f(`rate(count_over_time({app="a"}[5m])[30m:5m])`, "parse error at line 1, col 6: syntax error: unexpected COUNT_OVER_TIME, expecting NUMBER or { or (")
	f(`quantile_over_time(0.5, rate({app="a"}[1m])[30m:5m])`, "parse error at line 1, col 25: syntax error: unexpected RATE, expecting { or (")
	f(`max_over_time((rate({app="a"}[1m]))[30m:5m])`, "parse error at line 1, col 16: syntax error: unexpected RATE, expecting { or (")
	f(`sum_over_time(vector(1)[5m:1m])`, "parse error at line 1, col 15: syntax error: unexpected VECTOR, expecting NUMBER or { or (")
	f(`max_over_time(label_replace(rate({app="a"}[1m]),"a","b","c","d")[30m:5m])`, "parse error at line 1, col 15: syntax error: unexpected label_replace, expecting NUMBER or { or (")
	f(`sum(max_over_time(rate({app="a"}[1m])[30m:5m]))`, "parse error at line 1, col 19: syntax error: unexpected RATE, expecting NUMBER or { or (")
	f(`rate by (x) ({a="b"}[1m]) sum`, "parse error : grouping not allowed for rate aggregation")

	// Cases from Loki's own parser tests.
	f(`min({ foo = "bar" }[5m])`, "parse error at line 0, col 20: syntax error: unexpected RANGE")
	f(`rate({ foo = "bar" }[5)`, "parse error at line 0, col 21: missing closing ']' in duration")
	f(`{ foo = "bar" }|logfmt|addr>=ip("1.2.3.4")`, "parse error at line 1, col 30: syntax error: unexpected ip")
	f(`{ foo = "bar" }|logfmt|addr<ip("1.2.3.4")`, "parse error at line 1, col 29: syntax error: unexpected ip")
	f(`sum(3 ,count_over_time({ foo = "bar" }[5h]))`, "parse error : unsupported parameter for operation sum(3,")
	f(`bottomk(he,count_over_time({ foo = "bar" }[5h]))`, "parse error at line 1, col 9: syntax error: unexpected IDENTIFIER")
	f(`bottomk(1.2,count_over_time({ foo = "bar" }[5h]))`, "parse error : invalid parameter bottomk(1.2,")
	f(`stddev({ foo = "bar" })`, "parse error at line 1, col 23: syntax error: unexpected )")
	f(`topk(00, count_over_time({app="a"}[5m]))`, "parse error : invalid parameter (must be greater than 0) topk(00")
	f(`topk by (pod) (0, count_over_time({app="a"}[5m]))`, "parse error : invalid parameter (must be greater than 0) topk(0")

	f(`{foo="bar"} "foo"`, "parse error at line 1, col 13: syntax error: unexpected STRING")
	f(`{foo="bar"} foo`, "parse error at line 1, col 13: syntax error: unexpected IDENTIFIER")
	f(`{foo="bar}`, "parse error at line 1, col 6: literal not terminated")
	f(`{foo="bar"} |~`, "parse error at line 1, col 15: syntax error: unexpected $end, expecting STRING or ip")

	f("{app=~\"\xa0\xa1\"}", "parse error at line 1, col 7: invalid UTF-8 encoding")
	f(`sum_over_time({app="foo"} |= "bar" | json | line_format "x" | label_format foo=bar,status_code="buzz{{.bar}}"[5m])`, "parse error : invalid aggregation sum_over_time without unwrap")

	// Lexical errors.
	f(`rate({ foo !~ "bar" }[5minutes])`, `parse error at line 0, col 22: unknown unit "minutes" in duration "5minutes"`)
	f(`count_over_time({a="b"}[5m)`, "parse error at line 0, col 24: missing closing ']' in duration")
	f(`{a="b"} |= "x`, "parse error at line 1, col 12: literal not terminated")
	f(`{a="b"} |= "\q"`, "parse error at line 1, col 12: invalid syntax")
	f(`{a="b"} | x > 5mn`, `parse error at line 1, col 15: invalid number, duration or byte size "5mn"`)
	f(`{a="b"} $`, "parse error at line 1, col 9: syntax error: unexpected character '$'")
	f("{a=\"\xff\"}", "parse error at line 1, col 4: invalid UTF-8 encoding")

	// Semantic checks Loki makes at parse time.
	f(`absent_over_time({ foo !~ "bar" }[5h]) by (foo)`, "parse error : grouping not allowed for absent_over_time aggregation")
	f(`rate({a="b"}[5m]) by (x)`, "parse error : grouping not allowed for rate aggregation")
	f(`sort(rate({a="b"}[5m])) by (x)`, "parse error : sort and sort_desc doesn't allow grouping by ")
	f(`{a="b"} |= "`+strings.Repeat("x", MaxQuerySize)+`"`, fmt.Sprintf("parse error : input size too long (%d > %d)", MaxQuerySize+13, MaxQuerySize))
	f(`sum_over_time({a="b"}[5m])`, "parse error : invalid aggregation sum_over_time without unwrap")
	f(`count_over_time({a="b"} | unwrap x [5m])`, "parse error : invalid aggregation count_over_time with unwrap")
	f(`bytes_rate({a="b"} | unwrap x [5m])`, "parse error : invalid aggregation bytes_rate with unwrap")
	f(`rate_counter({a="b"}[5m])`, "parse error : invalid aggregation rate_counter without unwrap")
	f(`quantile_over_time({a="b"} | unwrap x [5m])`, "parse error : parameter required for operation quantile_over_time")
	f(`rate(0.5, {a="b"}[5m])`, "parse error : unsupported parameter for operation rate(0.5,")
	f(`topk(rate({a="b"}[5m]))`, "parse error : parameter required for operation topk")
	f(`topk(0, rate({a="b"}[5m]))`, "parse error : invalid parameter (must be greater than 0) topk(0")
	f(`bottomk(1.5, rate({a="b"}[5m]))`, "parse error : invalid parameter bottomk(1.5,")
	f(`sum(2, rate({a="b"}[5m]))`, "parse error : unsupported parameter for operation sum(2,")
	f(`{a="b"} + 1`, "parse error : unexpected type for left leg of binary operation (+): *syntax.MatchersExpr")
	f(`1 + {a="b"} |= "x"`, "parse error : unexpected type for right leg of binary operation (+): *syntax.PipelineExpr")
	f(`1 and rate({a="b"}[5m])`, "parse error : unexpected literal for left leg of logical/set binary operation (and): 1.000000")
	f(`rate({a="b"}[5m]) unless 2`, "parse error : unexpected literal for right leg of logical/set binary operation (unless): 2.000000")
	f(`rate({a="b"}[5m]) + bool 1`, "parse error at line 1, col 21: bool modifier can only be used on comparison operators")
	f(`rate({a="b"}[5m]) and on (x) group_left rate({a="b"}[5m])`, `parse error at line 1, col 30: no grouping allowed for "and" operation`)
	f(`label_replace(rate({ foo !~ "bar" }[5m]),"foo","$1","bar","^^^^x43\\q")`, "parse error : invalid regex in label_replace: error parsing regexp: invalid escape sequence: `\\q`")
	f(`label_replace(rate({a="b"}[5m]), "1x", "", "a", "")`, "parse error : invalid destination label name in label_replace: 1x")
	f(`{a=~"("}`, "parse error : error parsing regexp: missing closing ): `(`")
	f(`{a="b"} |~ "("`, "parse error : error parsing regexp: missing closing ): `(`")
	f(`{a="b"} | x=~"["`, "parse error : error parsing regexp: missing closing ]: `[`")
	f(`{a="b"} | regexp "(.*)"`, "parse error : invalid regexp parser: at least one named capture must be supplied")
	f(`{a="b"} | regexp "(["`, "parse error : invalid regexp parser: error parsing regexp: missing closing ]: `[`")
	f(`{a="b"} | regexp "(?P<a>x)(?P<a>y)"`, "parse error : invalid regexp parser: duplicate extracted label name 'a'")
	f(`{a="b"} | pattern "foo"`, "parse error : invalid pattern parser: at least one capture is required")
	f(`{a="b"} | pattern "<_><_>"`, "parse error : invalid pattern parser: at least one capture is required")
	f(`{a="b"} | pattern "<a><b>"`, "parse error : invalid pattern parser: found consecutive capture '<a><b>': invalid expression")
	f(`{a="b"} | pattern "x <_><b>"`, "parse error : invalid pattern parser: found consecutive capture '<_><b>': invalid expression")
	f(`{a="b"} | pattern "<a> <a>"`, "parse error : invalid pattern parser: duplicate capture name (a): invalid expression")
	f(`{a="b"} | pattern ""`, "parse error : invalid pattern parser: parse error at line 1, col 1: syntax error: unexpected $end, expecting IDENTIFIER or LITERAL")
	f(`{a="b"} |= ip("nope")`, `parse error : ip: invalid IP address, CIDR or range "nope"`)
	f(`{a="b"} | x=ip("10.0.0.9-10.0.0.1")`, `parse error : ip: invalid IP address, CIDR or range "10.0.0.9-10.0.0.1"`)
	f(`{a="b"} |~ ip("10.0.0.1")`, "parse error at line 1, col 12: syntax error: ip() line filter supports only |= and !=")
	f(`{a="b"} |= "x" or ip("10.0.0.1")`, "parse error at line 1, col 19: syntax error: ip() line filter cannot be combined with or")
	f(`{app="a"} | label_format x="a", x="b"`, `parse error : stage '| label_format x="a",x="b"' : multiple label name 'x' not allowed in a single format operation`)
	f(`{app="a"} | label_format x=y, x=z`, `parse error : stage '| label_format x=y,x=z' : multiple label name 'x' not allowed in a single format operation`)
	f(`{app="a"} | label_format __error__="a"`, `parse error : stage '| label_format __error__="a"' : __error__ cannot be formatted`)
	f(`{app="a"} | label_format x="a",`, "parse error at line 1, col 32: syntax error: unexpected $end, expecting IDENTIFIER")
	f(`{app="a"} | label_format x`, "parse error at line 1, col 27: syntax error: unexpected $end, expecting =")
	f(`{app="a"} | json foo=""`, `parse error : stage '| json foo=""' : cannot parse expression []: syntax error: unexpected $end, expecting LSB or FIELD`)
	f(`{app="a"} | json foo="bar["`, `parse error : stage '| json foo="bar["' : cannot parse expression [bar[]: syntax error: unexpected $end, expecting STRING or INDEX`)
	f(`{app="a"} | json foo="a.b[0"`, `parse error : stage '| json foo="a.b[0"' : cannot parse expression [a.b[0]: syntax error: unexpected $end, expecting STRING or INDEX`)
	f(`{app="a"} | json foo="a..b"`, `parse error : stage '| json foo="a..b"' : cannot parse expression [a..b]: syntax error: unexpected DOT, expecting FIELD`)
	f(`{app="a"} | json foo="a.b-c"`, `parse error : stage '| json foo="a.b-c"' : cannot parse expression [a.b-c]: unexpected char -`)
	f(`{app="a"} | json foo="a b"`, `parse error : stage '| json foo="a b"' : cannot parse expression [a b]: syntax error: unexpected FIELD`)
	f(`{app="a"} | json foo="a.[0]"`, `parse error : stage '| json foo="a.[0]"' : cannot parse expression [a.[0]]: syntax error: unexpected LSB, expecting FIELD`)
	f(`{app="a"} | json foo="a[x]"`, `parse error : stage '| json foo="a[x]"' : cannot parse expression [a[x]]: syntax error: unexpected FIELD, expecting STRING or INDEX`)
	f(`{app="a"} | json foo="a]"`, `parse error : stage '| json foo="a]"' : cannot parse expression [a]]: syntax error: unexpected RSB`)
	f(`{app="a"} | json foo=`, "parse error at line 1, col 22: syntax error: unexpected $end, expecting STRING")
	f(`count_over_time({app="a"} | json foo="a[" [5m])`, `parse error : stage '| json foo="a["' : cannot parse expression [a[]: syntax error: unexpected $end, expecting STRING or INDEX`)
	f(`{app="a"} | logfmt foo="bar["`, `parse error : stage '| logfmt foo="bar["' : cannot parse expression [bar[]: unexpected char [`)
	f(`{app="a"} | logfmt foo="a.b"`, `parse error : stage '| logfmt foo="a.b"' : cannot parse expression [a.b]: unexpected char .`)
	f(`{app="a"} | logfmt foo=""`, `parse error : stage '| logfmt foo=""' : cannot parse expression []: syntax error: unexpected $end, expecting STRING or KEY`)
	f(`{app="a"} | logfmt foo="a b"`, `parse error : stage '| logfmt foo="a b"' : cannot parse expression [a b]: syntax error: unexpected KEY`)
	f(`{app="a"} | logfmt user="user-id"`, `parse error : stage '| logfmt user="user-id"' : cannot parse expression [user-id]: unexpected char -`)
	f(`{app="a"} | logfmt n="1x"`, `parse error : stage '| logfmt n="1x"' : cannot parse expression [1x]: syntax error: unexpected $end, expecting STRING or KEY`)
	f(strings.Repeat("(", 300)+"1"+strings.Repeat(")", 300), "parse error at line 1, col 257: query is nested too deeply")
}

func TestParseErrorFormat(t *testing.T) {
	f := func(e *ParseError, want string) {
		t.Helper()
		if got := e.Error(); got != want {
			t.Fatalf("got %q, want %q", got, want)
		}
	}
	f(&ParseError{Msg: "m"}, "parse error : m")
	f(&ParseError{Msg: "m", Line: 2, Col: 3}, "parse error at line 2, col 3: m")
}
