package store_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/grafana/loki/pkg/push"

	"github.com/jetlog/jetlog/logql"
)

// Per-minute counts from the index and the tail equal the entries a query reads; streams
// with metadata or with overlapping sources are left to be read.
func TestCountMinutesMatchesSelect(t *testing.T) {
	e := newEnv(t)
	ctx, c := e.startChunker(t)
	const min = int64(60e9)
	at := func(m, ns int64) int64 { return 100*min + m*min + ns }
	e.publish(t, "t", `{app="a"}`, entry(at(0, 0), "start"), entry(at(0, 5), "x"), entry(at(1, 0), "y"), entry(at(2, 7), "z"))
	e.publish(t, "t", `{app="b"}`, entry(at(0, 1), "b1"), entry(at(3, 0), "b2"))
	md := push.Entry{Timestamp: time.Unix(0, at(1, 3)), Line: "m", StructuredMetadata: push.LabelsAdapter{{Name: "k", Value: "v"}}}
	e.publish(t, "t", `{app="m"}`, md)
	if err := c.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	// After the flush: more of a in the tail, later than its object; b again in the tail,
	// overlapping its object (a duplicate of b2 and a new entry).
	e.publish(t, "t", `{app="a"}`, entry(at(3, 0), "w"), entry(at(3, 0), "w"))
	e.publish(t, "t", `{app="b"}`, entry(at(3, 0), "b2"), entry(at(2, 9), "b3"))

	res, err := e.store.CountMinutes(ctx, logql.CountParams{Tenant: "t", From: 100, Through: 104})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Streams) != 1 || res.Streams[0].Labels.String() != `{app="a"}` || len(res.Rest) != 2 {
		t.Fatalf("counted %d streams, rest %d", len(res.Streams), len(res.Rest))
	}
	got := fmt.Sprint(res.Streams[0].Entries, res.Streams[0].StartEntries, res.Streams[0].Bytes)
	if want := "[2 1 1 1 0] [1 1 0 1 0] [6 1 1 1 0]"; got != want {
		t.Fatalf("counts of a: %s, want %s", got, want)
	}
	// What is left to be read is read by hash.
	it, err := e.store.SelectLogs(ctx, logql.SelectParams{Tenant: "t", Start: 0, End: 1 << 62, Streams: res.Rest})
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	n := 0
	for it.Next() {
		n += len(it.At().Entries)
	}
	if err := it.Err(); err != nil || n != 4 {
		t.Fatalf("rest: %d entries (%v), want b1, b2, b3 and m", n, err)
	}
}
