package log

import (
	"math"
	"testing"

	"github.com/jetlog/jetlog/logql/syntax"
)

// unwrapOf parses a metric query and returns its stages and unwrap.
func unwrapOf(t testing.TB, q string) ([]syntax.Stage, *syntax.Unwrap) {
	t.Helper()
	e, err := syntax.ParseSampleExpr(q)
	if err != nil {
		t.Fatalf("parse %q: %v", q, err)
	}
	ra, ok := e.(*syntax.RangeAggregationExpr)
	if !ok {
		t.Fatalf("%q is %T", q, e)
	}
	return ra.Left.Left.Pipeline, ra.Left.Unwrap
}

func TestSampleExtractor(t *testing.T) {
	for _, tc := range []struct {
		name   string
		query  string
		mode   SampleMode
		line   string
		ok     bool
		value  float64
		labels string
	}{
		{name: "count", query: `count_over_time({a="b"} |= "x" [1m])`, mode: CountSamples, line: "xyz", ok: true, value: 1, labels: `{app="api"}`},
		{name: "count filtered", query: `count_over_time({a="b"} |= "q" [1m])`, mode: CountSamples, line: "xyz", ok: false},
		{name: "bytes after pipeline", query: `bytes_over_time({a="b"} | line_format "ab" [1m])`, mode: BytesSamples, line: "xyz long", ok: true, value: 2, labels: `{app="api"}`},
		{name: "unwrap float, label removed", query: `sum_over_time({a="b"} | logfmt | unwrap n [1m])`, mode: UnwrapSamples, line: "n=2.5 m=1", ok: true, value: 2.5, labels: `{app="api", m="1"}`},
		{name: "unwrap duration", query: `sum_over_time({a="b"} | logfmt | unwrap duration(d) [1m])`, mode: UnwrapSamples, line: "d=1m30s", ok: true, value: 90, labels: `{app="api"}`},
		{name: "unwrap duration_seconds", query: `sum_over_time({a="b"} | logfmt | unwrap duration_seconds(d) [1m])`, mode: UnwrapSamples, line: "d=250ms", ok: true, value: 0.25, labels: `{app="api"}`},
		{name: "unwrap bytes", query: `sum_over_time({a="b"} | logfmt | unwrap bytes(s) [1m])`, mode: UnwrapSamples, line: "s=2KiB", ok: true, value: 2048, labels: `{app="api"}`},
		{name: "conversion error kept", query: `sum_over_time({a="b"} | logfmt | unwrap n [1m])`, mode: UnwrapSamples, line: "n=abc", ok: true, value: 0,
			labels: `{__error__="SampleExtractionErr", __error_details__="strconv.ParseFloat: parsing \"abc\": invalid syntax", app="api"}`},
		{name: "conversion error dropped by post filter", query: `sum_over_time({a="b"} | logfmt | unwrap n | __error__="" [1m])`, mode: UnwrapSamples, line: "n=abc", ok: false},
		{name: "missing label gives no sample", query: `sum_over_time({a="b"} | logfmt | unwrap n [1m])`, mode: UnwrapSamples, line: "m=1", ok: false},
		{name: "conversion error overwrites an earlier error", query: `sum_over_time({a="b"} | logfmt | x > 1 | unwrap n [1m])`, mode: UnwrapSamples, line: "n=q x=y", ok: true, value: 0,
			labels: `{__error__="SampleExtractionErr", __error_details__="strconv.ParseFloat: parsing \"q\": invalid syntax", app="api", x="y"}`},
		{name: "unwrap stream label", query: `sum_over_time({a="b"} | unwrap app [1m])`, mode: UnwrapSamples, line: "x", ok: true, value: 0,
			labels: `{__error__="SampleExtractionErr", __error_details__="strconv.ParseFloat: parsing \"api\": invalid syntax"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stages, uw := unwrapOf(t, tc.query)
			se, err := NewSampleExtractor(stages, tc.mode, uw)
			if err != nil {
				t.Fatal(err)
			}
			sse := se.ForStream(mustLabels("app", "api"))
			for run := 0; run < 2; run++ {
				v, lbs, ok := sse.Process(0, []byte(tc.line), nil)
				if ok != tc.ok {
					t.Fatalf("ok = %v, want %v", ok, tc.ok)
				}
				if !ok {
					continue
				}
				if math.Abs(v-tc.value) > 1e-9 {
					t.Errorf("value = %v, want %v", v, tc.value)
				}
				if got := lbs.All.String(); got != tc.labels {
					t.Errorf("labels = %s, want %s", got, tc.labels)
				}
			}
		})
	}
}

func TestSampleExtractorBadInput(t *testing.T) {
	for _, c := range []struct {
		mode SampleMode
		uw   *syntax.Unwrap
	}{
		{UnwrapSamples, nil},
		{UnwrapSamples, &syntax.Unwrap{Label: "x", Conv: "nope"}},
		{UnwrapSamples, &syntax.Unwrap{Label: "x", PostFilters: []syntax.LabelFilter{&syntax.IPLabelFilter{Name: "a", CIDR: "bad"}}}},
		{SampleMode(9), nil},
	} {
		if _, err := NewSampleExtractor(nil, c.mode, c.uw); err == nil {
			t.Errorf("%+v: want error", c)
		}
	}
}
