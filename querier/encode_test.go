package querier

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"os"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jetlog/jetlog/logql"
	"github.com/jetlog/jetlog/schemas/labels"
)

// lokiAnswer is one recorded answer of Loki 3.7 (testdata/loki_answers.json, a subset of
// the conformance kit's answers.json).
type lokiAnswer struct {
	Status int             `json:"status"`
	Body   json.RawMessage `json:"body"`
}

func loadAnswers(t *testing.T) map[string]lokiAnswer {
	t.Helper()
	b, err := os.ReadFile("testdata/loki_answers.json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]lokiAnswer
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// decodeGeneric decodes JSON keeping numbers as written.
func decodeGeneric(t *testing.T, b []byte) any {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatalf("decode %q: %v", truncate(string(b)), err)
	}
	return v
}

func truncate(s string) string {
	if len(s) > 300 {
		return s[:300] + "..."
	}
	return s
}

// resultFromLoki turns Loki's data.result back into the engine's types, so that serving it
// through the API must reproduce Loki's bytes-for-meaning.
func resultFromLoki(t *testing.T, body json.RawMessage) logql.Result {
	t.Helper()
	var env struct {
		Data struct {
			ResultType string          `json:"resultType"`
			Result     json.RawMessage `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		t.Fatal(err)
	}
	ms := func(n json.Number) int64 {
		f, err := n.Float64()
		if err != nil {
			t.Fatal(err)
		}
		return int64(math.Round(f * 1000))
	}
	val := func(s string) float64 {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	dec := func(v any) {
		d := json.NewDecoder(bytes.NewReader(env.Data.Result))
		d.UseNumber()
		if err := d.Decode(v); err != nil {
			t.Fatal(err)
		}
	}
	res := logql.Result{Type: logql.ResultType(env.Data.ResultType)}
	switch res.Type {
	case logql.ResultVector:
		var in []struct {
			Metric map[string]string `json:"metric"`
			Value  [2]any            `json:"value"`
		}
		dec(&in)
		var v logql.Vector
		for _, s := range in {
			v = append(v, logql.Sample{Metric: labels.FromMap(s.Metric), T: ms(s.Value[0].(json.Number)), V: val(s.Value[1].(string))})
		}
		res.Value = v
	case logql.ResultMatrix:
		var in []struct {
			Metric map[string]string `json:"metric"`
			Values [][2]any          `json:"values"`
		}
		dec(&in)
		var m logql.Matrix
		for _, s := range in {
			ser := logql.Series{Metric: labels.FromMap(s.Metric)}
			for _, p := range s.Values {
				ser.Points = append(ser.Points, logql.Point{T: ms(p[0].(json.Number)), V: val(p[1].(string))})
			}
			m = append(m, ser)
		}
		res.Value = m
	case logql.ResultStreams:
		var in []struct {
			Stream map[string]string `json:"stream"`
			Values [][2]string       `json:"values"`
		}
		dec(&in)
		var ss logql.Streams
		for _, s := range in {
			st := logql.Stream{Labels: labels.FromMap(s.Stream)}
			for _, e := range s.Values {
				ts, err := strconv.ParseInt(e[0], 10, 64)
				if err != nil {
					t.Fatal(err)
				}
				st.Entries = append(st.Entries, logql.Entry{Timestamp: ts, Line: e[1]})
			}
			ss = append(ss, st)
		}
		res.Value = ss
	default:
		t.Fatalf("unexpected result type %q", res.Type)
	}
	return res
}

// keyTree reduces a decoded JSON object to its structure: nested objects by key, leaves by
// JSON kind, so that two stats objects compare equal when they have the same fields.
func keyTree(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			out[k] = keyTree(e)
		}
		return out
	case json.Number:
		return "number"
	case bool:
		return "bool"
	case string:
		return "string"
	default:
		return reflect.TypeOf(v).String()
	}
}

// TestEnvelopesMatchLoki serves Loki's recorded results through the API and compares the
// responses with Loki's bodies field by field: status, resultType, the result exactly, and
// data.stats having Loki's full structure.
func TestEnvelopesMatchLoki(t *testing.T) {
	answers := loadAnswers(t)
	cases := []struct {
		name, path string
		params     []string
	}{
		{"instant_sum", "/loki/api/v1/query", []string{"query", `sum by (app) (count_over_time({namespace="prod"}[1h]))`, "time", "1795172400"}},
		{"binary_ratio", "/loki/api/v1/query_range", []string{"query", `sum(count_over_time({app="api"} |= "error" [5m])) / sum(count_over_time({app="api"}[5m]))`, "start", "1795168800", "end", "1795172400", "step", "300"}},
		{"selector_eq_forward_limit", "/loki/api/v1/query_range", []string{"query", `{app="api", pod="api-1"}`, "start", "1795168800", "end", "1795172400", "limit", "150", "direction", "forward"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ans, ok := answers[c.name]
			if !ok {
				t.Fatalf("no answer %q", c.name)
			}
			ts := newTestServer(t, nil)
			res := resultFromLoki(t, ans.Body)
			res.Stats = logql.Stats{TotalBytesProcessed: 1000, TotalLinesProcessed: 10, ExecTimeSeconds: 0.5}
			ts.eng.result = func(logql.Params) logql.Result { return res }
			resp := ts.get(t, "acme", c.path, vals(c.params...))
			if resp.status != ans.Status {
				t.Fatalf("status %d, want %d: %s", resp.status, ans.Status, resp.body)
			}
			if ct := resp.header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
				t.Fatalf("content type %q", ct)
			}
			got := decodeGeneric(t, []byte(resp.body)).(map[string]any)
			want := decodeGeneric(t, ans.Body).(map[string]any)
			if got["status"] != want["status"] {
				t.Fatalf("status field %v, want %v", got["status"], want["status"])
			}
			gd, wd := got["data"].(map[string]any), want["data"].(map[string]any)
			if len(gd) != len(wd) {
				t.Fatalf("data keys %v, want %v", keysOf(gd), keysOf(wd))
			}
			if gd["resultType"] != wd["resultType"] {
				t.Fatalf("resultType %v, want %v", gd["resultType"], wd["resultType"])
			}
			if !reflect.DeepEqual(gd["result"], wd["result"]) {
				gb, _ := json.Marshal(gd["result"])
				wb, _ := json.Marshal(wd["result"])
				t.Fatalf("result differs:\n got %s\nwant %s", truncate(string(gb)), truncate(string(wb)))
			}
			if gt, wt := keyTree(gd["stats"]), keyTree(wd["stats"]); !reflect.DeepEqual(gt, wt) {
				gb, _ := json.Marshal(gt)
				wb, _ := json.Marshal(wt)
				t.Fatalf("stats structure differs:\n got %s\nwant %s", gb, wb)
			}
			summary := gd["stats"].(map[string]any)["summary"].(map[string]any)
			if summary["totalBytesProcessed"] != json.Number("1000") || summary["bytesProcessedPerSecond"] != json.Number("2000") ||
				summary["linesProcessedPerSecond"] != json.Number("20") || summary["execTime"] != json.Number("0.5") {
				t.Fatalf("summary not filled from the engine's stats: %v", summary)
			}
		})
	}
}

func keysOf(m map[string]any) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func TestEncodeValues(t *testing.T) {
	f := func(v float64, want string) {
		t.Helper()
		if got := string(appendValue(nil, v)); got != want {
			t.Fatalf("appendValue(%v) = %s, want %s", v, got, want)
		}
	}
	f(6000, `"6000"`)
	f(1.0/60, `"0.016666666666666666"`)
	f(math.NaN(), `"NaN"`)
	f(math.Inf(1), `"+Inf"`)
	f(math.Inf(-1), `"-Inf"`)
	f(-0.5, `"-0.5"`)
	f(1e21, `"1000000000000000000000"`)
	f(0, `"0"`)

	g := func(ms int64, want string) {
		t.Helper()
		if got := string(appendMillis(nil, ms)); got != want {
			t.Fatalf("appendMillis(%d) = %s, want %s", ms, got, want)
		}
	}
	g(1795169100000, "1795169100")
	g(1795169100500, "1795169100.500")
	g(1795169100005, "1795169100.005")
	g(1795169100050, "1795169100.050")
	g(-1500, "-1.500")
	g(0, "0")
}

func TestScalarAndCategorizedEncoding(t *testing.T) {
	ts := newTestServer(t, nil)
	ts.eng.result = func(logql.Params) logql.Result {
		return logql.Result{Type: logql.ResultScalar, Value: logql.Scalar{T: 1795172400000, V: 2}}
	}
	resp := ts.get(t, "acme", "/loki/api/v1/query", vals("query", "vector(1)+vector(1)"))
	want := `{"status":"success","data":{"resultType":"scalar","result":[1795172400,"2"],"stats":`
	if resp.status != http.StatusOK || len(resp.body) < len(want) || resp.body[:len(want)] != want {
		t.Fatalf("scalar response %d %s", resp.status, truncate(resp.body))
	}

	ts.eng.result = func(p logql.Params) logql.Result {
		if !p.CategorizeLabels {
			t.Errorf("CategorizeLabels not passed to the engine")
		}
		return logql.Result{Type: logql.ResultStreams, Value: logql.Streams{{
			Labels: labels.FromStrings("app", "api"),
			Entries: []logql.Entry{
				{Timestamp: 2, Line: "b", StructuredMetadata: labels.FromStrings("trace_id", "t1"), Parsed: labels.FromStrings("level", "info")},
				{Timestamp: 1, Line: "a"},
			},
		}}}
	}
	resp = ts.get(t, "acme", "/loki/api/v1/query_range", vals("query", `{app="api"} | json`), encodingFlagsHeader, "categorize-labels")
	var body struct {
		Data struct {
			Result []struct {
				Stream map[string]string `json:"stream"`
				Values [][]any           `json:"values"`
			} `json:"result"`
			EncodingFlags []string `json:"encodingFlags"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(resp.body), &body); err != nil {
		t.Fatalf("%v: %s", err, resp.body)
	}
	if !reflect.DeepEqual(body.Data.EncodingFlags, []string{"categorize-labels"}) {
		t.Fatalf("encodingFlags %v", body.Data.EncodingFlags)
	}
	vs := body.Data.Result[0].Values
	want0 := []any{"2", "b", map[string]any{"structuredMetadata": map[string]any{"trace_id": "t1"}, "parsed": map[string]any{"level": "info"}}}
	want1 := []any{"1", "a", map[string]any{}}
	if !reflect.DeepEqual(vs[0], want0) || !reflect.DeepEqual(vs[1], want1) {
		t.Fatalf("categorized values %v", vs)
	}
	// Without the header: two-element values and no encodingFlags.
	ts.eng.result = func(logql.Params) logql.Result {
		return logql.Result{Type: logql.ResultStreams, Value: logql.Streams{{Labels: labels.FromStrings("app", "api"), Entries: []logql.Entry{{Timestamp: 1, Line: "a"}}}}}
	}
	resp = ts.get(t, "acme", "/loki/api/v1/query_range", vals("query", `{app="api"}`))
	if want := `{"status":"success","data":{"resultType":"streams","result":[{"stream":{"app":"api"},"values":[["1","a"]]}],"stats":`; resp.body[:len(want)] != want {
		t.Fatalf("plain streams %s", truncate(resp.body))
	}
	if bytes.Contains([]byte(resp.body), []byte("encodingFlags")) {
		t.Fatal("encodingFlags without the header")
	}
}

// TestLargeStreamsResult checks the streamed encoder on a result bigger than its buffer.
func TestLargeStreamsResult(t *testing.T) {
	ts := newTestServer(t, nil)
	var entries []logql.Entry
	for i := range 5000 {
		entries = append(entries, logql.Entry{Timestamp: int64(5000 - i), Line: "line \"quoted\" \\ tab\t ünïcödé " + strconv.Itoa(i)})
	}
	ts.eng.result = func(logql.Params) logql.Result {
		return logql.Result{Type: logql.ResultStreams, Value: logql.Streams{{Labels: labels.FromStrings("app", "x"), Entries: entries}}}
	}
	resp := ts.get(t, "acme", "/loki/api/v1/query_range", vals("query", `{app="x"}`, "limit", "5000"))
	var body struct {
		Data struct {
			Result []struct {
				Values [][2]string `json:"values"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(resp.body), &body); err != nil {
		t.Fatal(err)
	}
	got := body.Data.Result[0].Values
	if len(got) != 5000 {
		t.Fatalf("%d values", len(got))
	}
	for i, v := range got {
		if v[0] != strconv.Itoa(5000-i) || v[1] != entries[i].Line {
			t.Fatalf("value %d = %v", i, v)
		}
	}
}

// TestCompressedResponse checks gzip for clients that ask for it, and plain bodies otherwise.
func TestCompressedResponse(t *testing.T) {
	ts := newTestServer(t, nil)
	entries := make([]logql.Entry, 500)
	for i := range entries {
		entries[i] = logql.Entry{Timestamp: int64(1000 - i), Line: "level=info msg=\"request served\" path=/v1/orders"}
	}
	ts.eng.result = func(logql.Params) logql.Result {
		return logql.Result{Type: logql.ResultStreams, Value: logql.Streams{{Labels: labels.FromStrings("app", "api"), Entries: entries}}}
	}
	params := vals("query", `{app="api"}`, "limit", "500")
	gz := ts.get(t, "acme", "/loki/api/v1/query_range", params, "Accept-Encoding", "gzip")
	if gz.header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("no gzip: headers %v", gz.header)
	}
	zr, err := gzip.NewReader(strings.NewReader(gz.body))
	if err != nil {
		t.Fatal(err)
	}
	plainGz, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	plain := ts.get(t, "acme", "/loki/api/v1/query_range", params, "Accept-Encoding", "identity")
	if plain.header.Get("Content-Encoding") != "" {
		t.Fatalf("identity request got %q", plain.header.Get("Content-Encoding"))
	}
	// The bodies differ only in the measured execution time inside data.stats.
	result := func(body string) string { return body[:strings.Index(body, `,"stats":`)] }
	if result(string(plainGz)) != result(plain.body) || len(gz.body) >= len(plain.body)/4 {
		t.Fatalf("gzip body %d bytes decodes to %d bytes, plain %d bytes", len(gz.body), len(plainGz), len(plain.body))
	}
}

func TestFillStats(t *testing.T) {
	f := func(res logql.Result, want int64) {
		t.Helper()
		fillStats(&res, 250*time.Millisecond)
		if res.Stats.TotalEntriesReturned != want || res.Stats.ExecTimeSeconds != 0.25 {
			t.Fatalf("%s: stats %+v, want %d entries and 0.25s", res.Type, res.Stats, want)
		}
	}
	ls := labels.FromStrings("a", "b")
	f(logql.Result{Type: logql.ResultStreams, Value: logql.Streams{{Labels: ls, Entries: make([]logql.Entry, 3)}, {Labels: ls, Entries: make([]logql.Entry, 2)}}}, 5)
	f(logql.Result{Type: logql.ResultMatrix, Value: logql.Matrix{{Metric: ls}}}, 1)
	f(logql.Result{Type: logql.ResultVector, Value: logql.Vector{{Metric: ls}, {Metric: ls}}}, 2)
	f(logql.Result{Type: logql.ResultScalar, Value: logql.Scalar{}}, 1)
	// The engine's own figures win.
	res := logql.Result{Type: logql.ResultVector, Value: logql.Vector{}, Stats: logql.Stats{TotalEntriesReturned: 7, ExecTimeSeconds: 1}}
	fillStats(&res, time.Second*3)
	if res.Stats.TotalEntriesReturned != 7 || res.Stats.ExecTimeSeconds != 1 {
		t.Fatalf("engine stats overwritten: %+v", res.Stats)
	}
}
