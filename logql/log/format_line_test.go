package log

import (
	"testing"
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
