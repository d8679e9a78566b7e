package syntax

import (
	"reflect"
	"testing"
)

// FuzzParseExpr checks that no input panics the parser and that every query it accepts
// prints to LogQL that parses back to the same tree. Seeds: testdata/corpus.txt and
// testdata/fuzz/FuzzParseExpr.
func FuzzParseExpr(f *testing.F) {
	for _, q := range readCorpus(f) {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, in string) {
		e, err := ParseExpr(in)
		if err != nil {
			if _, ok := err.(*ParseError); !ok {
				t.Fatalf("ParseExpr(%q) returned %T, want *ParseError", in, err)
			}
			return
		}
		out := e.String()
		e2, err := ParseExpr(out)
		if err != nil {
			t.Fatalf("ParseExpr(%q) printed %q, which fails: %v", in, out, err)
		}
		if !reflect.DeepEqual(e, e2) {
			t.Fatalf("ParseExpr(%q) printed %q, which parses to another tree", in, out)
		}
	})
}

func BenchmarkParseExpr(b *testing.B) {
	const q = `sum by (method) (quantile_over_time(0.95, {app="api", env=~"prod|staging"} |= "request" != "healthz" | json | status>=500 and duration > 250ms | unwrap duration(latency) | __error__="" [5m])) / on (method) group_left sum by (method) (rate({app="api"}[5m]))`
	b.ReportAllocs()
	b.SetBytes(int64(len(q)))
	for b.Loop() {
		if _, err := ParseExpr(q); err != nil {
			b.Fatal(err)
		}
	}
}
