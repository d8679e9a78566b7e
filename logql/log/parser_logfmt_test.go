package log

import (
	"testing"

	"github.com/jetlog/jetlog/schemas/labels"
)

func TestLogfmtParser(t *testing.T) {
	runEntryCases(t, []entryCase{
		{name: "pairs", pipeline: `| logfmt`, line: `level=info msg="hello \"world\"" dur=1.5s app=x`, keep: true,
			want:   `{app="api", app_extracted="x", dur="1.5s", level="info", msg="hello \"world\""}`,
			parsed: `{app_extracted="x", dur="1.5s", level="info", msg="hello \"world\""}`},
		{name: "bare key and empty values dropped", pipeline: `| logfmt`, line: `a b= c=1`, keep: true,
			want: `{app="api", c="1"}`},
		{name: "keep empty", pipeline: `| logfmt --keep-empty | b=""`, line: `a b= c=1`, keep: true,
			want: `{a="", app="api", b="", c="1"}`},
		{name: "sanitised keys", pipeline: `| logfmt`, line: `a.b=1 1x=2 k-y=3`, keep: true,
			want: `{_1x="2", a_b="1", app="api", k_y="3"}`},
		{name: "lenient skips junk", pipeline: `| logfmt`, line: `=x a=1 b="unterminated`, keep: true,
			want: `{a="1", app="api"}`},
		{name: "strict errors", pipeline: `| logfmt --strict`, line: `a=1 =x`, keep: true,
			want: `{__error__="LogfmtParserErr", __error_details__="logfmt syntax error at pos 5 : unexpected '='", a="1", app="api"}`},
		{name: "strict unterminated", pipeline: `| logfmt --strict | __error__!=""`, line: `a="x`, keep: true,
			want: `{__error__="LogfmtParserErr", __error_details__="logfmt syntax error at pos 5 : unterminated quoted value", app="api"}`},
		{name: "params", pipeline: `| logfmt lvl="level", msg`, line: `level=warn msg=hi other=1`, keep: true,
			want: `{app="api", lvl="warn", msg="hi"}`},
		{name: "duplicate key last wins", pipeline: `| logfmt`, line: `a=1 a=2`, keep: true,
			want: `{a="2", app="api"}`},
	})
}

func FuzzLogfmtParser(f *testing.F) {
	for _, s := range []string{`a=1 b="x y" c`, `=`, `a="\u00e9\"`, `k=v=w "q"=1`, ""} {
		f.Add([]byte(s))
	}
	lenient, err1 := NewPipeline(stagesOf(f, `| logfmt`))
	strict, err2 := NewPipeline(stagesOf(f, `| logfmt --strict --keep-empty`))
	if err1 != nil || err2 != nil {
		f.Fatal(err1, err2)
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		orig := string(line)
		for _, p := range []Pipeline{lenient, strict} {
			p.ForStream(labels.FromStrings("app", "x")).Process(0, line, nil)
		}
		if string(line) != orig {
			t.Fatal("line modified")
		}
	})
}

func TestLogfmtStrictErrors(t *testing.T) {
	runEntryCases(t, []entryCase{
		{name: "equals in value", pipeline: `| logfmt --strict`, line: `a=b=c`, keep: true,
			want: `{__error__="LogfmtParserErr", __error_details__="logfmt syntax error at pos 4 : unexpected '='", app="api"}`},
		{name: "quote in key", pipeline: `| logfmt --strict`, line: `a"b=1`, keep: true,
			want: `{__error__="LogfmtParserErr", __error_details__="logfmt syntax error at pos 2 : unexpected '\"'", app="api"}`},
		{name: "bad escape", pipeline: `| logfmt --strict`, line: `a="\q"`, keep: true,
			want: `{__error__="LogfmtParserErr", __error_details__="logfmt syntax error at pos 7 : invalid quoted value", app="api"}`},
		{name: "lenient skips the bad pair only", pipeline: `| logfmt`, line: `a=b=c d=1`, keep: true, want: `{app="api", d="1"}`},
	})
}
