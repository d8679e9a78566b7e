package log

import (
	"fmt"
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

// countByStatus is the grouped extractor of sum by (status) (<query>), query a count_over_time
// over a pipeline.
func countByStatus(b *testing.B, query string) SampleExtractor {
	e, err := syntax.ParseSampleExpr(query)
	if err != nil {
		b.Fatal(err)
	}
	ra := e.(*syntax.RangeAggregationExpr)
	se, err := NewGroupedSampleExtractor(ra.Left.Left.Pipeline, CountSamples, nil, []string{"status"})
	if err != nil {
		b.Fatal(err)
	}
	return se
}

// BenchmarkGroupedLogfmtMetric is issue 6's query shape: sum by (status) over a logfmt
// parse and a duration filter; hints let logfmt skip the labels nobody reads.
func BenchmarkGroupedLogfmtMetric(b *testing.B) {
	se := countByStatus(b, `count_over_time({job="load"} | logfmt | duration > 10ms [1m])`)
	sse := se.ForStream(mustLabels("job", "load"))
	b.ReportAllocs()
	b.SetBytes(int64(len(benchLogfmt)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		sse.Process(int64(i), benchLogfmt, nil)
	}
}

var words = []string{"alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india"}

// BenchmarkLoadgenLogfmtMetric is the bench query of BENCHMARKS.md, sum by (status)
// (count_over_time({job="load"} | logfmt | duration > 1500ms [1m])), over a block of lines
// shaped as loadgen writes them, in a stream with loadgen's four labels.
func BenchmarkLoadgenLogfmtMetric(b *testing.B) {
	benchLoadgenMetric(b, `count_over_time({job="load"} | logfmt | duration > 1500ms [1m])`,
		`seq=%d level=%s method=%s status=%d duration=%dms user=u%d msg="`, `"`)
}

// BenchmarkLoadgenJSONMetric is its JSON twin over lines shaped as loadgen -shape json
// writes them, counting duration_ms > 1500.
func BenchmarkLoadgenJSONMetric(b *testing.B) {
	benchLoadgenMetric(b, `count_over_time({job="load"} | json | duration_ms > 1500 [1m])`,
		`{"seq":%d,"level":%q,"method":%q,"status":%d,"duration_ms":%d,"user":{"id":"u%d","region":"eu"},"msg":"`, `"}`)
}

// benchLoadgenMetric runs sum by (status) (query) over 1,024 loadgen-sized lines: head
// (formatted with seq, level, method, status, duration and user) then words, then tail.
func benchLoadgenMetric(b *testing.B, query, head, tail string) {
	se := countByStatus(b, query)
	lines := make([][]byte, 1024)
	var size int64
	for i := range lines {
		lines[i] = fmt.Appendf(nil, head,
			1000000+i, []string{"info", "warn", "error", "debug"}[i%4], []string{"GET", "POST", "PUT"}[i%3],
			[]int{200, 200, 200, 201, 404, 500}[i%6], (i*7919)%2000, (i*104729)%100000)
		for w := i; len(lines[i]) < 250-len(tail); w++ { // loadgen's 250-byte lines
			lines[i] = append(lines[i], words[w%len(words)]...)
			lines[i] = append(lines[i], ' ')
		}
		lines[i] = append(lines[i], tail...)
		size += int64(len(lines[i]))
	}
	sse := se.ForStream(mustLabels("job", "load", "stream", "s042", "pod", "pod-8", "namespace", "ns-2"))
	b.ReportAllocs()
	b.SetBytes(size / int64(len(lines)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		sse.Process(int64(i), lines[i%len(lines)], nil)
	}
}
