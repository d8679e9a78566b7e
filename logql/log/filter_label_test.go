package log

import (
	"testing"
	"time"

	"github.com/jetlog/jetlog/logql/syntax"
)

func TestLabelFilters(t *testing.T) {
	runEntryCases(t, []entryCase{
		{name: "string eq", pipeline: `| logfmt | level="error"`, line: `level=error`, keep: true, want: `{app="api", level="error"}`},
		{name: "string eq miss", pipeline: `| logfmt | level="error"`, line: `level=info`, keep: false},
		{name: "regex", pipeline: `| logfmt | path=~"/api/.*"`, line: `path=/api/x`, keep: true, want: `{app="api", path="/api/x"}`},
		{name: "missing label equals empty", pipeline: `| logfmt | nope=""`, line: `a=1`, keep: true, want: `{a="1", app="api"}`},
		{name: "numeric", pipeline: `| logfmt | status >= 500`, line: `status=503`, keep: true, want: `{app="api", status="503"}`},
		{name: "numeric miss", pipeline: `| logfmt | status >= 500`, line: `status=200`, keep: false},
		{name: "numeric missing label dropped", pipeline: `| logfmt | status >= 500`, line: `a=1`, keep: false},
		{name: "numeric unparseable keeps with error", pipeline: `| logfmt | status > 1`, line: `status=abc`, keep: true,
			want: `{__error__="LabelFilterErr", __error_details__="strconv.ParseFloat: parsing \"abc\": invalid syntax", app="api", status="abc"}`},
		{name: "error label then filter out", pipeline: `| logfmt | status > 1 | __error__=""`, line: `status=abc`, keep: false},
		{name: "duration", pipeline: `| logfmt | dur > 900ms`, line: `dur=1.5s`, keep: true, want: `{app="api", dur="1.5s"}`},
		{name: "duration miss", pipeline: `| logfmt | dur > 900ms`, line: `dur=800ms`, keep: false},
		{name: "bytes", pipeline: `| logfmt | size > 150KB`, line: `size=1MiB`, keep: true, want: `{app="api", size="1MiB"}`},
		{name: "bytes miss", pipeline: `| logfmt | size > 150KB`, line: `size=140kb`, keep: false},
		{name: "ip label", pipeline: `| logfmt | addr = ip("10.0.0.0/8")`, line: `addr=10.2.3.4`, keep: true, want: `{addr="10.2.3.4", app="api"}`},
		{name: "not ip label", pipeline: `| logfmt | addr != ip("10.0.0.0/8")`, line: `addr=10.2.3.4`, keep: false},
		{name: "and", pipeline: `| logfmt | a="1" and b="2"`, line: `a=1 b=3`, keep: false},
		{name: "or", pipeline: `| logfmt | a="9" or b="3"`, line: `a=1 b=3`, keep: true, want: `{a="1", app="api", b="3"}`},
		{name: "tree", pipeline: `| logfmt | (a="1" or a="2") and b > 2`, line: `a=2 b=3`, keep: true, want: `{a="2", app="api", b="3"}`},
		{name: "stream label", pipeline: `| app="api"`, line: `x`, keep: true, want: `{app="api"}`},
		{name: "metadata label", pipeline: `| trace_id="t1"`, metadata: mustLabels("trace_id", "t1"), line: `x`, keep: true,
			want: `{app="api", trace_id="t1"}`},
	})
}

func TestParseBytes(t *testing.T) {
	for in, want := range map[string]uint64{"42": 42, "1KB": 1000, "1 KiB": 1024, "1.5mb": 1500000, "2GiB": 2 << 30, "10B": 10} {
		got, err := parseBytes(in)
		if err != nil || got != want {
			t.Errorf("parseBytes(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "KB", "1XB", "1e400KB"} {
		if _, err := parseBytes(bad); err == nil {
			t.Errorf("parseBytes(%q): want error", bad)
		}
	}
}

func TestLabelFilterBadInput(t *testing.T) {
	for _, f := range []syntax.LabelFilter{
		&syntax.IPLabelFilter{Name: "a", CIDR: "nope"},
		&syntax.StringLabelFilter{},
		&syntax.BinaryLabelFilter{Left: &syntax.IPLabelFilter{Name: "a", CIDR: "x"}, Right: &syntax.StringLabelFilter{}},
		nil,
	} {
		if _, err := NewPipeline([]syntax.Stage{&syntax.LabelFilterStage{Filter: f}}); err == nil {
			t.Errorf("%#v: want error", f)
		}
	}
}

func TestLabelFilterErrorPrecedence(t *testing.T) {
	runEntryCases(t, []entryCase{
		{name: "earlier error kept, filter still applies", pipeline: `| json | status > 1`, line: `status=abc`, keep: false},
		{name: "and evaluates both sides", pipeline: `| logfmt | a > 5 and b > 1`, line: `a=1 b=x`, keep: false},
		{name: "or stops at first success", pipeline: `| logfmt | a < 5 or b > 1`, line: `a=1 b=x`, keep: true, want: `{a="1", app="api", b="x"}`},
		{name: "or evaluates right on failure", pipeline: `| logfmt | a > 5 or b > 1`, line: `a=1 b=x`, keep: true,
			want: `{__error__="LabelFilterErr", __error_details__="strconv.ParseFloat: parsing \"x\": invalid syntax", a="1", app="api", b="x"}`},
	})
}

func TestMetadataClashingWithStream(t *testing.T) {
	runEntryCases(t, []entryCase{
		{name: "metadata named like a stream label gets _extracted", pipeline: `|= ""`,
			metadata: mustLabels("app", "m", "trace_id", "t"), line: `x`, keep: true,
			want: `{app="api", app_extracted="m", trace_id="t"}`},
	})
}

func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"1234ms", "0", "2s", "1.5s", "1h30m", "-3m", "+4us", "5µs", "6μs",
		"9223372036854ms", "999999999999999h", "10", "ms", "7d", "", "1e3ms", "0012ns"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, gotErr := parseDuration(s)
		want, wantErr := time.ParseDuration(s)
		if got != want || (gotErr == nil) != (wantErr == nil) || gotErr != nil && gotErr.Error() != wantErr.Error() {
			t.Errorf("parseDuration(%q) = %v, %v; time.ParseDuration: %v, %v", s, got, gotErr, want, wantErr)
		}
	})
}
