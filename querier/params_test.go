package querier

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/jetlog/jetlog/logql"
)

func TestRangeQueryDefaults(t *testing.T) {
	ts := newTestServer(t, nil)
	resp := ts.get(t, "acme", "/loki/api/v1/query_range", vals("query", `{app="api"}`))
	if resp.status != http.StatusOK {
		t.Fatalf("status %d: %s", resp.status, resp.body)
	}
	p := ts.eng.last(t)
	if p.Tenant != "acme" || p.Query != `{app="api"}` {
		t.Fatalf("tenant/query = %q/%q", p.Tenant, p.Query)
	}
	if !p.End.Equal(testNow) || !p.Start.Equal(testNow.Add(-time.Hour)) {
		t.Fatalf("range = %s..%s, want the hour before %s", p.Start, p.End, testNow)
	}
	if p.Limit != 100 || p.Direction != logql.Backward || p.Step != 14*time.Second || p.Instant || p.CategorizeLabels {
		t.Fatalf("defaults: %+v", p)
	}
}

func TestRangeQueryParams(t *testing.T) {
	ts := newTestServer(t, nil)
	f := func(params url.Values, check func(p logql.Params) bool) {
		t.Helper()
		for _, method := range []string{http.MethodGet, http.MethodPost} {
			resp := ts.do(t, method, "acme", "/loki/api/v1/query_range", params)
			if resp.status != http.StatusOK {
				t.Fatalf("%s %v: status %d: %s", method, params, resp.status, resp.body)
			}
			if p := ts.eng.last(t); !check(p) {
				t.Fatalf("%s %v: unexpected params %+v", method, params, p)
			}
		}
	}
	q := `{app="api"}`
	f(vals("query", q, "start", "1795168800", "end", "1795172400", "limit", "150", "direction", "forward"), func(p logql.Params) bool {
		return p.Start.Equal(time.Unix(1795168800, 0)) && p.End.Equal(time.Unix(1795172400, 0)) && p.Limit == 150 && p.Direction == logql.Forward
	})
	f(vals("query", q, "start", "1795168800000000000", "end", "2026-11-20T11:00:00Z", "direction", "BACKWARD"), func(p logql.Params) bool {
		return p.Start.Equal(time.Unix(1795168800, 0)) && p.End.Equal(time.Unix(1795172400, 0)) && p.Direction == logql.Backward
	})
	f(vals("query", q, "step", "60"), func(p logql.Params) bool { return p.Step == time.Minute })
	f(vals("query", q, "step", "1m30s", "interval", "0.5"), func(p logql.Params) bool {
		return p.Step == 90*time.Second && p.Interval == 500*time.Millisecond
	})
	f(vals("query", q, "since", "30m"), func(p logql.Params) bool {
		return p.Start.Equal(testNow.Add(-30*time.Minute)) && p.End.Equal(testNow)
	})
	f(vals("query", q, "since", "2h", "end", "1795168800"), func(p logql.Params) bool {
		return p.Start.Equal(time.Unix(1795168800-7200, 0))
	})
	// An end in the future: since counts back from now.
	f(vals("query", q, "since", "2h", "end", "1795179600"), func(p logql.Params) bool {
		return p.Start.Equal(testNow.Add(-2*time.Hour)) && p.End.Equal(time.Unix(1795179600, 0))
	})
	f(vals("query", q, "start", "1795168800", "end", "1795168800"), func(p logql.Params) bool { return p.Start.Equal(p.End) })
	// Exactly the maximum: 5000 entries and 11,000 points are allowed.
	f(vals("query", q, "limit", "5000"), func(p logql.Params) bool { return p.Limit == 5000 })
	f(vals("query", `count_over_time({app="api"}[1m])`, "start", "0", "end", "11000", "step", "1"), func(p logql.Params) bool { return p.Step == time.Second })
	// The entries limit does not apply to metric queries.
	f(vals("query", `count_over_time({app="api"}[1m])`, "limit", "6000"), func(p logql.Params) bool { return p.Limit == 6000 })
}

