package querier

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/jetlog/jetlog/logql"
	"github.com/jetlog/jetlog/logql/logqltest"
	"github.com/jetlog/jetlog/schemas/labels"
)

// Split queries answer exactly what the unsplit query answers.
func TestSplitQueriesAreExact(t *testing.T) {
	t0 := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	q := logqltest.New()
	for s := 0; s < 4; s++ {
		ls := labels.FromStrings("app", fmt.Sprintf("a%d", s%2), "pod", fmt.Sprint(s))
		var es []logql.RawEntry
		for i := 0; i < 900; i++ {
			ts := t0.Add(time.Duration(i*(17+s)) * time.Second)
			es = append(es, logql.RawEntry{Timestamp: ts.UnixNano(),
				Line: []byte(fmt.Sprintf("level=%s n=%d bytes=%d", []string{"info", "error"}[i%2], i, i%97))})
		}
		q.Add("t", ls, es...)
	}
	eng := logql.NewEngine(logql.EngineConfig{MaxSeries: 1000}, q, nil)
	api := func(split time.Duration) *API {
		var cfg Config
		cfg.SplitQueriesByInterval, cfg.MaxQueryParallelism = split, 3
		return &API{cfg: cfg, eng: eng, log: slog.New(slog.DiscardHandler)}
	}
	f := func(p logql.Params) {
		t.Helper()
		p.Tenant = "t"
		want, err := api(0).query(context.Background(), p)
		if err != nil {
			t.Fatal(err)
		}
		wj, _ := json.Marshal(want.Value)
		for _, iv := range []time.Duration{time.Hour, 7 * time.Minute, 25 * time.Minute} {
			got, err := api(iv).query(context.Background(), p)
			if err != nil {
				t.Fatalf("%s split by %s: %v", p.Query, iv, err)
			}
			if gj, _ := json.Marshal(got.Value); string(gj) != string(wj) {
				t.Fatalf("%s (limit %d, direction %d) split by %s:\n got %.400s\nwant %.400s", p.Query, p.Limit, p.Direction, iv, gj, wj)
			}
			if got.Stats.TotalEntriesReturned != want.Stats.TotalEntriesReturned && want.Type == logql.ResultStreams {
				t.Fatalf("%s: %d entries returned, want %d", p.Query, got.Stats.TotalEntriesReturned, want.Stats.TotalEntriesReturned)
			}
		}
	}
	start, end := t0.Add(10*time.Minute+3*time.Second), t0.Add(4*time.Hour+17*time.Minute)
	for _, query := range []string{
		`{app="a0"}`, `{app=~"a.*"} |= "error"`, `{pod="1"} | logfmt | n > 300`,
	} {
		for _, limit := range []int{1, 7, 100, 5000} {
			for _, dir := range []logql.Direction{logql.Backward, logql.Forward} {
				f(logql.Params{Query: query, Start: start, End: end, Limit: limit, Direction: dir, Step: time.Minute})
			}
		}
	}
	for _, query := range []string{
		`count_over_time({app="a0"}[5m])`,
		`sum by (app) (rate({app=~".+"} |= "error" [10m]))`,
		`topk(2, sum by (pod) (bytes_over_time({app=~".+"}[15m])))`,
		`sum(count_over_time({app="a1"}[1h] offset 20m)) / sum(count_over_time({app=~".+"}[1h]))`,
		`max_over_time({app="a0"} | logfmt | unwrap bytes [30m]) by (pod)`,
		`vector(1)`,
	} {
		for _, step := range []time.Duration{time.Minute, 13 * time.Minute, 2 * time.Hour} {
			f(logql.Params{Query: query, Start: start, End: end, Step: step})
		}
	}
}

// A split query stops every piece when the client goes away or the timeout passes.
func TestSplitQueryTimeout(t *testing.T) {
	ts := newTestServer(t, func(c *Config) {
		c.QueryTimeout = 50 * time.Millisecond
		c.SplitQueriesByInterval = time.Hour
	})
	ts.eng.block = true
	resp := ts.get(t, "acme", "/loki/api/v1/query_range", vals("query", `{app="api"}`, "since", "5h"))
	if resp.status != http.StatusGatewayTimeout || resp.body != msgDeadlineExceeded {
		t.Fatalf("got %d %q", resp.status, resp.body)
	}
	ts.eng.mu.Lock()
	n := len(ts.eng.calls)
	ts.eng.mu.Unlock()
	if n < 2 {
		t.Fatalf("%d engine calls: the query was not split", n)
	}
}
