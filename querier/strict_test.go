package querier

import (
	"bytes"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/jetlog/jetlog/logql"
	"github.com/jetlog/jetlog/schemas/labels"
)

// The types below are written from Loki's HTTP API documentation (docs/sources/reference/
// loki-http-api.md), not from this package's encoder. Every pointer field is required:
// requireFields fails on a nil one; a slice or map field may be empty but must be present
// when it is a pointer too.

type docStatsSummary struct {
	BytesProcessedPerSecond *int64   `json:"bytesProcessedPerSecond"`
	LinesProcessedPerSecond *int64   `json:"linesProcessedPerSecond"`
	TotalBytesProcessed     *int64   `json:"totalBytesProcessed"`
	TotalLinesProcessed     *int64   `json:"totalLinesProcessed"`
	ExecTime                *float64 `json:"execTime"`
	QueueTime               *float64 `json:"queueTime"`
	Subqueries              *int64   `json:"subqueries"`
	TotalEntriesReturned    *int64   `json:"totalEntriesReturned"`
	Splits                  *int64   `json:"splits"`
	Shards                  *int64   `json:"shards"`
	TotalPostFilterLines    *int64   `json:"totalPostFilterLines"`
	TotalStructuredMetadata *int64   `json:"totalStructuredMetadataBytesProcessed"`
}

type docStats struct {
	Summary  *docStatsSummary `json:"summary"`
	Querier  *json.RawMessage `json:"querier"`
	Ingester *json.RawMessage `json:"ingester"`
	Cache    *json.RawMessage `json:"cache"`
	Index    *json.RawMessage `json:"index"`
}

type docStream struct {
	Stream *map[string]string `json:"stream"`
	Values *[][]any           `json:"values"`
}

type docSeries struct {
	Metric *map[string]string `json:"metric"`
	Values *[][2]any          `json:"values"`
}

type docSample struct {
	Metric *map[string]string `json:"metric"`
	Value  *[2]any            `json:"value"`
}

type docQueryResponse[R any] struct {
	Status *string `json:"status"`
	Data   *struct {
		ResultType    *string   `json:"resultType"`
		Result        *R        `json:"result"`
		Stats         *docStats `json:"stats"`
		EncodingFlags []string  `json:"encodingFlags"` // only with categorize-labels
	} `json:"data"`
}

type docStringsResponse struct {
	Status *string   `json:"status"`
	Data   *[]string `json:"data"`
}

type docSeriesResponse struct {
	Status *string              `json:"status"`
	Data   *[]map[string]string `json:"data"`
}

type docIndexStats struct {
	Streams *int64 `json:"streams"`
	Chunks  *int64 `json:"chunks"`
	Bytes   *int64 `json:"bytes"`
	Entries *int64 `json:"entries"`
}

type docDetectedFields struct {
	Fields *[]struct {
		Label       *string  `json:"label"`
		Type        *string  `json:"type"`
		Cardinality *uint64  `json:"cardinality"`
		Parsers     []string `json:"parsers"` // null for structured metadata
		JSONPath    []string `json:"jsonPath"`
	} `json:"fields"`
	Limit *uint32 `json:"limit"`
}

type docDetectedFieldValues struct {
	Values *[]string `json:"values"`
	Limit  *uint32   `json:"limit"`
}

type docDetectedLabels struct {
	DetectedLabels *[]struct {
		Label       *string `json:"label"`
		Cardinality *uint64 `json:"cardinality"`
	} `json:"detectedLabels"`
}

type docPatterns struct {
	Status *string `json:"status"`
	Data   *[]struct {
		Pattern *string     `json:"pattern"`
		Samples *[][2]int64 `json:"samples"`
	} `json:"data"`
}

type docFormatQuery struct {
	Status *string `json:"status"`
	Data   *string `json:"data"`
}

type docBuildInfo struct {
	Version   *string `json:"version"`
	Revision  *string `json:"revision"`
	Branch    *string `json:"branch"`
	BuildUser *string `json:"buildUser"`
	BuildDate *string `json:"buildDate"`
	GoVersion *string `json:"goVersion"`
}

// requireFields fails when a pointer field anywhere in v is nil: the field was missing.
func requireFields(t *testing.T, path string, v reflect.Value) {
	t.Helper()
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			t.Fatalf("required field %s missing", path)
		}
		requireFields(t, path, v.Elem())
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			f := v.Type().Field(i)
			name := strings.Split(f.Tag.Get("json"), ",")[0]
			requireFields(t, path+"."+name, v.Field(i))
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			requireFields(t, path+"[]", v.Index(i))
		}
	}
}

// decodeStrict decodes body into v rejecting unknown fields and trailing data, then
// checks every required field is present.
func decodeStrict(t *testing.T, name, body string, v any) {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader([]byte(body)))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		t.Fatalf("%s: strict decode: %v\n%s", name, err, truncate(body))
	}
	if d.More() {
		t.Fatalf("%s: trailing data after the JSON value", name)
	}
	requireFields(t, name, reflect.ValueOf(v))
}

