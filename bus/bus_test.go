package bus_test

import (
	"context"
	"flag"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/grafana/loki/pkg/push"
	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/jetlog/jetlog/bus"
	"github.com/jetlog/jetlog/internal/testutil"
	"github.com/jetlog/jetlog/schemas"
)

func connect(t *testing.T) *bus.Bus {
	t.Helper()
	return connectPartitions(t, 4)
}

func connectPartitions(t testing.TB, partitions int) *bus.Bus {
	t.Helper()
	return connectRegistered(t, partitions, nil)
}

// connectRegistered is connectPartitions with the bus's metrics in reg.
func connectRegistered(t testing.TB, partitions int, reg prometheus.Registerer) *bus.Bus {
	t.Helper()
	var cfg bus.Config
	cfg.RegisterFlags(flag.NewFlagSet("t", flag.PanicOnError))
	cfg.URL = testutil.StartNATS(t)
	cfg.Partitions = partitions
	b, err := bus.Connect(context.Background(), cfg, testutil.Discard(), reg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return b
}

func msg(t testing.TB, tenant string, partition int, line string) schemas.Message {
	t.Helper()
	payload, id, err := schemas.EncodeBatch(tenant, partition, []push.Stream{{
		Labels: `{app="a"}`, Entries: []push.Entry{{Timestamp: time.Unix(0, 1), Line: line}}}})
	if err != nil {
		t.Fatal(err)
	}
	return schemas.Message{Subject: schemas.Subject(tenant, partition), MsgID: id, Tenant: tenant, Partition: partition, Payload: payload}
}

func lines(t *testing.T, b *bus.Bus, tenant string, after func(int) uint64) []string {
	t.Helper()
	var mu sync.Mutex
	var out []string
	err := b.ReadTail(context.Background(), tenant, after, func(m schemas.TailMessage) error {
		req, err := m.Decode()
		if err != nil {
			return err
		}
		mu.Lock()
		defer mu.Unlock()
		for _, s := range req.Streams {
			for _, e := range s.Entries {
				out = append(out, fmt.Sprintf("%d:%s", m.Partition, e.Line))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out) // partitions are read concurrently
	return out
}

func TestPublishTailAndDedup(t *testing.T) {
	b := connect(t)
	ctx := context.Background()
	msgs := []schemas.Message{msg(t, "t1", 0, "a"), msg(t, "t1", 1, "b"), msg(t, "t2", 0, "other"), msg(t, "t1", 3, "c")}
	if err := b.PublishAll(ctx, msgs); err != nil {
		t.Fatal(err)
	}
	// A retried push (same content, same Msg-Id) is stored once.
	if err := b.PublishAll(ctx, msgs[:1]); err != nil {
		t.Fatal(err)
	}
	last, err := b.LastSeq(ctx)
	if err != nil || last != 4 {
		t.Fatalf("last seq %d (%v), want 4: the retry must be deduplicated", last, err)
	}
	none := func(int) uint64 { return 0 }
	if got := fmt.Sprint(lines(t, b, "t1", none)); got != "[0:a 1:b 3:c]" {
		t.Fatalf("tail t1 = %s", got)
	}
	if got := fmt.Sprint(lines(t, b, "t2", none)); got != "[0:other]" {
		t.Fatalf("tail t2 = %s (tenant isolation)", got)
	}
	// after() is honoured per partition: partition 0 committed up to seq 1, partition 1 up to 2.
	after := func(p int) uint64 { return map[int]uint64{0: 1, 1: 2}[p] }
	if got := fmt.Sprint(lines(t, b, "t1", after)); got != "[3:c]" {
		t.Fatalf("tail after checkpoints = %s", got)
	}
	if got := lines(t, b, "nobody", none); len(got) != 0 {
		t.Fatalf("unknown tenant sees %v", got)
	}
}

func TestPartitionReader(t *testing.T) {
	b := connect(t)
	ctx := context.Background()
	for i := 0; i < 5; i++ {
		if err := b.PublishAll(ctx, []schemas.Message{msg(t, "t1", 2, fmt.Sprint(i)), msg(t, "t1", 1, "x"+fmt.Sprint(i))}); err != nil {
			t.Fatal(err)
		}
	}
	r, err := b.OpenPartition(ctx, 2, 3) // skip the first message of partition 2 (seq 1)
	if err != nil {
		t.Fatal(err)
	}
	var seqs []uint64
	var pending uint64 = 1
	for i := 0; i < 10 && pending > 0; i++ {
		ms, p, err := r.Fetch(ctx, 2, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		pending = p
		for _, m := range ms {
			seqs = append(seqs, m.Seq)
		}
	}
	if fmt.Sprint(seqs) != "[3 5 7 9]" {
		t.Fatalf("partition 2 from seq 3: %v", seqs)
	}
}

func TestUnavailableWhenServerGone(t *testing.T) {
	var cfg bus.Config
	cfg.RegisterFlags(flag.NewFlagSet("t", flag.PanicOnError))
	e, err := bus.StartEmbedded(bus.EmbeddedConfig{DataDir: t.TempDir(), Port: -1}, testutil.Discard())
	if err != nil {
		t.Fatal(err)
	}
	cfg.URL = e.ClientURL()
	cfg.PublishTimeout = 500 * time.Millisecond
	b, err := bus.Connect(context.Background(), cfg, testutil.Discard(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	e.Shutdown()
	err = b.PublishAll(context.Background(), []schemas.Message{msg(t, "t1", 0, "lost")})
	var u interface{ Unavailable() bool }
	if err == nil {
		t.Fatal("publish acknowledged with the server down")
	}
	if !asUnavailable(err, &u) {
		t.Fatalf("error %v is not an Unavailable error", err)
	}
}

// TestPublishAllRetriesALostAck: an acknowledgement that never comes (the stream leader died
// with it) does not hold the push until -bus.publish-timeout; the message is published again
// and the second ack ends the wait.
func TestPublishAllRetriesALostAck(t *testing.T) {
	var cfg bus.Config
	cfg.RegisterFlags(flag.NewFlagSet("t", flag.PanicOnError))
	cfg.URL = testutil.StartNATS(t)
	cfg.Partitions = 4
	cfg.PublishTimeout = 10 * time.Second
	b, err := bus.Connect(context.Background(), cfg, testutil.Discard(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	// A responder in place of the stream on a subject of its own: it drops the first
	// publish unanswered and acknowledges the next.
	nc, err := nats.Connect(cfg.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	var got atomic.Int32
	sub, err := nc.Subscribe("lost.ack", func(m *nats.Msg) {
		if got.Add(1) > 1 {
			_ = m.Respond([]byte(`{"stream":"LOGS","seq":1}`))
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Unsubscribe() })
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	m := msg(t, "t1", 0, "x")
	m.Subject = "lost.ack"
	began := time.Now()
	if err := b.PublishAll(context.Background(), []schemas.Message{m}); err != nil {
		t.Fatalf("after %v: %v", time.Since(began), err)
	}
	if d := time.Since(began); d > 5*time.Second || got.Load() != 2 {
		t.Fatalf("acknowledged after %v and %d publishes; want a second publish about a second after the first", d, got.Load())
	}
}
