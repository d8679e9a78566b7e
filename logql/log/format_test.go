package log

import (
	"testing"

	"github.com/jetlog/jetlog/logql/syntax"
)

func TestLineFormat(t *testing.T) {
	runEntryCases(t, []entryCase{
		{name: "labels", pipeline: `| logfmt | line_format "{{.level | ToUpper}} {{.msg}} {{.app}}"`, line: `level=warn msg=hi`, keep: true,
			wantLine: "WARN hi api", want: `{app="api", level="warn", msg="hi"}`},
		{name: "missing is empty", pipeline: `| line_format "[{{.nope}}]"`, line: `x`, keep: true, wantLine: "[]", want: `{app="api"}`},
		{name: "line and timestamp", pipeline: "| line_format `{{__line__ | trunc 3}} {{ __timestamp__ | unixEpoch }}`", line: `abcdef`, keep: true,
			wantLine: "abc 1700000000", want: `{app="api"}`},
		{name: "functions", pipeline: "| line_format `{{ Replace \"aaa\" \"a\" \"b\" 2 }} {{ regexReplaceAll \"(\\\\d+)\" \"n42\" \"<$1>\" }} {{ add 1 2 3 }} {{ divf 1 4 }} {{ mulf 1.5 2 }} {{ \"x\" | b64enc }} {{ default \"d\" .nope }} {{ alignRight 4 \"ab\" }}|{{ printf \"%03d\" 7 }} {{ \"a b\" | urlencode }} {{ bytes \"1KiB\" }} {{ duration \"1m\" }}`",
			line: `x`, keep: true, wantLine: "bba n<42> 6 0.25 3 eA== d   ab|007 a+b 1024 60", want: `{app="api"}`},
		{name: "fromJson", pipeline: "| line_format `{{ (fromJson __line__).a.b }}`", line: `{"a":{"b":"deep"}}`, keep: true,
			wantLine: "deep", want: `{app="api"}`},
		{name: "exec error keeps line", pipeline: "| line_format `{{ div 1 0 }}`", line: `orig`, keep: true, wantLine: "orig",
			want: `{__error__="TemplateFormatErr", __error_details__="template: line:1:3: executing \"line\" at <div 1 0>: error calling div: div: division by zero", app="api"}`},
		{name: "chained formats", pipeline: `| line_format "{{__line__}}!" | line_format "{{__line__}}?"`, line: `a`, keep: true, wantLine: "a!?", want: `{app="api"}`},
	})
}

func TestLabelFormat(t *testing.T) {
	runEntryCases(t, []entryCase{
		{name: "rename", pipeline: `| logfmt | label_format lvl=level`, line: `level=info`, keep: true,
			want: `{app="api", lvl="info"}`, parsed: `{lvl="info"}`},
		{name: "template", pipeline: `| logfmt | label_format both="{{.a}}-{{.b}}"`, line: `a=1 b=2`, keep: true,
			want: `{a="1", app="api", b="2", both="1-2"}`},
		{name: "overwrite stream label moves it to parsed", pipeline: `| label_format app="{{.app | ToUpper}}"`, line: `x`, keep: true,
			want: `{app="API"}`, parsed: `{app="API"}`},
		{name: "ops read the labels before the stage", pipeline: `| logfmt | label_format a="{{.b}}", b="{{.a}}"`, line: `a=1 b=2`, keep: true,
			want: `{a="2", app="api", b="1"}`},
	})
	if _, err := NewPipeline([]syntax.Stage{&syntax.LabelFormatStage{Ops: []syntax.LabelFmt{{Dst: "a", Rename: true, Value: "b"}, {Dst: "a", Value: "x"}}}}); err == nil {
		t.Error("duplicate destination: want error")
	}
	if _, err := NewPipeline([]syntax.Stage{&syntax.LineFormatStage{Template: "{{.a"}}); err == nil {
		t.Error("bad template: want error")
	}
}

func TestDropKeepDecolorize(t *testing.T) {
	runEntryCases(t, []entryCase{
		{name: "drop names", pipeline: `| logfmt | drop a, app`, line: `a=1 b=2`, keep: true, want: `{b="2"}`},
		{name: "drop matcher", pipeline: `| logfmt | drop a="1", b="9"`, line: `a=1 b=2`, keep: true, want: `{app="api", b="2"}`},
		{name: "drop error", pipeline: `| json | drop __error__, __error_details__`, line: `nope`, keep: true, want: `{app="api"}`},
		{name: "drop metadata", pipeline: `| drop trace_id`, metadata: mustLabels("trace_id", "t"), line: `x`, keep: true, want: `{app="api"}`},
		{name: "keep names", pipeline: `| logfmt | keep a`, metadata: mustLabels("trace_id", "t"), line: `a=1 b=2`, keep: true, want: `{a="1"}`},
		{name: "keep matcher", pipeline: `| logfmt | keep a="2", b`, line: `a=1 b=2`, keep: true, want: `{b="2"}`},
		{name: "keep never drops errors", pipeline: `| json | keep app`, line: `x`, keep: true,
			want: `{__error__="JSONParserErr", __error_details__="Value looks like object, but can't find opening '{' symbol", app="api"}`},
		{name: "decolorize", pipeline: `| decolorize`, line: "\x1b[31mred\x1b[0m plain \x1b[1;32mbold\x1b[m", keep: true,
			wantLine: "red plain bold", want: `{app="api"}`},
		{name: "decolorize no escapes", pipeline: `| decolorize`, line: "plain", keep: true, want: `{app="api"}`},
	})
}

func TestCategories(t *testing.T) {
	p, err := NewPipeline(stagesOf(t, `| logfmt | label_format ns=namespace`))
	if err != nil {
		t.Fatal(err)
	}
	sp := p.ForStream(mustLabels("app", "api", "namespace", "prod"))
	_, lbs, keep := sp.Process(0, []byte(`level=info app=x`), mustLabels("trace_id", "t1"))
	if !keep {
		t.Fatal("dropped")
	}
	for _, c := range []struct{ name, got, want string }{
		{"stream", lbs.Stream.String(), `{app="api"}`},
		{"metadata", lbs.StructuredMetadata.String(), `{trace_id="t1"}`},
		{"parsed", lbs.Parsed.String(), `{app_extracted="x", level="info", ns="prod"}`},
		{"all", lbs.All.String(), `{app="api", app_extracted="x", level="info", ns="prod", trace_id="t1"}`},
	} {
		if c.got != c.want {
			t.Errorf("%s = %s, want %s", c.name, c.got, c.want)
		}
	}
	// An entry that changes nothing shares the stream's cached result.
	p2, _ := NewPipeline(stagesOf(t, `|= "a"`))
	sp2 := p2.ForStream(mustLabels("app", "api"))
	_, l1, _ := sp2.Process(0, []byte("a"), nil)
	_, l2, _ := sp2.Process(1, []byte("ab"), nil)
	if l1 != l2 || l1.Hash != mustLabels("app", "api").Hash() {
		t.Error("no-change entries should share the cached stream result")
	}
}
