package log

import (
	"testing"

	"github.com/jetlog/jetlog/logql/syntax"
)

func TestRegexpPatternUnpackParsers(t *testing.T) {
	runEntryCases(t, []entryCase{
		{name: "regexp named groups", pipeline: `| regexp "(?P<method>\\w+) (?P<path>\\S+) (\\d+)"`, line: `GET /api 200`, keep: true,
			want: `{app="api", method="GET", path="/api"}`},
		{name: "regexp no match: no labels no error", pipeline: `| regexp "(?P<n>\\d+)"`, line: `none`, keep: true,
			want: `{app="api"}`},
		{name: "regexp clash", pipeline: `| regexp "(?P<app>\\w+)"`, line: `zz`, keep: true,
			want: `{app="api", app_extracted="zz"}`},
		{name: "pattern", pipeline: `| pattern "<ip> - <_> \"<method> <path> <_>\" <status>"`,
			line: `1.2.3.4 - - "GET /x HTTP/1.1" 200`, keep: true,
			want: `{app="api", ip="1.2.3.4", method="GET", path="/x", status="200"}`},
		{name: "pattern missing literal: capture takes the rest", pipeline: `| pattern "<a> => <b>"`, line: `x -> y`, keep: true, want: `{a="x -> y", app="api"}`},
		{name: "pattern partial keeps earlier captures", pipeline: `| pattern "<a> <b>, <c>"`, line: `x y z`, keep: true, want: `{a="x", app="api", b="y z"}`},
		{name: "pattern first literal must start the line", pipeline: `| pattern "GET <path>"`, line: `POST /x`, keep: true, want: `{app="api"}`},
		{name: "unpack", pipeline: `| unpack`, line: `{"_entry":"the line","pod":"p1","n":3,"o":{"x":"y"}}`, keep: true,
			wantLine: "the line", want: `{app="api", pod="p1"}`},
		{name: "unpack without entry adds nothing", pipeline: `| unpack`, line: `{"pod":"p1"}`, keep: true, want: `{app="api"}`},
		{name: "unpack clash with stream", pipeline: `| unpack`, line: `{"_entry":"l","app":"z"}`, keep: true, wantLine: "l", want: `{app="api", app_extracted="z"}`},
		{name: "unpack bad", pipeline: `| unpack`, line: `x`, keep: true,
			want: `{__error__="JSONParserErr", __error_details__="expecting json object(6), but it is not", app="api"}`},
		{name: "unpack truncated", pipeline: `| unpack | __error__="JSONParserErr"`, line: `{"_entry":"x"`, keep: true,
			want: `{__error__="JSONParserErr", __error_details__="Value looks like object, but can't find closing '}' symbol", app="api"}`},
		{name: "unpack then json on entry", pipeline: `| unpack | json`, line: `{"_entry":"{\"a\":\"b\"}","pod":"p"}`, keep: true,
			wantLine: `{"a":"b"}`, want: `{a="b", app="api", pod="p"}`},
	})
}

func TestParserBadInput(t *testing.T) {
	for _, s := range []*syntax.ParserStage{
		{Kind: syntax.ParserRegexp, Param: "(\\d+)"},
		{Kind: syntax.ParserRegexp, Param: "(?P<a>"},
		{Kind: syntax.ParserRegexp, Param: "(?P<a>x)(?P<a>y)"},
		{Kind: syntax.ParserPattern, Param: "<_> foo"},
		{Kind: syntax.ParserPattern, Param: "<a><b>"},
		{Kind: syntax.ParserPattern, Param: ""},
		{Kind: syntax.ParserJSON, Extractions: []syntax.LabelExtraction{{Label: "a", Expr: "b["}}},
		{Kind: syntax.ParserKind(99)},
	} {
		if _, err := NewPipeline([]syntax.Stage{s}); err == nil {
			t.Errorf("%+v: want error", s)
		}
	}
}
