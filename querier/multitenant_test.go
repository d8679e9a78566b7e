package querier

import (
	"net/http"
	"strings"
	"testing"

	"github.com/jetlog/jetlog/logql"
	"github.com/jetlog/jetlog/logql/syntax"
	"github.com/jetlog/jetlog/schemas/labels"
)

func TestMultiTenantMode(t *testing.T) {
	f := func(q string, want tenantMode) {
		t.Helper()
		e, err := syntax.ParseExpr(q)
		if err != nil {
			t.Fatalf("parse %q: %v", q, err)
		}
		if got := multiTenantMode(e); got != want {
			t.Fatalf("multiTenantMode(%q) = %d, want %d", q, got, want)
		}
	}
	f(`{app="api"} |= "x"`, perTenant)
	f(`count_over_time({app="api"}[5m])`, perTenant)
	f(`rate({app="api"} | json [1m])`, perTenant)
	f(`vector(1)+vector(1)`, once)
	f(`1+1`, once)
	f(`sum(count_over_time({app="api"}[5m]))`, unsupported)
	f(`sum by (level) (count_over_time({app="api"}[5m]))`, unsupported)
	f(`count_over_time({app="api"}[5m]) / count_over_time({app="web"}[5m])`, unsupported)
	f(`count_over_time({app="api"}[5m]) > 1`, unsupported)
	f(`label_replace(count_over_time({app="api"}[5m]), "a", "$1", "app", "(.*)")`, perTenant)
}

func TestMultiTenantMetricQueries(t *testing.T) {
	ts := newTestServer(t, func(c *Config) { c.MultiTenantQueriesEnabled = true })
	ts.eng.result = func(p logql.Params) logql.Result {
		if strings.HasPrefix(p.Query, "vector") {
			return logql.Result{Type: logql.ResultScalar, Value: logql.Scalar{T: 1000, V: 2}}
		}
		return logql.Result{Type: logql.ResultVector, Value: logql.Vector{{Metric: labels.FromStrings("app", "api"), T: 1000, V: 3}}}
	}
	resp := ts.get(t, "a|b", "/loki/api/v1/query", vals("query", `count_over_time({app="api"}[5m])`))
	want := `{"status":"success","data":{"resultType":"vector","result":[` +
		`{"metric":{"__tenant_id__":"a","app":"api"},"value":[1,"3"]},{"metric":{"__tenant_id__":"b","app":"api"},"value":[1,"3"]}],"stats":`
	if resp.status != http.StatusOK || !strings.HasPrefix(resp.body, want) {
		t.Fatalf("per-tenant series: %d %s", resp.status, truncate(resp.body))
	}
	calls := len(ts.eng.calls)
	resp = ts.get(t, "a|b", "/loki/api/v1/query", vals("query", `vector(1)+vector(1)`))
	if resp.status != http.StatusOK || !strings.Contains(resp.body, `"result":[1,"2"]`) || len(ts.eng.calls) != calls+1 {
		t.Fatalf("data-free query: %d %s after %d engine calls", resp.status, truncate(resp.body), len(ts.eng.calls)-calls)
	}
	resp = ts.get(t, "a|b", "/loki/api/v1/query", vals("query", `sum(count_over_time({app="api"}[5m]))`))
	if resp.status != http.StatusBadRequest || resp.body != msgMultiTenantUnsupported {
		t.Fatalf("aggregation across tenants: %d %q", resp.status, resp.body)
	}
	// One tenant: every query is answered as is.
	resp = ts.get(t, "a", "/loki/api/v1/query", vals("query", `sum(count_over_time({app="api"}[5m]))`))
	if resp.status != http.StatusOK {
		t.Fatalf("single tenant aggregation: %d %s", resp.status, resp.body)
	}
}
