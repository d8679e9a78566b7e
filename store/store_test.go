package store_test

import (
	"context"
	"flag"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/grafana/loki/pkg/push"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/jetlog/jetlog/bus"
	"github.com/jetlog/jetlog/chunk"
	"github.com/jetlog/jetlog/chunker"
	"github.com/jetlog/jetlog/internal/testutil"
	"github.com/jetlog/jetlog/logql"
	"github.com/jetlog/jetlog/logql/syntax"
	"github.com/jetlog/jetlog/objstore"
	"github.com/jetlog/jetlog/objstore/filesystem"
	"github.com/jetlog/jetlog/schemas"
	"github.com/jetlog/jetlog/schemas/labels"
	"github.com/jetlog/jetlog/store"
)

type env struct {
	bus    *bus.Bus
	bucket objstore.Bucket
	store  *store.Store
}

func newEnv(t *testing.T) *env {
	t.Helper()
	b := testutil.Bus(t, 4)
	bk := tempBucket(t)
	return &env{bus: b, bucket: bk, store: newStore(t, bk, b, b, nil)}
}

// tempBucket is a filesystem bucket in a temporary directory.
func tempBucket(t *testing.T) *filesystem.Bucket {
	t.Helper()
	bk, err := filesystem.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return bk
}

// newStore reads bk with b's checkpoints and tail (nil: objects only); reg may be nil.
func newStore(t *testing.T, bk objstore.Bucket, b *bus.Bus, tail store.Tail, reg prometheus.Registerer) *store.Store {
	t.Helper()
	st, err := store.New(store.Config{}, bk, b.Checkpoints(), tail, testutil.Discard(), reg)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func (e *env) publish(t *testing.T, tenant, lbls string, entries ...push.Entry) {
	t.Helper()
	p := schemas.Partition(tenant, lbls, e.bus.Partitions())
	streams := []push.Stream{{Labels: lbls, Entries: entries}}
	payload, id, err := schemas.EncodeBatch(tenant, p, streams)
	if err != nil {
		t.Fatal(err)
	}
	msg := schemas.Message{Subject: schemas.Subject(tenant, p), MsgID: id, Tenant: tenant, Partition: p, Payload: payload, Times: schemas.TimesOf(streams)}
	if err := e.bus.PublishAll(context.Background(), []schemas.Message{msg}); err != nil {
		t.Fatal(err)
	}
}

// selectAll reads the tenant's entries both ways an iterator gives them, Next and Walk,
// and fails unless both agree.
func (e *env) selectAll(t *testing.T, tenant string, ms ...*labels.Matcher) []string {
	t.Helper()
	p := logql.SelectParams{Tenant: tenant, Start: 0, End: 1 << 62, Matchers: ms}
	var byNext, byWalk []string
	format := func(out *[]string, b *logql.Batch) {
		for _, en := range b.Entries {
			*out = append(*out, fmt.Sprintf("%s %d %s %s", b.Labels, en.Timestamp, en.Line, en.Metadata))
		}
	}
	it, err := e.store.SelectLogs(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	for it.Next() {
		format(&byNext, it.At())
	}
	if err := it.Err(); err != nil {
		t.Fatal(err)
	}
	it.Close()
	it, err = e.store.SelectLogs(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	err = it.(logql.BatchWalker).Walk(func(b *logql.Batch) {
		mu.Lock()
		defer mu.Unlock()
		format(&byWalk, b)
	})
	it.Close()
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(byNext)
	sort.Strings(byWalk)
	if fmt.Sprint(byNext) != fmt.Sprint(byWalk) {
		t.Fatalf("Next gives %v, Walk %v", byNext, byWalk)
	}
	return byNext
}

func entry(ts int64, line string) push.Entry {
	return push.Entry{Timestamp: time.Unix(0, ts), Line: line}
}

// startChunker runs a chunker that flushes only when told to.
func (e *env) startChunker(t *testing.T) (context.Context, *chunker.Chunker) {
	t.Helper()
	var cc chunker.Config
	cc.RegisterFlags(flag.NewFlagSet("c", flag.PanicOnError))
	cc.MaxChunkAge, cc.IdlePeriod = time.Hour, time.Hour
	c, err := chunker.New(cc, chunker.Deps{Bus: e.bus, Bucket: e.bucket, Logger: testutil.Discard()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go c.Run(ctx)
	t.Cleanup(func() { c.Close() })
	return ctx, c
}

func TestExactlyOnceAcrossTailFlushAndDuplicates(t *testing.T) {
	e := newEnv(t)
	ctx, c := e.startChunker(t)

	md := push.Entry{Timestamp: time.Unix(0, 3), Line: "three", StructuredMetadata: push.LabelsAdapter{{Name: "trace_id", Value: "x"}}}
	e.publish(t, "t1", `{app="a"}`, entry(1, "one"), entry(2, "two"), md)
	e.publish(t, "t1", `{app="b"}`, entry(1, "bee"))
	e.publish(t, "t2", `{app="a"}`, entry(1, "other tenant"))
	want := []string{`{app="a"} 1 one {}`, `{app="a"} 2 two {}`, `{app="a"} 3 three {trace_id="x"}`, `{app="b"} 1 bee {}`}
	sort.Strings(want)
	check := func(stage string) {
		t.Helper()
		if got := e.selectAll(t, "t1"); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("%s: got %v, want %v", stage, got, want)
		}
	}
	check("tail only")
	if err := c.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	check("flushed")
	// The same entry pushed again later (a new message) is stored twice but returned once;
	// a new entry with the same timestamp and another line is kept.
	e.publish(t, "t1", `{app="a"}`, entry(2, "two"), entry(2, "two bis"))
	want = append(want, `{app="a"} 2 two bis {}`)
	sort.Strings(want)
	check("duplicate in tail")
	if err := c.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	check("duplicate in two objects")
	if got := e.selectAll(t, "t1", labels.MustNewMatcher(labels.MatchEqual, "app", "b")); len(got) != 1 {
		t.Fatalf("matcher: %v", got)
	}
	if got := e.selectAll(t, "t2"); len(got) != 1 || got[0] != `{app="a"} 1 other tenant {}` {
		t.Fatalf("tenant isolation: %v", got)
	}
	stats, err := e.store.StreamStats(ctx, logql.StreamStatsParams{Tenant: "t1", Start: 0, End: 1 << 62})
	if err != nil || len(stats) != 2 {
		t.Fatalf("stream stats: %v %+v", err, stats)
	}
}

func putObject(t *testing.T, bk objstore.Bucket, tenant, id string, src []schemas.SeqRange, replaces []string, lines ...string) {
	t.Helper()
	var es []chunk.Entry
	for i, l := range lines {
		es = append(es, chunk.Entry{Timestamp: int64(i + 1), Line: l})
	}
	data, index, err := chunk.Build([]chunk.Stream{{Labels: labels.FromStrings("app", "a"), Entries: es}}, src, replaces)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := bk.Put(ctx, schemas.DataKey(tenant, id), data); err != nil {
		t.Fatal(err)
	}
	if err := bk.Put(ctx, schemas.IndexKey(tenant, id), index); err != nil {
		t.Fatal(err)
	}
}

func TestVisibilityRules(t *testing.T) {
	bk := tempBucket(t)
	ctx := context.Background()
	b := testutil.Bus(t, 1)
	// Epoch 1 committed 1..5, then epoch 2 took over and committed 6..10.
	cp := schemas.Checkpoint{Partition: 0}.NextEpoch().Advance(5).NextEpoch().Advance(10)
	if _, err := b.Checkpoints().Set(ctx, cp, 0); err != nil {
		t.Fatal(err)
	}
	putObject(t, bk, "t", "s1", []schemas.SeqRange{{Partition: 0, Epoch: 1, From: 1, To: 5}}, nil, "a1", "a2")
	putObject(t, bk, "t", "s2", []schemas.SeqRange{{Partition: 0, Epoch: 2, From: 6, To: 10}}, nil, "b1")
	putObject(t, bk, "t", "s3", []schemas.SeqRange{{Partition: 0, Epoch: 2, From: 11, To: 12}}, nil, "uncommitted")
	// The epoch-1 owner kept writing after epoch 2 began: its object is never visible,
	// although its range lies below the checkpoint.
	putObject(t, bk, "t", "z1", []schemas.SeqRange{{Partition: 0, Epoch: 1, From: 6, To: 8}}, nil, "zombie")
	st := newStore(t, bk, b, nil, nil)
	e := &env{bucket: bk, store: st}
	if got := e.selectAll(t, "t"); len(got) != 3 {
		t.Fatalf("committed segments only: %v", got)
	}
	// A compacted segment replacing s1 and s2 hides them; its own rows count once.
	putObject(t, bk, "t", "m1", []schemas.SeqRange{{Partition: 0, Epoch: 1, From: 1, To: 5}, {Partition: 0, Epoch: 2, From: 6, To: 10}},
		[]string{"s1", "s2"}, "a1", "a2", "b1")
	if got := e.selectAll(t, "t"); len(got) != 3 {
		t.Fatalf("after compaction: %v", got)
	}
	// A corrupt data object is an error, not a wrong answer.
	if err := bk.Put(ctx, schemas.DataKey("t", "m1"), []byte("garbage")); err != nil {
		t.Fatal(err)
	}
	it, err := st.SelectLogs(ctx, logql.SelectParams{Tenant: "t", End: 1 << 62})
	if err == nil {
		for it.Next() {
		}
		err = it.Err()
		it.Close()
	}
	if err == nil {
		t.Fatal("corrupt object read without error")
	}
}

// TestTailLineFilter: a line filter over a tail read by several consumers at once keeps
// exactly the lines that hold its literals, whether the message holding them has other lines,
// holds a literal only in a label, or has none of them.
func TestTailLineFilter(t *testing.T) {
	e := newEnv(t)
	var msgs []schemas.Message
	var want []string
	for i := 0; i < 3000; i++ {
		lbls := fmt.Sprintf(`{app="a%d"}`, i%7)
		entries := []push.Entry{entry(int64(3*i), fmt.Sprint("plain ", i)), entry(int64(3*i+1), fmt.Sprint("more ", i))}
		switch i % 100 {
		case 10: // a match among other lines
			entries[1].Line = fmt.Sprint("a needle x ", i)
			want = append(want, fmt.Sprintf("%s %d %s", lbls, 3*i+1, entries[1].Line))
		case 20: // one literal only
			entries[0].Line = fmt.Sprint("needle ", i)
		case 30: // both literals only in the labels
			lbls = `{app="needle x"}`
		}
		p := schemas.Partition("t", lbls, e.bus.Partitions())
		payload, id, err := schemas.EncodeBatch("t", p, []push.Stream{{Labels: lbls, Entries: entries}})
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, schemas.Message{Subject: schemas.Subject("t", p), MsgID: id, Tenant: "t", Partition: p, Payload: payload})
	}
	if err := e.bus.PublishAll(context.Background(), msgs); err != nil {
		t.Fatal(err)
	}
	filters := []syntax.LineFilter{{Op: syntax.LineContains, Values: []string{"needle"}}, {Op: syntax.LineContains, Values: []string{"x"}}}
	it, err := e.store.SelectLogs(context.Background(), logql.SelectParams{Tenant: "t", Start: 0, End: 1 << 62, LineFilters: filters})
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	var got []string
	for it.Next() {
		b := it.At()
		for _, en := range b.Entries {
			got = append(got, fmt.Sprintf("%s %d %s", b.Labels, en.Timestamp, en.Line))
		}
	}
	if err := it.Err(); err != nil {
		t.Fatal(err)
	}
	sort.Strings(got)
	sort.Strings(want)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got %d lines %v\nwant %d %v", len(got), got, len(want), want)
	}
}

// A query decodes only the bus messages whose time range meets its own, and still gets
// every entry of the range: with ranges that end inside a message, between messages, and
// messages published without their time range (read whole).
func TestTailSkipsMessagesOutsideTheRange(t *testing.T) {
	reg := prometheus.NewRegistry()
	e := &env{bus: testutil.Bus(t, 1)}
	e.bucket = tempBucket(t)
	e.store = newStore(t, e.bucket, e.bus, e.bus, reg)
	publishTens(t, e, "t")
	skipped := func() float64 { return counter(reg, "jetlog_store_tail_messages_skipped_total") }
	for _, r := range tensRanges {
		before := skipped()
		checkTens(t, context.Background(), e.store, r, 100)
		if got, outside := skipped()-before, tensOutside(r); got != outside {
			t.Fatalf("range %v: %v messages skipped, want %v", r, got, outside)
		}
	}
}

// publishTens publishes ten bus messages of tenant's stream {app="a"}: message m holds the
// entries at 10m .. 10m+9, "line <ts>"; message 7 is published without its time range.
func publishTens(t *testing.T, e *env, tenant string) {
	t.Helper()
	for m := int64(0); m < 10; m++ {
		var es []push.Entry
		for i := int64(0); i < 10; i++ {
			es = append(es, entry(10*m+i, fmt.Sprint("line ", 10*m+i)))
		}
		if m == 7 {
			p := schemas.Partition(tenant, `{app="a"}`, e.bus.Partitions())
			payload, id, err := schemas.EncodeBatch(tenant, p, []push.Stream{{Labels: `{app="a"}`, Entries: es}})
			if err != nil {
				t.Fatal(err)
			}
			if err := e.bus.PublishAll(context.Background(), []schemas.Message{{Subject: schemas.Subject(tenant, p), MsgID: id, Tenant: tenant, Partition: p, Payload: payload}}); err != nil {
				t.Fatal(err)
			}
			continue
		}
		e.publish(t, tenant, `{app="a"}`, es...)
	}
}

// tensRanges are query ranges over publishTens's messages: ending inside a message, between
// messages, past them all.
var tensRanges = [][2]int64{{0, 100}, {25, 26}, {30, 40}, {39, 61}, {65, 85}, {100, 200}}

// tensOutside is how many of publishTens's messages lie wholly outside r: message 7, which
// has no time range, never does.
func tensOutside(r [2]int64) float64 {
	var outside float64
	for m := int64(0); m < 10; m++ {
		if m != 7 && (10*m+9 < r[0] || 10*m >= r[1]) {
			outside++
		}
	}
	return outside
}

// checkTens selects r and fails unless it gets exactly the entries of publishTens's first
// upTo in r.
func checkTens(t *testing.T, ctx context.Context, st *store.Store, r [2]int64, upTo int64) {
	t.Helper()
	it, err := st.SelectLogs(ctx, logql.SelectParams{Tenant: "t", Start: r[0], End: r[1]})
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	var n int64
	for it.Next() {
		for _, en := range it.At().Entries {
			if en.Timestamp < r[0] || en.Timestamp >= r[1] || string(en.Line) != fmt.Sprint("line ", en.Timestamp) {
				t.Fatalf("range %v: entry %d %q", r, en.Timestamp, en.Line)
			}
			n++
		}
	}
	if err := it.Err(); err != nil {
		t.Fatal(err)
	}
	if want := min(r[1], upTo) - min(r[0], upTo); n != want {
		t.Fatalf("range %v: %d entries, want %d", r, n, want)
	}
}

// counter is the value of the registry's counter of that name, -1 without one.
func counter(reg *prometheus.Registry, name string) float64 {
	mfs, _ := reg.Gather()
	for _, mf := range mfs {
		if mf.GetName() == name {
			return mf.GetMetric()[0].GetCounter().GetValue()
		}
	}
	return -1
}
