package querier

import (
	"encoding/json"
	"net/http"
	"reflect"
	"testing"

	"github.com/jetlog/jetlog/logql"
	"github.com/jetlog/jetlog/schemas/labels"
)

func TestValueType(t *testing.T) {
	f := func(v, want string) {
		t.Helper()
		if got := valueType(v); got != want {
			t.Fatalf("valueType(%q) = %s, want %s", v, got, want)
		}
	}
	f("true", typeBoolean)
	f("false", typeBoolean)
	f("TRUE", typeBoolean)
	f("1", typeInt) // ints are tried before booleans
	f("200", typeInt)
	f("-3", typeInt)
	f("1.31", typeFloat)
	f("1e3", typeFloat)
	f("1.42s", typeDuration)
	f("789ms", typeDuration)
	f("1h30m", typeDuration)
	f("10KB", typeBytes)
	f("1.5MiB", typeBytes)
	f("GET", typeString)
	f("", typeString)
	f("/v1/orders", typeString)
}

func TestRejectLabel(t *testing.T) {
	f := func(want bool, values ...string) {
		t.Helper()
		if got := rejectLabel(values); got != want {
			t.Fatalf("rejectLabel(%q) = %v, want %v", values, got, want)
		}
	}
	f(true)
	f(true, "12", "13", "14")
	f(true, "1.5", "7")
	f(true, "123e4567-e89b-12d3-a456-426614174000", "42")
	f(true, "{123e4567-e89b-12d3-a456-426614174000}", "urn:uuid:123e4567-e89b-12d3-a456-426614174000", "123e4567e89b12d3a456426614174000")
	f(false, "0", "1")
	f(false, "1")
	f(false, "api", "12")
	f(false, "123e4567-e89b-12d3-a456-42661417400g")
	f(true, "0", "1", "2")
}

func TestParseLogfmt(t *testing.T) {
	f := func(line string, want ...[2]string) {
		t.Helper()
		got := parseLogfmt(line)
		if len(got) == 0 && len(want) == 0 {
			return
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("parseLogfmt(%q) = %q, want %q", line, got, want)
		}
	}
	f(`level=info msg="template rendered" status=200`, [2]string{"level", "info"}, [2]string{"msg", "template rendered"}, [2]string{"status", "200"})
	f(`a= b=1`, [2]string{"a", ""}, [2]string{"b", "1"})
	f(`plain text line`)
	f(`caller=handler.go:42 x-y=1`, [2]string{"caller", "handler.go:42"}, [2]string{"x_y", "1"})
	f(`msg="unterminated`)
	f(`q="a \"b\""`, [2]string{"q", `a "b"`})
	f(`=v k=v`, [2]string{"k", "v"})
}

