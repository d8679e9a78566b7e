package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/jetlog/jetlog/bus"
	"github.com/jetlog/jetlog/internal/testutil"
	"github.com/jetlog/jetlog/logql"
	"github.com/jetlog/jetlog/schemas"
	"github.com/jetlog/jetlog/store"
)

// Under store.Share, the first read fetches the whole tail and the others only the messages
// whose time range meets theirs, and every read is exact; messages published after the first
// read are not part of the shared view (one snapshot, one tail), while a read outside it sees
// them. Another tenant's messages between the runs change nothing.
func TestSharedReadsFetchOnlyTheirMessages(t *testing.T) {
	reg := prometheus.NewRegistry()
	e := tensEnv(t, func(b *bus.Bus) store.Tail { return b }, reg)
	publishTens(t, e, "other")
	notFetched := func() float64 { return counter(reg, "jetlog_store_tail_messages_not_fetched_total") }

	ctx := store.Share(context.Background())
	checkTens(t, ctx, e.store, [2]int64{0, 1}, 100) // the first read: every message
	if got := notFetched(); got != 0 {
		t.Fatalf("the first read left %v messages unfetched", got)
	}
	e.publish(t, "t", `{app="a"}`, entry(100, "line 100"))
	for _, r := range tensRanges {
		before := notFetched()
		checkTens(t, ctx, e.store, r, 100)
		if got, outside := notFetched()-before, tensOutside(r); got != outside {
			t.Fatalf("range %v: %v messages not fetched, want %v", r, got, outside)
		}
	}
	checkTens(t, context.Background(), e.store, [2]int64{0, 200}, 101)

	// Reads of one query at once: whichever comes first fetches the whole tail.
	ctx = store.Share(context.Background())
	checkTensAtOnce(t, ctx, e.store, 101)()
}

// checkTensAtOnce runs checkTens for every one of tensRanges at once; the function it
// returns waits for them.
func checkTensAtOnce(t *testing.T, ctx context.Context, st *store.Store, upTo int64) (wait func()) {
	var wg sync.WaitGroup
	for _, r := range tensRanges {
		wg.Add(1)
		go func() {
			defer wg.Done()
			checkTens(t, ctx, st, r, upTo)
		}()
	}
	return wg.Wait
}

// tensEnv is an env with publishTens's messages of tenant t on a bus of two partitions, whose
// store reads the tail through tail(bus) and registers its metrics in reg.
func tensEnv(t *testing.T, tail func(*bus.Bus) store.Tail, reg prometheus.Registerer) *env {
	e := &env{bus: testutil.Bus(t, 2), bucket: tempBucket(t)}
	e.store = newStore(t, e.bucket, e.bus, tail(e.bus), reg)
	publishTens(t, e, "t")
	return e
}

