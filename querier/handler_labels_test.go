package querier

import (
	"encoding/json"
	"net/http"
	"reflect"
	"testing"

	"github.com/jetlog/jetlog/schemas/labels"
)

const (
	t0 = int64(1795168800) * 1e9 // 2026-11-20T10:00:00Z
	t1 = int64(1795172400) * 1e9 // 11:00
)

// seedMeta gives tenant acme streams shaped like the conformance dataset, and tenant globex
// one stream of its own.
func seedMeta(ts *testServer) {
	ts.meta.streams["acme"] = []fakeStream{
		{labels.FromStrings("app", "api", "namespace", "prod", "pod", "api-0", "service_name", "api"), []int64{t0 + 1, t0 + 2, t0 + 3}},
		{labels.FromStrings("app", "api", "namespace", "prod", "pod", "api-1", "service_name", "api"), []int64{t0 + 5}},
		{labels.FromStrings("app", "web", "namespace", "prod", "pod", "web-0", "service_name", "web"), []int64{t0 + 60e9}},
		{labels.FromStrings("app", "worker", "namespace", "staging", "service", "worker", "service_name", "worker"), []int64{t0 + 120e9}},
		// Outside the queried hour: must not show up.
		{labels.FromStrings("app", "old", "namespace", "prod", "stale", "yes"), []int64{t0 - 7200e9}},
	}
	ts.meta.streams["globex"] = []fakeStream{
		{labels.FromStrings("app", "billing", "namespace", "prod"), []int64{t0 + 1}},
	}
}

func TestLabelsAndValues(t *testing.T) {
	ts := newTestServer(t, nil)
	seedMeta(ts)
	rng := []string{"start", "1795168800", "end", "1795172400"}
	f := func(tenant, path string, params []string, want string) {
		t.Helper()
		resp := ts.get(t, tenant, path, vals(append(params, rng...)...))
		if resp.status != http.StatusOK || resp.body != want {
			t.Fatalf("%s %v:\n got %d %s\nwant %s", path, params, resp.status, resp.body, want)
		}
	}
	f("acme", "/loki/api/v1/labels", nil, `{"status":"success","data":["app","namespace","pod","service","service_name"]}`)
	f("acme", "/loki/api/v1/label", nil, `{"status":"success","data":["app","namespace","pod","service","service_name"]}`)
	f("acme", "/loki/api/v1/labels", []string{"query", `{app="api"}`}, `{"status":"success","data":["app","namespace","pod","service_name"]}`)
	f("acme", "/loki/api/v1/label/app/values", nil, `{"status":"success","data":["api","web","worker"]}`)
	f("acme", "/loki/api/v1/label/pod/values", []string{"query", `{app="api"}`}, `{"status":"success","data":["api-0","api-1"]}`)
	f("acme", "/loki/api/v1/label/nope/values", nil, `{"status":"success","data":[]}`)
	f("globex", "/loki/api/v1/label/app/values", nil, `{"status":"success","data":["billing"]}`)
	f("acme", "/api/prom/label", nil, `{"values":["app","namespace","pod","service","service_name"]}`)
	f("acme", "/api/prom/label/app/values", nil, `{"values":["api","web","worker"]}`)

	// The matcher, tenant and range reach the metadata querier: end second inclusive.
	p := ts.meta.calls[len(ts.meta.calls)-1]
	if p.Tenant != "acme" || p.Start != t0 || p.End != t1+1 {
		t.Fatalf("stream stats params %+v", p)
	}
	resp := ts.get(t, "acme", "/loki/api/v1/labels", vals(append([]string{"query", `{app=~".*"}`}, rng...)...))
	if resp.status != http.StatusBadRequest {
		t.Fatalf("empty-compatible selector: %d %s", resp.status, resp.body)
	}
	resp = ts.get(t, "acme", "/loki/api/v1/labels", vals(append([]string{"query", `{app="api"} |= "x"`}, rng...)...))
	if resp.status != http.StatusBadRequest {
		t.Fatalf("pipeline in labels query: %d %s", resp.status, resp.body)
	}
}

