package querier

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/jetlog/jetlog/logql"
	"github.com/jetlog/jetlog/schemas/labels"
)

func TestErrorStatuses(t *testing.T) {
	f := func(engErr error, wantStatus int, wantBody string) {
		t.Helper()
		ts := newTestServer(t, nil)
		ts.eng.err = engErr
		resp := ts.get(t, "acme", "/loki/api/v1/query_range", vals("query", `{app="api"}`))
		if resp.status != wantStatus || resp.body != wantBody {
			t.Fatalf("engine error %v: got %d %q, want %d %q", engErr, resp.status, resp.body, wantStatus, wantBody)
		}
	}
	f(logql.NewUserError("unwrap: bad label"), http.StatusBadRequest, "unwrap: bad label")
	f(errors.New("disk on fire"), http.StatusInternalServerError, "query tenant acme: disk on fire")
	f(context.DeadlineExceeded, http.StatusGatewayTimeout, msgDeadlineExceeded)
	f(fmt.Errorf("read checkpoints: %w", downError{}), http.StatusServiceUnavailable, "query tenant acme: read checkpoints: object store down")
}

// downError is a dependency's "not now" error, as the bus and the store return them.
type downError struct{}

func (downError) Error() string     { return "object store down" }
func (downError) Unavailable() bool { return true }

func TestQueryTimeout(t *testing.T) {
	ts := newTestServer(t, func(c *Config) { c.QueryTimeout = 50 * time.Millisecond })
	ts.eng.block = true
	start := time.Now()
	resp := ts.get(t, "acme", "/loki/api/v1/query_range", vals("query", `{app="api"}`))
	if resp.status != http.StatusGatewayTimeout || resp.body != msgDeadlineExceeded {
		t.Fatalf("got %d %q", resp.status, resp.body)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("timeout took %s", d)
	}
}

// TestClientGone checks that a client going away cancels the query and is counted as 499.
func TestClientGone(t *testing.T) {
	ts := newTestServer(t, nil)
	ts.eng.block = true
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ts.url+"/loki/api/v1/query_range?query=%7Bapp%3D%22api%22%7D", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set(orgIDHeader, "acme")
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("request succeeded with status %d", resp.StatusCode)
	}
	// The server notices the closed connection asynchronously: poll the metric.
	deadline := time.Now().Add(5 * time.Second)
	for {
		if histogramCount(t, ts, "GET", "loki_api_v1_query_range", "499") == 1 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("no 499 observed after the client went away")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// histogramCount returns the observation count of one loki_request_duration_seconds series.
func histogramCount(t *testing.T, ts *testServer, method, route, status string) uint64 {
	t.Helper()
	mfs, err := ts.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "loki_request_duration_seconds" {
			continue
		}
		for _, m := range mf.GetMetric() {
			got := map[string]string{}
			for _, lp := range m.GetLabel() {
				got[lp.GetName()] = lp.GetValue()
			}
			if got["method"] == method && got["route"] == route && got["status_code"] == status {
				return m.GetHistogram().GetSampleCount()
			}
		}
	}
	return 0
}

func TestRequestMetrics(t *testing.T) {
	ts := newTestServer(t, nil)
	ts.get(t, "acme", "/loki/api/v1/query_range", vals("query", `{app="api"}`))
	ts.get(t, "acme", "/loki/api/v1/query_range", vals("query", `{app="api"`))
	ts.get(t, "acme", "/loki/api/v1/label/app/values", nil)
	f := func(route, status string, want uint64) {
		t.Helper()
		if got := histogramCount(t, ts, "GET", route, status); got != want {
			t.Fatalf("%s %s: %d observations, want %d", route, status, got, want)
		}
	}
	f("loki_api_v1_query_range", "200", 1)
	f("loki_api_v1_query_range", "400", 1)
	f("loki_api_v1_label_name_values", "200", 1)
	var m dto.Metric
	if err := ts.api.metrics.inflight.Write(&m); err != nil {
		t.Fatal(err)
	}
	if v := m.GetGauge().GetValue(); v != 0 {
		t.Fatalf("in-flight gauge %v after all requests ended", v)
	}
}

