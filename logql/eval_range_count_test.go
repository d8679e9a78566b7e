package logql_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/jetlog/jetlog/logql"
	"github.com/jetlog/jetlog/logql/logqltest"
	"github.com/jetlog/jetlog/schemas/labels"
)

// readOnly hides the in-memory querier's MinuteCounter: the engine then reads entries.
type readOnly struct{ q *logqltest.Querier }

func (r readOnly) SelectLogs(ctx context.Context, p logql.SelectParams) (logql.BatchIterator, error) {
	return r.q.SelectLogs(ctx, p)
}

// counting counts the CountMinutes calls of the querier it wraps.
type counting struct {
	*logqltest.Querier
	calls int
}

func (c *counting) CountMinutes(ctx context.Context, p logql.CountParams) (*logql.MinuteCountResult, error) {
	c.calls++
	return c.Querier.CountMinutes(ctx, p)
}

// Counts summed from per-minute counts equal counts of the entries read, at minute
// boundaries (entries exactly at a window's ends), with offsets, exact duplicates and
// streams left to be read (metadata).
func TestMinuteCountsMatchReading(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	q := logqltest.New()
	for s := 0; s < 6; s++ {
		ls := labels.FromStrings("app", fmt.Sprintf("a%d", s%2), "pod", fmt.Sprint(s))
		var es []logql.RawEntry
		for i := 0; i < 400; i++ {
			ts := t0.Add(time.Duration(r.IntN(40*60)) * time.Second) // whole seconds: many at minute starts
			if r.IntN(3) == 0 {
				ts = t0.Add(time.Duration(r.IntN(40)) * time.Minute)
			}
			e := logql.RawEntry{Timestamp: ts.UnixNano() + int64(r.IntN(2)), Line: []byte(fmt.Sprintf("line %d", r.IntN(50)))}
			if s == 5 && i%7 == 0 {
				e.Metadata = labels.FromStrings("trace", fmt.Sprint(i%3))
			}
			es = append(es, e, e) // every entry twice: stored twice, counted once
		}
		q.Add("t", ls, es...)
	}
	c := &counting{Querier: q}
	counted := logql.NewEngine(logql.EngineConfig{MaxSeries: 1000}, c, nil)
	read := logql.NewEngine(logql.EngineConfig{MaxSeries: 1000}, readOnly{q}, nil)
	f := func(p logql.Params) {
		t.Helper()
		p.Tenant = "t"
		before := c.calls
		got, err := counted.Query(context.Background(), p)
		if err != nil {
			t.Fatal(err)
		}
		if c.calls != before+1 {
			t.Fatalf("%s: the per-minute counts were not used", p.Query)
		}
		want, err := read.Query(context.Background(), p)
		if err != nil {
			t.Fatal(err)
		}
		gj, _ := json.Marshal(got.Value)
		wj, _ := json.Marshal(want.Value)
		if string(gj) != string(wj) {
			t.Fatalf("%s at %s..%s step %s:\n got %.600s\nwant %.600s", p.Query, p.Start, p.End, p.Step, gj, wj)
		}
	}
	for _, query := range []string{
		`count_over_time({app="a0"}[1m])`,
		`sum by (app) (count_over_time({app=~"a.*"}[5m]))`,
		`rate({pod="3"}[2m] offset 3m)`,
		`sum(bytes_over_time({app=~".+"}[10m]))`,
		`bytes_rate({app="a1"}[1m])`,
		`max by (app) (count_over_time({app=~".+"}[3m]))`,
	} {
		for _, step := range []time.Duration{time.Minute, 2 * time.Minute, 7 * time.Minute} {
			f(logql.Params{Query: query, Start: t0, End: t0.Add(45 * time.Minute), Step: step})
			// Steps inside minutes, at a whole second (where entries lie) and between.
			for _, shift := range []time.Duration{13 * time.Second, 41*time.Second + 1} {
				f(logql.Params{Query: query, Start: t0.Add(shift), End: t0.Add(45*time.Minute + shift), Step: step})
			}
		}
		f(logql.Params{Query: query, Start: t0.Add(20 * time.Minute), End: t0.Add(20 * time.Minute), Instant: true})
		f(logql.Params{Query: query, Start: t0.Add(20*time.Minute + 30*time.Second), End: t0.Add(20*time.Minute + 30*time.Second), Instant: true})
	}
}

// refusing is a MinuteCounter that cannot count (as storage past its bound says).
type refusing struct {
	*logqltest.Querier
	calls int
}

func (r *refusing) CountMinutes(context.Context, logql.CountParams) (*logql.MinuteCountResult, error) {
	r.calls++
	return nil, nil
}

// When storage cannot count, the engine reads the entries and answers the same.
func TestMinuteCountsRefusedAreRead(t *testing.T) {
	q := logqltest.New()
	ls := labels.FromStrings("app", "a")
	for i := range 300 {
		q.Add("t", ls, logql.RawEntry{Timestamp: t0.Add(time.Duration(i) * 7 * time.Second).UnixNano(), Line: []byte(fmt.Sprint("line ", i))})
	}
	r := &refusing{Querier: q}
	p := logql.Params{Tenant: "t", Query: `sum(count_over_time({app="a"}[1m]))`, Start: t0.Add(90 * time.Second), End: t0.Add(30 * time.Minute), Step: time.Minute}
	got, err := logql.NewEngine(logql.EngineConfig{MaxSeries: 100}, r, nil).Query(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	want, err := logql.NewEngine(logql.EngineConfig{MaxSeries: 100}, readOnly{q}, nil).Query(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	gj, _ := json.Marshal(got.Value)
	wj, _ := json.Marshal(want.Value)
	if r.calls != 1 || string(gj) != string(wj) || len(wj) < 100 {
		t.Fatalf("%d calls; got %.300s, want %.300s", r.calls, gj, wj)
	}
}
