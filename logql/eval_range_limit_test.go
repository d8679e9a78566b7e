package logql_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jetlog/jetlog/logql"
	"github.com/jetlog/jetlog/logql/logqltest"
	"github.com/jetlog/jetlog/schemas/labels"
)

// countingNext counts the batches an engine takes from the in-memory querier.
type countingNext struct {
	q *logqltest.Querier
	n int
}

func (c *countingNext) SelectLogs(ctx context.Context, p logql.SelectParams) (logql.BatchIterator, error) {
	it, err := c.q.SelectLogs(ctx, p)
	return &counted{it, &c.n}, err
}

type counted struct {
	logql.BatchIterator
	n *int
}

func (c *counted) Next() bool {
	ok := c.BatchIterator.Next()
	if ok {
		*c.n++
	}
	return ok
}

// The bound on series holds while a range aggregation builds them: past it the query fails
// and stops reading, instead of building one series per label set first (a logfmt parse of
// lines that each hold a unique key used to take a query to gigabytes). Here every stream is
// a series of its own.
func TestSeriesBoundStopsTheRead(t *testing.T) {
	q := logqltest.New()
	for s := range 300 {
		ls := labels.FromStrings("app", "a", "pod", fmt.Sprint(s))
		q.Add("t", ls, logql.RawEntry{Timestamp: t0.Add(time.Duration(s) * time.Second).UnixNano(), Line: []byte(fmt.Sprintf("seq=%d x=y", s))})
	}
	c := &countingNext{q: q}
	eng := logql.NewEngine(logql.EngineConfig{MaxSeries: 10}, c, nil)
	p := logql.Params{Tenant: "t", Query: `count_over_time({app="a"} | logfmt [10m])`, Start: t0.Add(5 * time.Minute), End: t0.Add(10 * time.Minute), Step: time.Minute}
	_, err := eng.Query(context.Background(), p)
	if err == nil || !strings.Contains(err.Error(), "maximum of series (10) reached for a single query") {
		t.Fatalf("err %v", err)
	}
	if c.n > 100 {
		t.Fatalf("%d of 300 batches read; the bound was passed at the eleventh", c.n)
	}
	// Under the bound the same entries answer.
	p.Query = `sum by (x) (count_over_time({app="a"} | logfmt [10m]))`
	if _, err := eng.Query(context.Background(), p); err != nil {
		t.Fatal(err)
	}
}
