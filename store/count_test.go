package store_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/grafana/loki/pkg/push"

	"github.com/jetlog/jetlog/logql"
	"github.com/jetlog/jetlog/store"
)

// Per-minute counts from the index and the tail equal the entries a query reads; streams
// with metadata are left to be read; a duplicate in two overlapping sources counts once.
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
	if len(res.Streams) != 2 || len(res.Rest) != 1 {
		t.Fatalf("counted %d streams, rest %d", len(res.Streams), len(res.Rest))
	}
	counts := map[string]string{}
	for _, st := range res.Streams {
		counts[st.Labels.String()] = fmt.Sprint(st.Entries, st.StartEntries, st.Bytes, st.StartBytes)
	}
	for ls, want := range map[string]string{
		`{app="a"}`: "[2 1 1 1 0] [1 1 0 1 0] [6 1 1 1 0] [5 1 0 1 0]",
		// b2 is in the object and in the tail: once.
		`{app="b"}`: "[1 0 1 1 0] [0 0 0 1 0] [2 0 2 2 0] [0 0 0 2 0]",
	} {
		if counts[ls] != want {
			t.Fatalf("counts of %s: %s, want %s", ls, counts[ls], want)
		}
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
	if err := it.Err(); err != nil || n != 1 {
		t.Fatalf("rest: %d entries (%v), want m", n, err)
	}
}

// Counts of streams whose objects and tail overlap, with exact duplicates in several of
// them and distinct lines at one timestamp, equal what a query reads (which returns each
// distinct entry once).
func TestCountMinutesOfOverlappingSources(t *testing.T) {
	e := newEnv(t)
	ctx, c := e.startChunker(t)
	r := rand.New(rand.NewPCG(3, 4))
	const min = int64(60e9)
	var sent []push.Entry
	for round := range 4 {
		for m := range 12 {
			var es []push.Entry
			for range 20 {
				switch k := r.IntN(10); {
				case k < 2 && len(sent) > 0: // an entry again, in another message
					es = append(es, sent[r.IntN(len(sent))])
				case k < 3 && len(sent) > 0: // another line at a timestamp already used
					old := sent[r.IntN(len(sent))]
					es = append(es, push.Entry{Timestamp: old.Timestamp, Line: fmt.Sprintf("other %d", r.IntN(3))})
				default:
					ts := 500*min + int64(r.IntN(6))*min + int64(r.IntN(4))*min/4 // many at minute starts
					es = append(es, push.Entry{Timestamp: time.Unix(0, ts), Line: fmt.Sprintf("line %d", r.IntN(1000))})
				}
			}
			sent = append(sent, es...)
			e.publish(t, "t", fmt.Sprintf(`{app="s%d"}`, m%3), es...)
		}
		if round < 3 { // the last round stays in the tail
			if err := c.Flush(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Minutes from their first nanosecond (the index's counts) and shifted (read rows).
	for _, off := range []int64{0, min / 4, 59e9 + 1} {
		res, err := e.store.CountMinutes(ctx, logql.CountParams{Tenant: "t", From: 499, Through: 507, Offset: off})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Streams) != 3 || len(res.Rest) != 0 {
			t.Fatalf("offset %d: counted %d streams, rest %d", off, len(res.Streams), len(res.Rest))
		}
		for _, st := range res.Streams {
			got := fmt.Sprint(st.Entries, st.StartEntries, st.Bytes, st.StartBytes)
			n := len(st.Entries)
			want := logql.MinuteCounts{Entries: make([]int64, n), StartEntries: make([]int64, n), Bytes: make([]int64, n), StartBytes: make([]int64, n)}
			it, err := e.store.SelectLogs(ctx, logql.SelectParams{Tenant: "t", Start: 0, End: 1 << 62, Streams: []uint64{st.Hash}})
			if err != nil {
				t.Fatal(err)
			}
			for it.Next() {
				for _, en := range it.At().Entries {
					ts := en.Timestamp - off
					i := ts/min - 499
					if i < 0 || i >= int64(n) {
						continue
					}
					want.Entries[i]++
					want.Bytes[i] += int64(len(en.Line))
					if ts%min == 0 {
						want.StartEntries[i]++
						want.StartBytes[i] += int64(len(en.Line))
					}
				}
			}
			if err := it.Err(); err != nil {
				t.Fatal(err)
			}
			it.Close()
			if w := fmt.Sprint(want.Entries, want.StartEntries, want.Bytes, want.StartBytes); got != w {
				t.Fatalf("offset %d, %s: counted %s, read %s", off, st.Labels, got, w)
			}
		}
	}
	// Past its bound of streams times minutes (3 streams of 9 minutes here) the store says
	// it cannot count, so that the engine reads instead.
	for bound, counts := range map[int64]bool{27: true, 26: false} {
		restore := store.SetMaxCountCells(bound)
		res, err := e.store.CountMinutes(ctx, logql.CountParams{Tenant: "t", From: 499, Through: 507, Offset: 7})
		restore()
		if err != nil || (res != nil) != counts {
			t.Fatalf("bound %d: result %v (%v), want one: %v", bound, res, err, counts)
		}
	}
}