// TestStrictDecodeGrafanaEndpoints calls every endpoint Grafana uses with a real HTTP client
// and decodes the answers strictly into the documented shapes.
func TestStrictDecodeGrafanaEndpoints(t *testing.T) {
	ts := newTestServer(t, nil)
	seedMeta(ts)
	ts.eng.result = func(p logql.Params) logql.Result {
		switch {
		case p.Query == "vector(1)+vector(1)":
			return logql.Result{Type: logql.ResultScalar, Value: logql.Scalar{T: p.End.UnixMilli(), V: 2}}
		case strings.HasPrefix(p.Query, "sum"):
			if p.Instant {
				return logql.Result{Type: logql.ResultVector, Value: logql.Vector{{Metric: labels.FromStrings("level", "info"), T: p.End.UnixMilli(), V: 3}}}
			}
			return logql.Result{Type: logql.ResultMatrix, Value: logql.Matrix{{Metric: labels.FromStrings("level", "info"), Points: []logql.Point{{T: p.Start.UnixMilli(), V: 1}, {T: p.Start.UnixMilli() + 60000, V: 2}}}}}
		default:
			return logql.Result{Type: logql.ResultStreams, Value: logql.Streams{{Labels: labels.FromStrings("app", "api"), Entries: []logql.Entry{
				{Timestamp: t0 + 2, Line: `{"level":"info"}`, StructuredMetadata: labels.FromStrings("trace_id", "x")},
				{Timestamp: t0 + 1, Line: `level=warn`},
			}}}}
		}
	}
	rng := []string{"start", "1795168800", "end", "1795172400"}
	get := func(path string, params ...string) string {
		t.Helper()
		resp := ts.get(t, "acme", path, vals(append(params, rng...)...))
		if resp.status != http.StatusOK {
			t.Fatalf("%s: %d %s", path, resp.status, resp.body)
		}
		return resp.body
	}
	logsVolume := `sum by (level, detected_level) (count_over_time({app="api"} | drop __error__ [1m]))`

	decodeStrict(t, "query_range streams", get("/loki/api/v1/query_range", "query", `{app="api"}`), &docQueryResponse[[]docStream]{})
	decodeStrict(t, "query_range matrix", get("/loki/api/v1/query_range", "query", logsVolume, "step", "60"), &docQueryResponse[[]docSeries]{})
	decodeStrict(t, "query vector", get("/loki/api/v1/query", "query", logsVolume, "time", "1795172400"), &docQueryResponse[[]docSample]{})
	decodeStrict(t, "query scalar (health check)", get("/loki/api/v1/query", "query", "vector(1)+vector(1)"), &docQueryResponse[[2]any]{})
	decodeStrict(t, "labels", get("/loki/api/v1/labels"), &docStringsResponse{})
	decodeStrict(t, "label values", get("/loki/api/v1/label/app/values", "query", `{namespace="prod"}`), &docStringsResponse{})
	decodeStrict(t, "series", get("/loki/api/v1/series", "match[]", `{app="api"}`), &docSeriesResponse{})
	decodeStrict(t, "index stats", get("/loki/api/v1/index/stats", "query", `{app="api"}`), &docIndexStats{})
	decodeStrict(t, "index volume", get("/loki/api/v1/index/volume", "query", `{app="api"}`), &docQueryResponse[[]docSample]{})
	decodeStrict(t, "index volume_range", get("/loki/api/v1/index/volume_range", "query", `{app="api"}`, "step", "60"), &docQueryResponse[[]docSeries]{})
	decodeStrict(t, "detected_fields", get("/loki/api/v1/detected_fields", "query", `{app="api"}`), &docDetectedFields{})
	decodeStrict(t, "detected_field values", get("/loki/api/v1/detected_field/level/values", "query", `{app="api"}`), &docDetectedFieldValues{})
	decodeStrict(t, "detected_labels", get("/loki/api/v1/detected_labels", "query", `{app="api"}`), &docDetectedLabels{})
	decodeStrict(t, "patterns", get("/loki/api/v1/patterns", "query", `{app="api"}`), &docPatterns{})
	decodeStrict(t, "format_query", get("/loki/api/v1/format_query", "query", `{app="api"}|="x"`), &docFormatQuery{})
	decodeStrict(t, "buildinfo", get("/loki/api/v1/status/buildinfo"), &docBuildInfo{})

	// Categorized labels: the third element of each value and data.encodingFlags.
	resp := ts.get(t, "acme", "/loki/api/v1/query_range", vals(append([]string{"query", `{app="api"}`}, rng...)...), encodingFlagsHeader, "categorize-labels")
	var cat docQueryResponse[[]docStream]
	decodeStrict(t, "categorized streams", resp.body, &cat)
	if len(cat.Data.EncodingFlags) != 1 {
		t.Fatalf("encodingFlags %v", cat.Data.EncodingFlags)
	}
	for _, v := range *(*cat.Data.Result)[0].Values {
		if len(v) != 3 {
			t.Fatalf("categorized value %v has %d elements, want 3", v, len(v))
		}
		raw, _ := json.Marshal(v[2])
		var meta struct {
			StructuredMetadata map[string]string `json:"structuredMetadata"`
			Parsed             map[string]string `json:"parsed"`
		}
		d := json.NewDecoder(bytes.NewReader(raw))
		d.DisallowUnknownFields()
		if err := d.Decode(&meta); err != nil {
			t.Fatalf("categorized labels object %s: %v", raw, err)
		}
	}
}

func TestFormatQuery(t *testing.T) {
	ts := newTestServer(t, nil)
	resp := ts.get(t, "acme", "/loki/api/v1/format_query", vals("query", `{app="api"}|="x"|json`))
	if resp.status != http.StatusOK || resp.body != `{"status":"success","data":"{app=\"api\"} |= \"x\" | json"}` {
		t.Fatalf("%d %s", resp.status, resp.body)
	}
	resp = ts.do(t, http.MethodPost, "acme", "/loki/api/v1/format_query", vals("query", `{app="api"`))
	if resp.status != http.StatusBadRequest || !strings.HasPrefix(resp.body, "parse error at line 1, col 11") {
		t.Fatalf("%d %s", resp.status, resp.body)
	}
}
