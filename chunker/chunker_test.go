package chunker_test

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/grafana/loki/pkg/push"
	"github.com/klauspost/compress/s2"
	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/jetlog/jetlog/bus"
	"github.com/jetlog/jetlog/chunk"
	"github.com/jetlog/jetlog/chunker"
	"github.com/jetlog/jetlog/internal/testutil"
	"github.com/jetlog/jetlog/objstore"
	"github.com/jetlog/jetlog/objstore/filesystem"
	"github.com/jetlog/jetlog/schemas"
	"github.com/jetlog/jetlog/schemas/labels"
)

type env struct {
	url    string // the NATS server
	bus    *bus.Bus
	bucket objstore.Bucket
}

func newEnv(t *testing.T) *env {
	t.Helper()
	url := testutil.StartNATS(t)
	bk, err := filesystem.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return &env{url: url, bus: testutil.BusAt(t, url, 4), bucket: bk}
}

func (e *env) chunker(t *testing.T, mutate func(*chunker.Config)) *chunker.Chunker {
	t.Helper()
	return e.chunkerOn(t, e.bus, mutate)
}

// chunkerOn starts a chunker on its own bus connection b (another process, in effect).
func (e *env) chunkerOn(t *testing.T, b *bus.Bus, mutate func(*chunker.Config)) *chunker.Chunker {
	t.Helper()
	var cfg chunker.Config
	cfg.RegisterFlags(flag.NewFlagSet("c", flag.PanicOnError))
	cfg.MaxChunkAge, cfg.IdlePeriod = time.Hour, time.Hour
	if mutate != nil {
		mutate(&cfg)
	}
	c, err := chunker.New(cfg, chunker.Deps{Bus: b, Bucket: e.bucket, Logger: testutil.Discard(), Registerer: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go c.Run(ctx)
	t.Cleanup(func() { cancel(); _ = c.Close() })
	return c
}

// publish sends one message per stream with n entries "<stream>-<i>" for tenant.
func (e *env) publish(t *testing.T, tenant string, streams []string, n int, base time.Time) []string {
	t.Helper()
	var msgs []schemas.Message
	var want []string
	for _, s := range streams {
		ls := fmt.Sprintf(`{app=%q}`, s)
		st := push.Stream{Labels: ls}
		for i := 0; i < n; i++ {
			line := fmt.Sprintf("%s-%d", s, i)
			st.Entries = append(st.Entries, push.Entry{Timestamp: base.Add(time.Duration(i)), Line: line})
			want = append(want, tenant+"|"+ls+"|"+line)
		}
		p := schemas.Partition(tenant, ls, e.bus.Partitions())
		payload, id, err := schemas.EncodeBatch(tenant, p, []push.Stream{st})
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, schemas.Message{Subject: schemas.Subject(tenant, p), MsgID: id, Tenant: tenant, Partition: p, Payload: payload})
	}
	if err := e.bus.PublishAll(context.Background(), msgs); err != nil {
		t.Fatal(err)
	}
	return want
}

// stored decodes every committed data object of the tenants into "tenant|labels|line" rows
// ("|metadata" appended when an entry has some):
// those whose sources the checkpoints cover, as a querier sees them.
func (e *env) stored(t *testing.T, tenants ...string) []string {
	t.Helper()
	ctx := context.Background()
	cps, err := e.bus.Checkpoints().All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, tenant := range tenants {
		err := e.bucket.List(ctx, schemas.IndexPrefix(tenant), func(key string, _ int64) error {
			id, _ := schemas.IDFromIndexKey(key)
			ib, err := e.bucket.Get(ctx, key)
			if err != nil {
				return err
			}
			idx, err := chunk.DecodeIndex(ib)
			if err != nil {
				return err
			}
			for _, src := range idx.Sources {
				if !cps[src.Partition].Covers(src) {
					return nil
				}
			}
			data, err := e.bucket.Get(ctx, schemas.DataKey(tenant, id))
			if err != nil {
				return err
			}
			ords := make([]int, len(idx.Streams))
			for i := range ords {
				ords[i] = i
			}
			return chunk.Read(data, idx, ords, 0, 1<<62, func(ord int, ts int64, line []byte, md labels.Labels) error {
				row := tenant + "|" + idx.Streams[ord].Labels.String() + "|" + string(line)
				if len(md) > 0 {
					row += "|" + md.String()
				}
				out = append(out, row)
				return nil
			})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	sort.Strings(out)
	return out
}

func sorted(s []string) []string { sort.Strings(s); return s }

func TestFlushCommitsExactlyThePublishedEntries(t *testing.T) {
	e := newEnv(t)
	c := e.chunker(t, nil)
	base := time.Now()
	want := e.publish(t, "t1", []string{"a", "b", "c"}, 50, base)
	want = append(want, e.publish(t, "t2", []string{"a"}, 20, base)...)
	if err := c.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got, w := e.stored(t, "t1", "t2"), sorted(want); strings.Join(got, "\n") != strings.Join(w, "\n") {
		t.Fatalf("stored %d rows, want %d\n%v", len(got), len(w), got)
	}
	// A second flush with nothing new writes nothing more.
	if err := c.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := e.stored(t, "t1", "t2"); len(got) != len(want) {
		t.Fatalf("after an empty flush %d rows, want %d", len(got), len(want))
	}
	// Tenant prefixes hold only their own tenant's streams.
	if got := e.stored(t, "t2"); len(got) != 20 {
		t.Fatalf("tenant t2 has %d rows, want 20", len(got))
	}
}

func TestRestartRollsBackUncommittedFlush(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	base := time.Now()
	want := e.publish(t, "t1", []string{"a", "b"}, 10, base)
	// Simulate a crash after objects were written but before the checkpoint: an intent beyond
	// the (missing) checkpoint, and a bogus object it names.
	p := schemas.Partition("t1", `{app="a"}`, e.bus.Partitions())
	bogusID := schemas.FlushID(p, 1, 1, 99)
	bogus := []string{schemas.DataKey("t1", bogusID), schemas.IndexKey("t1", bogusID)}
	for _, k := range bogus {
		if err := e.bucket.Put(ctx, k, []byte("half-written")); err != nil {
			t.Fatal(err)
		}
	}
	in, _ := json.Marshal(schemas.Intent{Partition: p, Epoch: 1, From: 1, To: 99, Keys: bogus})
	if err := e.bucket.Put(ctx, schemas.IntentKey(p), in); err != nil {
		t.Fatal(err)
	}
	c := e.chunker(t, nil)
	if err := c.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	for _, k := range bogus {
		if _, err := e.bucket.Get(ctx, k); !objstore.IsNotFound(err) {
			t.Fatalf("uncommitted object %s survived recovery: %v", k, err)
		}
	}
	if got, w := e.stored(t, "t1"), sorted(want); strings.Join(got, "\n") != strings.Join(w, "\n") {
		t.Fatalf("stored %v, want %v", got, w)
	}
}

func TestRestartResumesAfterCheckpoint(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	base := time.Now()
	want := e.publish(t, "t1", []string{"a", "b", "c", "d"}, 5, base)
	c1 := e.chunker(t, nil)
	if err := c1.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c1.Close(); err != nil {
		t.Fatal(err)
	}
	want = append(want, e.publish(t, "t1", []string{"a", "e"}, 5, base.Add(time.Second))...)
	c2 := e.chunker(t, nil) // a new process: must not store the first batch twice
	if err := c2.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if got, w := e.stored(t, "t1"), sorted(want); strings.Join(got, "\n") != strings.Join(w, "\n") {
		t.Fatalf("stored %d rows, want %d", len(got), len(w))
	}
}

func TestFlushTriggersBySize(t *testing.T) {
	e := newEnv(t)
	e.chunker(t, func(c *chunker.Config) { c.MaxChunkBytes = 100; c.MaxBufferedBytes = 100 })
	want := e.publish(t, "t1", []string{"a"}, 50, time.Now())
	testutil.Eventually(t, 10*time.Second, "size-triggered flush", func() bool {
		return len(e.stored(t, "t1")) == len(want)
	})
}

// failingPuts is a bucket whose writes fail while down is set, as an unreachable MinIO's do.
type failingPuts struct {
	objstore.Bucket
	down atomic.Bool
}

func (b *failingPuts) Put(ctx context.Context, key string, data []byte) error {
	if b.down.Load() {
		return errors.New("dial tcp 127.0.0.1:9000: connect: connection refused")
	}
	return b.Bucket.Put(ctx, key, data)
}

// TestCloseWhileTheObjectStoreIsDown: the final flush gives up after the shutdown timeout
// instead of retrying for minutes, and the next owner flushes what it could not.
func TestCloseWhileTheObjectStoreIsDown(t *testing.T) {
	e := newEnv(t)
	fb := &failingPuts{Bucket: e.bucket}
	var cfg chunker.Config
	cfg.RegisterFlags(flag.NewFlagSet("c", flag.PanicOnError))
	cfg.MaxChunkAge, cfg.IdlePeriod, cfg.ShutdownTimeout = time.Hour, time.Hour, time.Second
	c, err := chunker.New(cfg, chunker.Deps{Bus: e.bus, Bucket: fb, Logger: testutil.Discard()})
	if err != nil {
		t.Fatal(err)
	}
	want := e.publish(t, "t1", []string{"a", "b", "c"}, 10, time.Now())
	if err := c.Flush(context.Background()); err != nil { // owns every partition now
		t.Fatal(err)
	}
	want = append(want, e.publish(t, "t1", []string{"a", "b", "c"}, 10, time.Now().Add(time.Second))...)
	fb.down.Store(true)
	began := time.Now()
	if err := c.Close(); err == nil {
		t.Fatal("Close reported a final flush that could not be written")
	}
	if d := time.Since(began); d > 5*time.Second {
		t.Fatalf("Close took %v with a 1s shutdown timeout", d)
	}
	fb.down.Store(false)
	next := e.chunker(t, nil)
	if err := next.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got, w := e.stored(t, "t1"), sorted(want); strings.Join(got, "\n") != strings.Join(w, "\n") {
		t.Fatalf("after the next owner's flush: %d rows stored, want %d", len(got), len(w))
	}
}

// TestPayloadsDecodedAtFlush: what the chunker stores is exactly what whole, decodable
// messages hold. Messages an earlier version published uncompressed (FormatPushV1) and still
// on the bus after an upgrade are stored like new ones, structured metadata included; a
// message of unknown format, and a damaged one whose first entries decode, add nothing.
func TestPayloadsDecodedAtFlush(t *testing.T) {
	e := newEnv(t)
	js := testutil.JetStream(t, e.url)
	base := time.Now()
	ls := `{app="legacy"}`
	p := schemas.Partition("t1", ls, e.bus.Partitions())
	publishRaw := func(format string, damage bool, entries ...push.Entry) {
		req := push.PushRequest{Streams: []push.Stream{{Labels: ls, Entries: entries}}}
		raw, err := req.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if damage {
			raw = append(raw, 0x0a, 0x7f) // a stream field running past the end
		}
		m := nats.NewMsg(schemas.Subject("t1", p))
		m.Header.Set(schemas.HeaderTenant, "t1")
		m.Header.Set(schemas.HeaderFormat, format)
		m.Data = raw
		if format == schemas.FormatPushSnappy {
			m.Data = s2.EncodeSnappy(nil, raw)
		}
		if _, err := js.PublishMsg(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
	publishRaw(schemas.FormatPushV1, false, push.Entry{Timestamp: base, Line: "written by an earlier version",
		StructuredMetadata: push.LabelsAdapter{{Name: "trace", Value: "abc"}}})
	publishRaw("no-such-format", false, push.Entry{Timestamp: base, Line: "unknown format"})
	publishRaw(schemas.FormatPushSnappy, true, push.Entry{Timestamp: base, Line: "in a damaged message"})
	publishRaw(schemas.FormatPushV1, true, push.Entry{Timestamp: base, Line: "in a damaged old message"})
	want := append([]string{`t1|{app="legacy"}|written by an earlier version|{trace="abc"}`}, e.publish(t, "t1", []string{"a"}, 2, base)...)
	c := e.chunker(t, nil)
	if err := c.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got, w := e.stored(t, "t1"), sorted(want); strings.Join(got, "\n") != strings.Join(w, "\n") {
		t.Fatalf("stored\n%v\nwant\n%v", got, w)
	}
}

// TestOneBuildAtATime: with a single build slot every partition still flushes, and flush
// requests for all of them are answered.
func TestOneBuildAtATime(t *testing.T) {
	e := newEnv(t)
	c := e.chunker(t, func(cfg *chunker.Config) { cfg.ConcurrentFlushes = 1 })
	var want []string
	for i := 0; i < 3; i++ {
		want = append(want, e.publish(t, "t1", []string{"a", "b", "c", "d", "e", "f", "g", "h"}, 20, time.Now())...)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		err := c.Flush(ctx)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
	}
	if got, w := e.stored(t, "t1"), sorted(want); strings.Join(got, "\n") != strings.Join(w, "\n") {
		t.Fatalf("stored %d rows, want %d", len(got), len(w))
	}
}
