package log

import (
	"testing"
	"time"

	"github.com/jetlog/jetlog/logql/syntax"
)

func TestTemplateStringFuncs(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{trunc(2, "héllo"), "hé"},
		{trunc(-2, "héllo"), "lo"},
		{trunc(9, "hé"), "hé"},
		{substr(1, 3, "héllo"), "él"},
		{substr(-1, 2, "héllo"), "hé"},
		{substr(2, -1, "héllo"), "llo"},
		{substr(3, 1, "héllo"), ""},
		{alignLeft(4, "é"), "é   "},
		{alignLeft(2, "éàü"), "éà"},
		{alignRight(2, "éàü"), "àü"},
		{indent(2, "a\nb"), "  a\n  b"},
		{titleCase("hello big world"), "Hello Big World"},
		{titleCase("snake_case and-dash"), "Snake_case And-Dash"},
		{b64dec("!!"), "illegal base64 data at input byte 0"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

func TestUnixToTime(t *testing.T) {
	for in, want := range map[string]int64{
		"19373":               19373 * 86400 * 1e9,
		"1673798889":          1673798889e9,
		"1673798889902":       1673798889902e6,
		"1673798889902000":    1673798889902e6,
		"1673798889902000001": 1673798889902000001,
	} {
		got, err := unixToTime(in)
		if err != nil || got.UnixNano() != want {
			t.Errorf("unixToTime(%q) = %v, %v; want %v", in, got.UnixNano(), err, want)
		}
	}
	for _, bad := range []string{"123", "x", ""} {
		if _, err := unixToTime(bad); err == nil {
			t.Errorf("unixToTime(%q): want error", bad)
		}
	}
	if !toDate("2006-01-02", "bad").IsZero() {
		t.Error("toDate of a bad value should be the zero time")
	}
	if got := toDateInZone("2006-01-02", "Nowhere/Land", "2024-01-02"); !got.Equal(time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("toDateInZone unknown zone = %v", got)
	}
}

func TestLabelFormatSequence(t *testing.T) {
	runEntryCases(t, []entryCase{
		{name: "rename then template sees the rename", pipeline: `| logfmt | label_format b=a, c="{{.b}}"`, line: `a=1`, keep: true,
			want: `{app="api", b="1", c="1"}`},
		{name: "rename of a missing label does nothing", pipeline: `| label_format b=nope`, line: `x`, keep: true, want: `{app="api"}`},
		{name: "template error sets TemplateFormatErr", pipeline: "| label_format a=`{{ div 1 0 }}`", line: `x`, keep: true,
			want: `{__error__="TemplateFormatErr", __error_details__="template: label:1:3: executing \"label\" at <div 1 0>: error calling div: div: division by zero", app="api"}`},
	})
	if _, err := NewPipeline([]syntax.Stage{&syntax.LabelFormatStage{Ops: []syntax.LabelFmt{{Dst: "__error__", Value: "x"}}}}); err == nil {
		t.Error("formatting __error__: want error")
	}
}
