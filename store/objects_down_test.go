package store_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"sort"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jetlog/jetlog/chunker"
	"github.com/jetlog/jetlog/internal/testutil"
	"github.com/jetlog/jetlog/logql"
	"github.com/jetlog/jetlog/objstore"
	"github.com/jetlog/jetlog/schemas/labels"
	"github.com/jetlog/jetlog/store"
)

// downBucket is a bucket whose every call fails while down is set, as an unreachable
// MinIO's do.
type downBucket struct {
	objstore.Bucket
	down atomic.Bool
}

var errRefused = errors.New("dial tcp 127.0.0.1:9000: connect: connection refused")

func (b *downBucket) Get(ctx context.Context, key string) ([]byte, error) {
	if b.down.Load() {
		return nil, errRefused
	}
	return b.Bucket.Get(ctx, key)
}

func (b *downBucket) List(ctx context.Context, prefix string, fn func(string, int64) error) error {
	if b.down.Load() {
		return errRefused
	}
	return b.Bucket.List(ctx, prefix, fn)
}

// TestObjectStoreDown: while the object store does not answer, a query that needs no stored
// object is answered exactly from the bus; one that does fails as unavailable, never with a
// part of the answer.
func TestObjectStoreDown(t *testing.T) {
	bk := &downBucket{Bucket: tempBucket(t)}
	e := &env{bus: testutil.Bus(t, 4), bucket: bk}
	e.store = newStore(t, bk, e.bus, e.bus, nil)
	var cc chunker.Config
	cc.RegisterFlags(flag.NewFlagSet("c", flag.PanicOnError))
	cc.MaxChunkAge, cc.IdlePeriod = time.Hour, time.Hour
	c, err := chunker.New(cc, chunker.Deps{Bus: e.bus, Bucket: bk, Logger: testutil.Discard()})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	defer c.Close()
	e.publish(t, "t1", `{app="a"}`, entry(1, "one"), entry(2, "two"))
	if err := c.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if got := e.selectAll(t, "t1"); len(got) != 2 {
		t.Fatalf("before the outage: %v", got)
	}
	bk.down.Store(true)
	e.publish(t, "t1", `{app="a"}`, entry(100, "hundred"))
	e.publish(t, "t1", `{app="b"}`, entry(3, "bee"))

	selectRange := func(st *store.Store, start int64, app string) ([]string, error) {
		it, err := st.SelectLogs(ctx, logql.SelectParams{Tenant: "t1", Start: start, End: 1 << 62,
			Matchers: []*labels.Matcher{labels.MustNewMatcher(labels.MatchEqual, "app", app)}})
		if err != nil {
			return nil, err
		}
		defer it.Close()
		var out []string
		for it.Next() {
			for _, en := range it.At().Entries {
				out = append(out, fmt.Sprintf("%d %s", en.Timestamp, en.Line))
			}
		}
		sort.Strings(out)
		return out, it.Err()
	}
	unavailable := func(what string, err error) {
		t.Helper()
		var u interface{ Unavailable() bool }
		if !errors.As(err, &u) || !u.Unavailable() {
			t.Fatalf("%s: err %v, want an unavailable error", what, err)
		}
	}
	// Stream a after the flushed entries, and stream b (never flushed): only on the bus.
	if got, err := selectRange(e.store, 50, "a"); err != nil || fmt.Sprint(got) != "[100 hundred]" {
		t.Fatalf("unflushed range of a: %v %v", got, err)
	}
	if got, err := selectRange(e.store, 0, "b"); err != nil || fmt.Sprint(got) != "[3 bee]" {
		t.Fatalf("stream b: %v %v", got, err)
	}
	_, err = selectRange(e.store, 0, "a")
	unavailable("a range holding flushed entries", err)
	// A querier that never read the index cannot tell what is stored.
	_, err = selectRange(newStore(t, bk, e.bus, e.bus, nil), 50, "a")
	unavailable("a store without a previous snapshot", err)

	bk.down.Store(false)
	if got := e.selectAll(t, "t1"); len(got) != 4 {
		t.Fatalf("after the outage: %v", got)
	}
}
