package log

import (
	"testing"
)

func TestDropKeepDecolorize(t *testing.T) {
	runEntryCases(t, []entryCase{
		{name: "drop names", pipeline: `| logfmt | drop a, app`, line: `a=1 b=2`, keep: true, want: `{b="2"}`},
		{name: "drop matcher", pipeline: `| logfmt | drop a="1", b="9"`, line: `a=1 b=2`, keep: true, want: `{app="api", b="2"}`},
		{name: "drop error", pipeline: `| json | drop __error__, __error_details__`, line: `nope`, keep: true, want: `{app="api"}`},
		{name: "drop metadata", pipeline: `| drop trace_id`, metadata: mustLabels("trace_id", "t"), line: `x`, keep: true, want: `{app="api"}`},
		{name: "keep names", pipeline: `| logfmt | keep a`, metadata: mustLabels("trace_id", "t"), line: `a=1 b=2`, keep: true, want: `{a="1"}`},
		{name: "keep matcher", pipeline: `| logfmt | keep a="2", b`, line: `a=1 b=2`, keep: true, want: `{b="2"}`},
		{name: "keep never drops errors", pipeline: `| json | keep app`, line: `x`, keep: true,
			want: `{__error__="JSONParserErr", __error_details__="Value looks like object, but can't find closing '}' symbol", app="api"}`},
		{name: "decolorize", pipeline: `| decolorize`, line: "\x1b[31mred\x1b[0m plain \x1b[1;32mbold\x1b[m", keep: true,
			wantLine: "red plain bold", want: `{app="api"}`},
		{name: "decolorize no escapes", pipeline: `| decolorize`, line: "plain", keep: true, want: `{app="api"}`},
	})
}