func TestDetectedFields(t *testing.T) {
	ts := newTestServer(t, nil)
	ts.eng.result = func(p logql.Params) logql.Result {
		return logql.Result{Type: logql.ResultStreams, Value: logql.Streams{
			{Labels: labels.FromStrings("app", "api"), Entries: []logql.Entry{
				{Timestamp: 3, Line: `{"level":"info","status":200,"latency_ms":1.31,"req":{"method":"GET"}}`, StructuredMetadata: labels.FromStrings("trace_id", "t1")},
				{Timestamp: 2, Line: `{"level":"error","status":500,"latency_ms":2,"req":{"method":"POST"}}`, StructuredMetadata: labels.FromStrings("trace_id", "t2")},
			}},
			{Labels: labels.FromStrings("app", "web"), Entries: []logql.Entry{
				{Timestamp: 1, Line: `level=warn duration=1.42s bytes=10KB ok=true`,
					Parsed: labels.FromStrings("__error__", "JSONParserErr", "caller", "h.go")},
				{Timestamp: 0, Line: `just words`, Parsed: labels.FromStrings("caller", "main.go")},
			}},
		}}
	}
	resp := ts.get(t, "acme", "/loki/api/v1/detected_fields", vals("query", `{app=~"api|web"}`, "line_limit", "50"))
	if resp.status != http.StatusOK {
		t.Fatalf("%d %s", resp.status, resp.body)
	}
	p := ts.eng.last(t)
	if p.Limit != 50 || !p.CategorizeLabels || p.Direction != logql.Backward {
		t.Fatalf("detected_fields query params %+v", p)
	}
	type field struct {
		Label       string   `json:"label"`
		Type        string   `json:"type"`
		Cardinality int      `json:"cardinality"`
		Parsers     []string `json:"parsers"`
		JSONPath    []string `json:"jsonPath"`
	}
	var body struct {
		Fields []field `json:"fields"`
		Limit  int     `json:"limit"`
	}
	if err := json.Unmarshal([]byte(resp.body), &body); err != nil {
		t.Fatal(err)
	}
	want := []field{
		{"bytes", typeBytes, 1, []string{"logfmt"}, nil},
		{"caller", typeString, 2, []string{"logfmt"}, nil},
		{"duration", typeDuration, 1, []string{"logfmt"}, nil},
		{"latency_ms", typeFloat, 2, []string{"json"}, []string{"latency_ms"}},
		{"level", typeString, 3, []string{"json", "logfmt"}, []string{"level"}},
		{"ok", typeBoolean, 1, []string{"logfmt"}, nil},
		{"req_method", typeString, 2, []string{"json"}, []string{"req", "method"}},
		{"status", typeInt, 2, []string{"json"}, []string{"status"}},
		{"trace_id", typeString, 2, nil, nil},
	}
	if !reflect.DeepEqual(body.Fields, want) || body.Limit != 1000 {
		t.Fatalf("fields\n got %+v\nwant %+v (limit %d)", body.Fields, want, body.Limit)
	}

	resp = ts.get(t, "acme", "/loki/api/v1/detected_field/level/values", vals("query", `{app=~"api|web"}`))
	if resp.status != http.StatusOK || resp.body != `{"values":["error","info","warn"],"limit":1000}` {
		t.Fatalf("field values: %d %s", resp.status, resp.body)
	}
	resp = ts.get(t, "acme", "/loki/api/v1/detected_fields", vals("query", `{app=~"api|web"}`, "field_limit", "2"))
	if err := json.Unmarshal([]byte(resp.body), &body); err != nil || len(body.Fields) != 2 || body.Limit != 2 {
		t.Fatalf("field_limit: %v %s", err, resp.body)
	}
	for _, params := range [][]string{{}, {"query", `{app="api"}`, "line_limit", "x"}, {"query", `{app="api"`}} {
		if resp := ts.get(t, "acme", "/loki/api/v1/detected_fields", vals(params...)); resp.status != http.StatusBadRequest {
			t.Fatalf("%v: status %d %s", params, resp.status, resp.body)
		}
	}
}

func TestDetectedLabels(t *testing.T) {
	ts := newTestServer(t, nil)
	seedMeta(ts)
	// ID-like labels are left out, unless Loki counts them as static (pod).
	ts.meta.streams["acme"] = append(ts.meta.streams["acme"],
		fakeStream{labels.FromStrings("app", "api", "namespace", "prod", "pod", "7", "request_id", "123e4567-e89b-12d3-a456-426614174000"), []int64{t0 + 9}},
		fakeStream{labels.FromStrings("app", "api", "namespace", "prod", "pod", "8", "request_id", "4711"), []int64{t0 + 9}})
	resp := ts.get(t, "acme", "/loki/api/v1/detected_labels", vals("query", `{namespace="prod"}`, "start", "1795168800", "end", "1795172400"))
	want := `{"detectedLabels":[{"label":"app","cardinality":2},{"label":"namespace","cardinality":1},{"label":"pod","cardinality":5},{"label":"service_name","cardinality":2}]}`
	if resp.status != http.StatusOK || resp.body != want {
		t.Fatalf("got %d %s\nwant %s", resp.status, resp.body, want)
	}
}
