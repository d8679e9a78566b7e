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
		// labels are all the entry's labels after the pipeline, so they show what was
		// extracted; result is what the extractor returns: the by labels, or all of them
		// with an error.
		labels, result string
	}{
		{name: "only needed labels are extracted", query: `count_over_time({a="b"} | logfmt | duration > 1500ms [1m])`, by: []string{"status"},
			line: "status=500 duration=2s path=/x msg=hello", ok: true, value: 1, labels: `{app="api", duration="2s", status="500"}`, result: `{status="500"}`},
		{name: "filter on an unextracted-looking label still works", query: `count_over_time({a="b"} | logfmt | duration > 1500ms [1m])`, by: []string{"status"},
			line: "status=500 duration=1s", ok: false},
		{name: "clash with stream label", query: `count_over_time({a="b"} | json [1m])`, by: []string{"app_extracted"},
			line: `{"app":"x","level":"info"}`, ok: true, value: 1, labels: `{app="api", app_extracted="x"}`, result: `{app_extracted="x"}`},
		{name: "templates disable hints", query: `count_over_time({a="b"} | logfmt | line_format "{{.msg}}" [1m])`, by: []string{"status"},
			line: "status=500 msg=hi", ok: true, value: 1, labels: `{app="api", msg="hi", status="500"}`, result: `{status="500"}`},
		{name: "unwrap label is extracted and removed", query: `sum_over_time({a="b"} | json | unwrap latency [1m])`, by: []string{"path"},
			line: `{"latency":"1.5","path":"/x","user":"u"}`, ok: true, value: 1.5, labels: `{app="api", path="/x"}`, result: `{path="/x"}`},
		{name: "errors survive", query: `count_over_time({a="b"} | json [1m])`, by: []string{"status"},
			line: `nope`, ok: true, value: 1, labels: `{__error__="JSONParserErr", __error_details__="Value looks like object, but can't find closing '}' symbol", app="api"}`,
			result: `{__error__="JSONParserErr", __error_details__="Value looks like object, but can't find closing '}' symbol", app="api"}`},
		{name: "by () with no label needed runs no parser", query: `count_over_time({a="b"} |= "o" | json | drop x [1m])`, by: []string{},
			line: `nope`, ok: true, value: 1, labels: `{app="api"}`, result: `{}`},
		{name: "by () with a label filter parses", query: `count_over_time({a="b"} | json | __error__!="" [1m])`, by: []string{},
			line: `nope`, ok: true, value: 1, labels: `{__error__="JSONParserErr", __error_details__="Value looks like object, but can't find closing '}' symbol", app="api"}`,
			result: `{__error__="JSONParserErr", __error_details__="Value looks like object, but can't find closing '}' symbol", app="api"}`},
		{name: "by labels from the stream and the line", query: `count_over_time({a="b"} | logfmt [1m])`, by: []string{"status", "missing", "app", "status"},
			line: "status=500", ok: true, value: 1, labels: `{app="api", status="500"}`, result: `{app="api", status="500"}`},
		{name: "an entry that changed nothing", query: `count_over_time({a="b"} |= "st" [1m])`, by: []string{"app", "missing"},
			line: "status=500", ok: true, value: 1, labels: `{app="api"}`, result: `{app="api"}`},
		{name: "an entry that changed nothing, by ()", query: `count_over_time({a="b"} |= "st" [1m])`, by: []string{},
			line: "status=500", ok: true, value: 1, labels: `{app="api"}`, result: `{}`},
		{name: "with hints the first value wins", query: `count_over_time({a="b"} | logfmt | duration > 1500ms [1m])`, by: []string{"status"},
			line: "status=500 status=200 duration=2s duration=1s", ok: true, value: 1, labels: `{app="api", duration="2s", status="500"}`, result: `{status="500"}`},
		{name: "logfmt clash with stream label", query: `count_over_time({a="b"} | logfmt [1m])`, by: []string{"app_extracted"},
			line: "level=info app=x app=y", ok: true, value: 1, labels: `{app="api", app_extracted="x"}`, result: `{app_extracted="x"}`},
		{name: "a parsed empty value is a label", query: `count_over_time({a="b"} | logfmt status [1m])`, by: []string{"status"},
			line: "duration=1s", ok: true, value: 1, labels: `{app="api", status=""}`, result: `{status=""}`},
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
			sse := se.ForStream(mustLabels("app", "api"))
			v, lbs, ok := sse.Process(0, []byte(tc.line), nil)
			if ok != tc.ok {
				t.Fatalf("ok = %v, want %v", ok, tc.ok)
			}
			if !ok {
				return
			}
			if v != tc.value || lbs.All.String() != tc.result {
				t.Errorf("got %v %s, want %v %s", v, lbs.All, tc.value, tc.result)
			}
			if all := sse.(*streamSampleExtractor).sp.b.result().All; all.String() != tc.labels {
				t.Errorf("entry labels %s, want %s", all, tc.labels)
			}
		})
	}
}