func TestTenants(t *testing.T) {
	ts := newTestServer(t, nil)
	f := func(tenant string, wantStatus int, wantBody string) {
		t.Helper()
		resp := ts.get(t, tenant, "/loki/api/v1/query_range", vals("query", `{app="api"}`))
		if resp.status != wantStatus || (wantBody != "" && resp.body != wantBody) {
			t.Fatalf("tenant %q: got %d %q, want %d %q", tenant, resp.status, resp.body, wantStatus, wantBody)
		}
	}
	f("", http.StatusUnauthorized, "no org id")
	f("a|b", http.StatusBadRequest, "multiple org IDs present")
	f("bad/tenant", http.StatusBadRequest, "tenant ID 'bad/tenant' contains unsupported character '/'")
	f("..", http.StatusBadRequest, "tenant ID is '.' or '..'")
	f(".", http.StatusBadRequest, "tenant ID is '.' or '..'")
	f(strings.Repeat("x", 151), http.StatusBadRequest, "tenant ID is too long: max 150 characters")
	f("é", http.StatusBadRequest, "tenant ID 'é' contains unsupported character '\u00c3'")
	f("acme", http.StatusOK, "")
	if p := ts.eng.last(t); p.Tenant != "acme" {
		t.Fatalf("tenant %q", p.Tenant)
	}

	noAuth := newTestServer(t, func(c *Config) { c.AuthEnabled = false })
	if resp := noAuth.get(t, "", "/loki/api/v1/query_range", vals("query", `{app="api"}`)); resp.status != http.StatusOK {
		t.Fatalf("auth disabled: %d %s", resp.status, resp.body)
	}
	if p := noAuth.eng.last(t); p.Tenant != "fake" {
		t.Fatalf("auth disabled tenant %q, want fake", p.Tenant)
	}
}

func TestMultiTenantQuery(t *testing.T) {
	ts := newTestServer(t, func(c *Config) { c.MultiTenantQueriesEnabled = true })
	ts.eng.result = func(p logql.Params) logql.Result {
		base := int64(0)
		if p.Tenant == "b" {
			base = 1
		}
		return logql.Result{Type: logql.ResultStreams, Stats: logql.Stats{TotalLinesProcessed: 2}, Value: logql.Streams{{
			Labels:  labels.FromStrings("app", "api"),
			Entries: []logql.Entry{{Timestamp: 10 + base, Line: p.Tenant + "2"}, {Timestamp: 0 + base, Line: p.Tenant + "1"}},
		}}}
	}
	resp := ts.get(t, "a|b", "/loki/api/v1/query_range", vals("query", `{app="api"}`, "limit", "3"))
	if resp.status != http.StatusOK {
		t.Fatalf("%d %s", resp.status, resp.body)
	}
	want := `{"status":"success","data":{"resultType":"streams","result":[` +
		`{"stream":{"__tenant_id__":"a","app":"api"},"values":[["10","a2"]]},` +
		`{"stream":{"__tenant_id__":"b","app":"api"},"values":[["11","b2"],["1","b1"]]}],"stats":`
	if !strings.HasPrefix(resp.body, want) {
		t.Fatalf("multi-tenant result\n got %s\nwant %s", truncate(resp.body), want)
	}
	if !strings.Contains(resp.body, `"totalLinesProcessed":4`) {
		t.Fatalf("stats not merged: %s", truncate(resp.body))
	}
}

