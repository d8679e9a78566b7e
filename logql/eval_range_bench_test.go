package logql_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jetlog/jetlog/logql"
	"github.com/jetlog/jetlog/logql/logqltest"
	"github.com/jetlog/jetlog/schemas/labels"
)

// BenchmarkRangeAggregation evaluates the metric queries of BENCHMARKS.md over 100 streams
// of 2,000 logfmt entries in memory: the engine's share of a query, without storage.
func BenchmarkRangeAggregation(b *testing.B) {
	q := logqltest.New()
	var raw int64
	for s := 0; s < 100; s++ {
		ls := labels.FromStrings("job", "load", "stream", fmt.Sprintf("s%03d", s), "namespace", fmt.Sprintf("ns-%d", s%5))
		var es []logql.RawEntry
		for i := 0; i < 2000; i++ {
			line := fmt.Sprintf("seq=%d level=info method=GET status=%d duration=%dms user=u%d msg=\"alpha bravo charlie delta echo foxtrot golf hotel india\"",
				i, []int{200, 404, 500}[i%3], (i*7919)%2000, i%1000)
			es = append(es, logql.RawEntry{Timestamp: t0.Add(time.Duration(i) * 400 * time.Millisecond).UnixNano(), Line: []byte(line)})
			raw += int64(len(line))
		}
		q.Add("t", ls, es...)
	}
	e := logql.NewEngine(logql.EngineConfig{MaxSeries: 1000}, readOnly{q}, nil) // entries are read, not counted
	for _, c := range []struct{ name, query string }{
		{"count", `sum by (namespace) (count_over_time({job="load"}[1m]))`},
		{"bytes_topk", `topk(5, sum by (stream) (bytes_over_time({job="load"}[5m])))`},
		{"logfmt", `sum by (status) (count_over_time({job="load"} | logfmt | duration > 1500ms [1m]))`},
	} {
		b.Run(c.name, func(b *testing.B) {
			p := logql.Params{Tenant: "t", Query: c.query, Start: t0, End: t0.Add(15 * time.Minute), Step: time.Minute}
			b.SetBytes(raw)
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := e.Query(context.Background(), p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
