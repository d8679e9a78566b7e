package log

import (
	"testing"

	"github.com/jetlog/jetlog/logql/syntax"
)

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