func TestMaxQuerySeries(t *testing.T) {
	ts := newTestServer(t, func(c *Config) { c.MaxQuerySeries = 2 })
	n := 3
	ts.eng.result = func(logql.Params) logql.Result {
		var m logql.Matrix
		for i := range n {
			m = append(m, logql.Series{Metric: labels.FromStrings("i", string(rune('a'+i))), Points: []logql.Point{{T: 1000, V: 1}}})
		}
		return logql.Result{Type: logql.ResultMatrix, Value: m}
	}
	resp := ts.get(t, "acme", "/loki/api/v1/query_range", vals("query", `count_over_time({app="api"}[1m])`))
	if resp.status != http.StatusBadRequest || resp.body != "maximum of series (2) reached for a single query" {
		t.Fatalf("got %d %q", resp.status, resp.body)
	}
	n = 2
	if resp := ts.get(t, "acme", "/loki/api/v1/query_range", vals("query", `count_over_time({app="api"}[1m])`)); resp.status != http.StatusOK {
		t.Fatalf("at the limit: %d %s", resp.status, resp.body)
	}
}

func TestConfigValidate(t *testing.T) {
	neg := -1
	cfg := Config{Limits: Limits{MaxEntriesLimitPerQuery: -1, MaxQuerySeries: -1, MaxQueryLength: -1},
		Overrides: map[string]TenantLimits{"bad/tenant": {}, "acme": {MaxQuerySeries: &neg}}}
	err := cfg.Validate()
	if err == nil {
		t.Fatal("invalid config accepted")
	}
	for _, want := range []string{"max_entries_limit_per_query", "max_query_series", "max_query_length", "query_timeout",
		"detected_fields_max_lines", "overrides: tenant ID 'bad/tenant' contains unsupported character '/'", "overrides[acme]: max_query_series must be >= 0, got -1"} {
		if !strings.Contains(err.Error(), want) {
			t.Fatalf("error %q does not mention %s", err, want)
		}
	}
	if _, err := New(cfg, &fakeEngine{}, &fakeMeta{}, nil, nil); err == nil {
		t.Fatal("New accepted an invalid config")
	}
	def := defaultConfig(t)
	if err := def.Validate(); err != nil {
		t.Fatalf("defaults invalid: %v", err)
	}
}

func TestPerTenantLimits(t *testing.T) {
	small, big := 10, 20000
	hour := time.Hour
	ts := newTestServer(t, func(c *Config) {
		c.MultiTenantQueriesEnabled = true
		c.Overrides = map[string]TenantLimits{
			"small": {MaxEntriesLimitPerQuery: &small, MaxQueryLength: &hour},
			"big":   {MaxEntriesLimitPerQuery: &big},
		}
	})
	f := func(tenant, limit, start string, wantStatus int, wantBody string) {
		t.Helper()
		resp := ts.get(t, tenant, "/loki/api/v1/query_range", vals("query", `{app="api"}`, "limit", limit, "start", start, "end", "1795172400"))
		if resp.status != wantStatus || (wantBody != "" && resp.body != wantBody) {
			t.Fatalf("%s limit %s: got %d %q, want %d %q", tenant, limit, resp.status, resp.body, wantStatus, wantBody)
		}
	}
	f("big", "10000", "1795168800", http.StatusOK, "")
	f("acme", "10000", "1795168800", http.StatusBadRequest, "max entries limit per query exceeded, limit > max_entries_limit_per_query (10000 > 5000)")
	f("small", "11", "1795168800", http.StatusBadRequest, "max entries limit per query exceeded, limit > max_entries_limit_per_query (11 > 10)")
	f("small", "10", "1795165200", http.StatusBadRequest, "the query time range exceeds the limit (query length: 2h0m0s, limit: 1h)")
	f("acme", "10", "1795165200", http.StatusOK, "")
	// Several tenants: the smallest enabled limit of each kind applies.
	f("big|small", "11", "1795168800", http.StatusBadRequest, "max entries limit per query exceeded, limit > max_entries_limit_per_query (11 > 10)")
	f("big|acme", "6000", "1795168800", http.StatusBadRequest, "max entries limit per query exceeded, limit > max_entries_limit_per_query (6000 > 5000)")
}