func TestInstantQueryParams(t *testing.T) {
	ts := newTestServer(t, nil)
	ts.eng.result = func(logql.Params) logql.Result {
		return logql.Result{Type: logql.ResultVector, Value: logql.Vector{}}
	}
	resp := ts.get(t, "acme", "/loki/api/v1/query", vals("query", `sum(count_over_time({app="api"}[1h]))`, "time", "1795172400"))
	if resp.status != http.StatusOK {
		t.Fatalf("status %d: %s", resp.status, resp.body)
	}
	p := ts.eng.last(t)
	if !p.Instant || !p.Start.Equal(time.Unix(1795172400, 0)) || !p.End.Equal(p.Start) || p.Limit != 100 {
		t.Fatalf("instant params %+v", p)
	}
	resp = ts.get(t, "acme", "/loki/api/v1/query", vals("query", `vector(1)+vector(1)`))
	if resp.status != http.StatusOK {
		t.Fatalf("health check query: status %d: %s", resp.status, resp.body)
	}
	if p := ts.eng.last(t); !p.End.Equal(testNow) {
		t.Fatalf("default time %s, want now %s", p.End, testNow)
	}
}

// TestParamErrors pins Loki's status and message for every rejected parameter.
func TestParamErrors(t *testing.T) {
	ts := newTestServer(t, func(c *Config) { c.MaxQueryLength = 24 * time.Hour })
	f := func(path string, params url.Values, want string) {
		t.Helper()
		resp := ts.get(t, "acme", path, params)
		if resp.status != http.StatusBadRequest {
			t.Fatalf("%s %v: status %d, want 400 (%s)", path, params, resp.status, resp.body)
		}
		if resp.body != want {
			t.Fatalf("%s %v:\n got %q\nwant %q", path, params, resp.body, want)
		}
		if ct := resp.header.Get("Content-Type"); ct != "text/plain; charset=utf-8" {
			t.Fatalf("error content type %q", ct)
		}
	}
	qr, qi := "/loki/api/v1/query_range", "/loki/api/v1/query"
	q := `{app="api"}`
	f(qr, vals("query", q, "limit", "0"), "limit must be a positive value")
	f(qr, vals("query", q, "limit", "-5"), "limit must be a positive value")
	f(qr, vals("query", q, "limit", "many"), `strconv.Atoi: parsing "many": invalid syntax`)
	f(qr, vals("query", q, "limit", "5001"), "max entries limit per query exceeded, limit > max_entries_limit_per_query (5001 > 5000)")
	f(qr, vals("query", q, "direction", "sideways"), "invalid direction 'sideways'")
	f(qr, vals("query", q, "start", "1795172400", "end", "1795168800"), "end timestamp must not be before or equal to start time")
	f(qr, vals("query", q, "start", "later"), `strconv.ParseInt: parsing "later": invalid syntax`)
	f(qr, vals("query", q, "end", "later"), `strconv.ParseInt: parsing "later": invalid syntax`)
	f(qr, vals("query", q, "step", "0"), "zero or negative query resolution step widths are not accepted. Try a positive integer")
	f(qr, vals("query", q, "step", "-1"), "zero or negative query resolution step widths are not accepted. Try a positive integer")
	f(qr, vals("query", q, "step", "fast"), `cannot parse "fast" to a valid duration`)
	f(qr, vals("query", q, "start", "0", "end", "11001", "step", "1"), "exceeded maximum resolution of 11,000 points per timeseries. Try increasing the value of the step parameter")
	f(qr, vals("query", q, "interval", "-1"), "interval must be >= 0")
	f(qr, vals("query", q, "since", "soon"), `cannot parse "soon" to a valid duration`)
	f(qr, vals("query", q, "start", "1795000000", "end", "1795172400", "step", "60"), "the query time range exceeds the limit (query length: 47h53m20s, limit: 1d)")
	// Parse errors come verbatim from logql/syntax, as the conformance answers expect.
	f(qr, vals("query", `{app="api"`), "parse error at line 1, col 11: syntax error: unexpected $end, expecting } or ,")
	f(qr, vals("query", `{app=~".*"}`), `parse error : queries require at least one regexp or equality matcher that does not have an empty-compatible value. For instance, app=~".*" does not meet this requirement, but app=~".+" will`)
	f(qi, vals("query", q), "log queries are not supported as an instant query type, please change your query to a range query type")
	f(qi, vals("query", `count_over_time({app="api"}[1m])`, "time", "x"), `strconv.ParseInt: parsing "x": invalid syntax`)
	if n := len(ts.eng.calls); n != 0 {
		t.Fatalf("engine called %d times for rejected requests", n)
	}
}
