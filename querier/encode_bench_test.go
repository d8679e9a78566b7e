package querier

import (
	"io"
	"net/http"
	"strconv"
	"testing"

	"github.com/jetlog/jetlog/logql"
	"github.com/jetlog/jetlog/schemas/labels"
)

// discardWriter is an http.ResponseWriter that counts and drops the body.
type discardWriter struct {
	h http.Header
	n int64
}

func (w *discardWriter) Header() http.Header { return w.h }
func (w *discardWriter) WriteHeader(int)     {}
func (w *discardWriter) Write(p []byte) (int, error) {
	w.n += int64(len(p))
	return len(p), nil
}

var _ io.Writer = (*discardWriter)(nil)

// BenchmarkEncodeStreams encodes a max_entries_limit_per_query-sized log result.
func BenchmarkEncodeStreams(b *testing.B) {
	var ss logql.Streams
	for s := range 50 {
		st := logql.Stream{Labels: labels.FromStrings("app", "api", "pod", "api-"+strconv.Itoa(s), "namespace", "prod")}
		for i := range 100 {
			st.Entries = append(st.Entries, logql.Entry{Timestamp: 1795168800000000000 + int64(i), Line: `{"level":"info","msg":"request served","method":"GET","path":"/v1/orders/42","status":200,"latency_ms":1.31}`})
		}
		ss = append(ss, st)
	}
	res := logql.Result{Type: logql.ResultStreams, Value: ss}
	w := &discardWriter{h: http.Header{}}
	if err := writeQueryResponse(w, res, false); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(w.n)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := writeQueryResponse(w, res, false); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncodeMatrix encodes 100 series of 720 points.
func BenchmarkEncodeMatrix(b *testing.B) {
	var m logql.Matrix
	for s := range 100 {
		ser := logql.Series{Metric: labels.FromStrings("app", "api", "pod", "api-"+strconv.Itoa(s))}
		for i := range 720 {
			ser.Points = append(ser.Points, logql.Point{T: 1795168800000 + int64(i)*5000, V: float64(i) / 7})
		}
		m = append(m, ser)
	}
	res := logql.Result{Type: logql.ResultMatrix, Value: m}
	w := &discardWriter{h: http.Header{}}
	if err := writeQueryResponse(w, res, false); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(w.n)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := writeQueryResponse(w, res, false); err != nil {
			b.Fatal(err)
		}
	}
}
