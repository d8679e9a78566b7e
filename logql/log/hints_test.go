package log

import (
	"testing"
)

func TestGroupedSampleExtractor(t *testing.T) {
	for _, tc := range []struct {
		name, query string
		by          []string
		line        string
		ok          bool
		value       float64
		labels      string
	}{
		{name: "only needed labels are extracted", query: `count_over_time({a="b"} | logfmt | duration > 1500ms [1m])`, by: []string{"status"},
			line: "status=500 duration=2s path=/x msg=hello", ok: true, value: 1, labels: `{app="api", duration="2s", status="500"}`},
		{name: "filter on an unextracted-looking label still works", query: `count_over_time({a="b"} | logfmt | duration > 1500ms [1m])`, by: []string{"status"},
			line: "status=500 duration=1s", ok: false},
		{name: "clash with stream label", query: `count_over_time({a="b"} | json [1m])`, by: []string{"app_extracted"},
			line: `{"app":"x","level":"info"}`, ok: true, value: 1, labels: `{app="api", app_extracted="x"}`},
		{name: "templates disable hints", query: `count_over_time({a="b"} | logfmt | line_format "{{.msg}}" [1m])`, by: []string{"status"},
			line: "status=500 msg=hi", ok: true, value: 1, labels: `{app="api", msg="hi", status="500"}`},
		{name: "unwrap label is extracted and removed", query: `sum_over_time({a="b"} | json | unwrap latency [1m])`, by: []string{"path"},
			line: `{"latency":"1.5","path":"/x","user":"u"}`, ok: true, value: 1.5, labels: `{app="api", path="/x"}`},
		{name: "errors survive", query: `count_over_time({a="b"} | json [1m])`, by: []string{},
			line: `nope`, ok: true, value: 1, labels: `{__error__="JSONParserErr", __error_details__="Value looks like object, but can't find closing '}' symbol", app="api"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stages, uw := unwrapOf(t, tc.query)
			mode := CountSamples
			if uw != nil {
				mode = UnwrapSamples
			}
			se, err := NewGroupedSampleExtractor(stages, mode, uw, tc.by)
			if err != nil {
				t.Fatal(err)
			}
			v, lbs, ok := se.ForStream(mustLabels("app", "api")).Process(0, []byte(tc.line), nil)
			if ok != tc.ok {
				t.Fatalf("ok = %v, want %v", ok, tc.ok)
			}
			if !ok {
				return
			}
			if v != tc.value || lbs.All.String() != tc.labels {
				t.Errorf("got %v %s, want %v %s", v, lbs.All, tc.value, tc.labels)
			}
		})
	}
}
