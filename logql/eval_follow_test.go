package logql_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jetlog/jetlog/logql"
	"github.com/jetlog/jetlog/logql/logqltest"
	"github.com/jetlog/jetlog/logql/syntax"
	"github.com/jetlog/jetlog/schemas/labels"
)

// TestLogProcessorMatchesEngine: a LogProcessor yields, entry for entry, what Engine.Query
// returns for the same entries, with and without categorized labels.
func TestLogProcessorMatchesEngine(t *testing.T) {
	app := labels.New(labels.Label{Name: "app", Value: "api"}, labels.Label{Name: "env", Value: "prod"})
	db := labels.New(labels.Label{Name: "app", Value: "db"})
	md := labels.New(labels.Label{Name: "trace_id", Value: "t1"})
	batches := []logql.Batch{
		{Labels: app, Hash: app.Hash(), Entries: []logql.RawEntry{
			{Timestamp: 1, Line: []byte(`{"level":"error","msg":"boom","code":500}`)},
			{Timestamp: 2, Line: []byte(`{"level":"info","msg":"ok","code":200}`), Metadata: md},
			{Timestamp: 3, Line: []byte(`not json error`)},
		}},
		{Labels: db, Hash: db.Hash(), Entries: []logql.RawEntry{
			{Timestamp: 4, Line: []byte(`level=error msg="disk full" app=shadow`), Metadata: md},
			{Timestamp: 5, Line: []byte(`level=debug msg=idle`)},
		}},
	}
	q := logqltest.New()
	for _, b := range batches {
		q.Add("t", b.Labels, b.Entries...)
	}
	eng := logql.NewEngine(logql.EngineConfig{MaxSeries: 100}, q, nil)
	f := func(query string, categorize bool) {
		t.Helper()
		expr, err := syntax.ParseExpr(query)
		if err != nil {
			t.Fatal(err)
		}
		sel := expr.(*syntax.LogSelectorExpr)
		p, err := logql.NewLogProcessor(sel, categorize)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for i := range batches {
			if !labels.MatchLabels(batches[i].Labels, sel.Matchers...) {
				continue
			}
			p.Process(&batches[i], func(ls labels.Labels, e logql.Entry) {
				got = append(got, fmt.Sprintf("%d %s %q md=%s parsed=%s", e.Timestamp, ls, e.Line, e.StructuredMetadata, e.Parsed))
			})
		}
		res, err := eng.Query(context.Background(), logql.Params{Tenant: "t", Query: query, Start: time.Unix(0, 0), End: time.Unix(0, 10),
			Limit: 100, Direction: logql.Forward, CategorizeLabels: categorize})
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		for _, s := range res.Value.(logql.Streams) {
			for _, e := range s.Entries {
				want = append(want, fmt.Sprintf("%d %s %q md=%s parsed=%s", e.Timestamp, s.Labels, e.Line, e.StructuredMetadata, e.Parsed))
			}
		}
		sort.Strings(want)
		sort.Strings(got)
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s (categorize %v):\nprocessor:\n%s\nengine:\n%s", query, categorize, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		if len(want) == 0 {
			t.Errorf("%s: the case selects nothing, so it tests nothing", query)
		}
	}
	for _, categorize := range []bool{false, true} {
		f(`{app=~".+"}`, categorize)
		f(`{app="api"} | json | level="error"`, categorize)
		f(`{app="api"} |= "o" | json | __error__=""`, categorize)
		f(`{app=~".+"} |~ "error" | logfmt | line_format "{{.msg}}"`, categorize)
		f(`{app="db"} | logfmt | drop level | label_format lvl=msg`, categorize)
	}
}

// TestLogProcessorBadPipeline: a pipeline that does not compile is the user's error.
func TestLogProcessorBadPipeline(t *testing.T) {
	expr, err := syntax.ParseExpr(`{app="a"} | line_format "{{.x"`)
	if err != nil {
		t.Skipf("the parser already refuses it: %v", err)
	}
	if _, err := logql.NewLogProcessor(expr.(*syntax.LogSelectorExpr), false); !logql.IsUserError(err) {
		t.Fatalf("err = %v, want a user error", err)
	}
}
