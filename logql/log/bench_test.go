package log

import (
	"testing"

	"github.com/jetlog/jetlog/logql/syntax"
)

var (
	benchLogfmt = []byte(`ts=2026-11-23T00:00:00Z level=info caller=api.go:42 msg="request served" method=GET path=/api/v1/users status=200 duration=12.5ms bytes=5321 trace_id=abc123`)
	benchJSON   = []byte(`{"ts":"2026-11-23T00:00:00Z","level":"info","caller":"api.go:42","msg":"request served","http":{"method":"GET","path":"/api/v1/users","status":200},"duration":"12.5ms","bytes":5321,"tags":["a","b"]}`)
)

func benchPipeline(b *testing.B, pipeline string, line []byte) {
	p, err := NewPipeline(stagesOf(b, pipeline))
	if err != nil {
		b.Fatal(err)
	}
	sp := p.ForStream(mustLabels("app", "api", "namespace", "prod"))
	b.ReportAllocs()
	b.SetBytes(int64(len(line)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		sp.Process(int64(i), line, nil)
	}
}

func BenchmarkLineFilter(b *testing.B) { benchPipeline(b, `|= "status=200" != "debug"`, benchLogfmt) }

func BenchmarkLineFilterRegexp(b *testing.B) {
	benchPipeline(b, `|~ "status=[45][0-9]{2}"`, benchLogfmt)
}

func BenchmarkJSONStage(b *testing.B) { benchPipeline(b, `| json`, benchJSON) }

func BenchmarkLogfmtStage(b *testing.B) { benchPipeline(b, `| logfmt`, benchLogfmt) }

func BenchmarkFullPipeline(b *testing.B) {
	benchPipeline(b, `|= "served" | logfmt | status >= 200 and duration > 10ms | line_format "{{.method}} {{.path}} {{.status}}"`, benchLogfmt)
}

// BenchmarkGroupedLogfmtMetric is issue 6's query shape: sum by (status) over a logfmt
// parse and a duration filter; hints let logfmt skip the labels nobody reads.
func BenchmarkGroupedLogfmtMetric(b *testing.B) {
	e, err := syntax.ParseSampleExpr(`count_over_time({job="load"} | logfmt | duration > 10ms [1m])`)
	if err != nil {
		b.Fatal(err)
	}
	ra := e.(*syntax.RangeAggregationExpr)
	se, err := NewGroupedSampleExtractor(ra.Left.Left.Pipeline, CountSamples, nil, []string{"status"})
	if err != nil {
		b.Fatal(err)
	}
	sse := se.ForStream(mustLabels("job", "load"))
	b.ReportAllocs()
	b.SetBytes(int64(len(benchLogfmt)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		sse.Process(int64(i), benchLogfmt, nil)
	}
}