func TestSeries(t *testing.T) {
	ts := newTestServer(t, nil)
	seedMeta(ts)
	get := func(params ...string) []map[string]string {
		t.Helper()
		resp := ts.get(t, "acme", "/loki/api/v1/series", vals(append(params, "start", "1795168800", "end", "1795172400")...))
		if resp.status != http.StatusOK {
			t.Fatalf("%v: %d %s", params, resp.status, resp.body)
		}
		var body struct {
			Status string              `json:"status"`
			Data   []map[string]string `json:"data"`
		}
		if err := json.Unmarshal([]byte(resp.body), &body); err != nil || body.Status != "success" {
			t.Fatalf("%v: %v %s", params, err, resp.body)
		}
		return body.Data
	}
	got := get("match[]", `{app="api"}`)
	want := []map[string]string{
		{"app": "api", "namespace": "prod", "pod": "api-0", "service_name": "api"},
		{"app": "api", "namespace": "prod", "pod": "api-1", "service_name": "api"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("series %v", got)
	}
	// Overlapping selectors: the union, each stream once.
	if got := get("match[]", `{app="api"}`, "match[]", `{namespace="prod"}`); len(got) != 3 {
		t.Fatalf("union of selectors: %v", got)
	}
	if got := get(); len(got) != 4 {
		t.Fatalf("no selector: %v", got)
	}
	resp := ts.get(t, "acme", "/loki/api/v1/series", vals("match[]", `{app="api"`))
	if resp.status != http.StatusBadRequest || resp.body != "parse error at line 1, col 11: syntax error: unexpected $end, expecting } or ," {
		t.Fatalf("bad match[]: %d %q", resp.status, resp.body)
	}
}

func TestIndexStatsAndVolume(t *testing.T) {
	ts := newTestServer(t, nil)
	seedMeta(ts)
	rng := []string{"start", "1795168800", "end", "1795172400"}
	f := func(path string, params []string, want string) {
		t.Helper()
		resp := ts.get(t, "acme", path, vals(append(params, rng...)...))
		if resp.status != http.StatusOK {
			t.Fatalf("%s %v: %d %s", path, params, resp.status, resp.body)
		}
		if len(resp.body) < len(want) || resp.body[:len(want)] != want {
			t.Fatalf("%s %v:\n got %s\nwant %s", path, params, truncate(resp.body), want)
		}
	}
	f("/loki/api/v1/index/stats", []string{"query", `{namespace="prod"}`}, `{"streams":3,"chunks":3,"bytes":50,"entries":5}`)
	f("/loki/api/v1/index/stats", []string{"query", `{app="none"}`}, `{"streams":0,"chunks":0,"bytes":0,"entries":0}`)
	// By default volume groups by the labels the selector names.
	f("/loki/api/v1/index/volume", []string{"query", `{namespace=~".+"}`},
		`{"status":"success","data":{"resultType":"vector","result":[{"metric":{"namespace":"prod"},"value":[1795172400,"50"]},{"metric":{"namespace":"staging"},"value":[1795172400,"10"]}],"stats":`)
	f("/loki/api/v1/index/volume", []string{"query", `{namespace=~".+"}`, "targetLabels", "app", "limit", "2"},
		`{"status":"success","data":{"resultType":"vector","result":[{"metric":{"app":"api"},"value":[1795172400,"40"]},{"metric":{"app":"web"},"value":[1795172400,"10"]}],"stats":`)
	f("/loki/api/v1/index/volume", []string{"query", `{app="api"}`, "aggregateBy", "labels"},
		`{"status":"success","data":{"resultType":"vector","result":[{"metric":{"app":""},"value":[1795172400,"40"]},{"metric":{"namespace":""},"value":[1795172400,"40"]},{"metric":{"pod":""},"value":[1795172400,"40"]},{"metric":{"service_name":""},"value":[1795172400,"40"]}],"stats":`)
	f("/loki/api/v1/index/volume_range", []string{"query", `{namespace="prod"}`, "step", "60"},
		`{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"namespace":"prod"},"values":[[1795168800,"40"],[1795168860,"10"]]}],"stats":`)

	bad := func(path string, params []string, want string) {
		t.Helper()
		resp := ts.get(t, "acme", path, vals(append(params, rng...)...))
		if resp.status != http.StatusBadRequest || resp.body != want {
			t.Fatalf("%s %v: got %d %q, want 400 %q", path, params, resp.status, resp.body, want)
		}
	}
	bad("/loki/api/v1/index/stats", nil, "query parameter is required")
	bad("/loki/api/v1/index/volume", []string{"query", `{app="api"}`, "aggregateBy", "pods"}, "invalid aggregateBy: pods")
	bad("/loki/api/v1/index/volume", []string{"query", `{app="api"}`, "limit", "0"}, "limit must be a positive value")
	bad("/loki/api/v1/index/volume_range", []string{"query", `{app="api"}`, "step", "0"}, "zero or negative query resolution step widths are not accepted. Try a positive integer")
}