// A read whose context ends gets its error, and leaves nothing shared that is wrong; a
// failed first fetch makes the later reads fetch the whole tail themselves.
func TestSharedReadAfterAFailedFirstRead(t *testing.T) {
	e := newEnv(t)
	publishTens(t, e, "t")
	ctx := store.Share(context.Background())
	// Stream statistics take the shared snapshot but read the tail on their own.
	if _, err := e.store.StreamStats(ctx, logql.StreamStatsParams{Tenant: "t", Start: 0, End: 100}); err != nil {
		t.Fatal(err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := e.store.SelectLogs(cancelled, logql.SelectParams{Tenant: "t", Start: 0, End: 100}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled read: %v", err)
	}
	for _, r := range tensRanges {
		checkTens(t, ctx, e.store, r, 100)
	}

	g := &gatedTail{Tail: e.bus, gate: make(chan struct{}), fail: errors.New("bus down")}
	close(g.gate)
	e.store = newStore(t, e.bucket, e.bus, g, nil)
	ctx = store.Share(context.Background())
	if _, err := e.store.SelectLogs(ctx, logql.SelectParams{Tenant: "t", Start: 0, End: 100}); !errors.Is(err, g.fail) {
		t.Fatalf("first read: %v, want %v", err, g.fail)
	}
	for _, r := range tensRanges {
		checkTens(t, ctx, e.store, r, 100)
	}
	if w, r := g.whole.Load(), g.ranged.Load(); w != int32(1+len(tensRanges)) || r != 0 {
		t.Fatalf("%d whole-tail fetches and %d ranged ones, want %d and 0", w, r, 1+len(tensRanges))
	}
}

// gatedTail is a store.Tail that counts the fetches and holds each whole-tail fetch until
// gate is closed; the first whole-tail fetch fails with fail when it is set.
type gatedTail struct {
	store.Tail
	gate          chan struct{}
	fail          error
	whole, ranged atomic.Int32
}

func (g *gatedTail) ReadTail(ctx context.Context, tenant string, after func(int) uint64, fn func(schemas.TailMessage) error) error {
	if g.whole.Add(1) == 1 && g.fail != nil {
		return g.fail
	}
	<-g.gate
	return g.Tail.ReadTail(ctx, tenant, after, fn)
}

func (g *gatedTail) ReadTailRanges(ctx context.Context, tenant string, after func(int) uint64, ranges [][2]uint64, fn func(schemas.TailMessage) error) error {
	g.ranged.Add(1)
	return g.Tail.ReadTailRanges(ctx, tenant, after, ranges, fn)
}

// Reads that start while the first one has handed over no message take theirs from its
// fetch: one fetch of the tail for all of them, and each exact.
func TestSharedReadsJoinTheFirstFetch(t *testing.T) {
	reg := prometheus.NewRegistry()
	var g *gatedTail
	e := tensEnv(t, func(b *bus.Bus) store.Tail { g = &gatedTail{Tail: b, gate: make(chan struct{})}; return g }, reg)
	wait := checkTensAtOnce(t, store.Share(context.Background()), e.store, 100)
	joined := func() float64 { return counter(reg, "jetlog_store_tail_reads_joined_total") }
	for i := 0; i < 500 && joined() < float64(len(tensRanges)-1); i++ {
		time.Sleep(10 * time.Millisecond)
	}
	if got := joined(); got != float64(len(tensRanges)-1) {
		t.Fatalf("%v reads joined the first fetch, want %d", got, len(tensRanges)-1)
	}
	close(g.gate)
	wait()
	if w, r := g.whole.Load(), g.ranged.Load(); w != 1 || r != 0 {
		t.Fatalf("%d whole-tail fetches and %d ranged ones, want 1 and 0", w, r)
	}
}

// Under store.Share, the two sides of a binary operation read the tail in one fetch: the
// engine starts them together.
func TestBinaryOperationSidesShareTheTail(t *testing.T) {
	reg := prometheus.NewRegistry()
	var g *gatedTail
	e := tensEnv(t, func(b *bus.Bus) store.Tail { g = &gatedTail{Tail: b, gate: make(chan struct{})}; return g }, reg)
	eng := logql.NewEngine(logql.EngineConfig{MaxSeries: 100}, e.store, nil)
	p := logql.Params{Tenant: "t", Instant: true, Start: time.Unix(0, 100), End: time.Unix(0, 100),
		Query: `sum(count_over_time({app="a"} |= "line" [1m])) - 2 * sum(count_over_time({app="a"} != "line 5" [1m]))`}
	type answer struct {
		res logql.Result
		err error
	}
	ch := make(chan answer, 1)
	go func() {
		res, err := eng.Query(store.Share(context.Background()), p)
		ch <- answer{res, err}
	}()
	joined := func() float64 { return counter(reg, "jetlog_store_tail_reads_joined_total") }
	for i := 0; i < 500 && joined() < 1; i++ {
		time.Sleep(10 * time.Millisecond)
	}
	close(g.gate)
	a := <-ch
	if a.err != nil {
		t.Fatal(a.err)
	}
	if got := joined(); got != 1 {
		t.Fatalf("%v reads joined the first fetch, want 1", got)
	}
	if w, r := g.whole.Load(), g.ranged.Load(); w != 1 || r != 0 {
		t.Fatalf("%d whole-tail fetches and %d ranged ones, want 1 and 0", w, r)
	}
	// 100 lines hold "line", 89 not "line 5" (5, 50-59): 100 - 2*89.
	v, _ := json.Marshal(a.res.Value)
	if !strings.Contains(string(v), `"V":-78}`) {
		t.Fatalf("answer %s", v)
	}
}
