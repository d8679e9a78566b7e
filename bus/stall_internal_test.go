package bus

import (
	"context"
	"flag"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/grafana/loki/pkg/push"

	"github.com/jetlog/jetlog/schemas"
)

// TestReadStalledConsumer: a consumer that counts pending messages but delivers none (here
// paused) makes the reader give up on it after maxStall with an unavailable error, so that
// a new consumer is opened, and a read whose new consumers stall too fails after
// maxStuckReaders of them, instead of polling until the query's deadline (a 504 after a
// minute).
func TestReadStalledConsumer(t *testing.T) {
	e, err := StartEmbedded(EmbeddedConfig{DataDir: t.TempDir(), Port: -1}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Shutdown)
	var cfg Config
	cfg.RegisterFlags(flag.NewFlagSet("t", flag.PanicOnError))
	cfg.URL = e.ClientURL()
	ctx := context.Background()
	b, err := Connect(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	var msgs []schemas.Message
	for i := 0; i < 10; i++ {
		payload, id, err := schemas.EncodeBatch("t1", 0, []push.Stream{{Labels: `{app="a"}`, Entries: []push.Entry{{Timestamp: time.Unix(0, int64(i+1)), Line: "x"}}}})
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, schemas.Message{Subject: schemas.Subject("t1", 0), MsgID: id, Tenant: "t1", Partition: 0, Payload: payload})
	}
	if err := b.PublishAll(ctx, msgs); err != nil {
		t.Fatal(err)
	}
	filter := schemas.TenantSubjects("t1")
	filters := []string{filter}
	// Every reader opened is paused at once: it counts the ten messages as pending and
	// delivers none.
	opened := 0
	openPaused := func(ctx context.Context, start uint64) (*seqReader, error) {
		r, err := b.openReader(ctx, filters, start, 10*time.Second)
		if err != nil {
			return nil, err
		}
		opened++
		if _, err := b.stream.PauseConsumer(ctx, r.cons.CachedInfo().Name, time.Now().Add(time.Minute)); err != nil {
			r.close()
			return nil, err
		}
		return r, nil
	}

	t.Run("readUpTo", func(t *testing.T) {
		r, err := openPaused(ctx, 1)
		if err != nil {
			t.Fatal(err)
		}
		defer r.close()
		rctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		start := time.Now()
		_, err = readUpTo(rctx, r, 1, 10, func(schemas.TailMessage) error { t.Error("a message from a paused consumer"); return nil })
		took := time.Since(start)
		if err == nil || !isUnavailable(err) {
			t.Fatalf("readUpTo of a stalled consumer = %v, want an unavailable error", err)
		}
		if took < maxStall || took > maxStall+2*time.Second {
			t.Fatalf("readUpTo gave up after %s, want about %s", took, maxStall)
		}
	})

	t.Run("read", func(t *testing.T) {
		opened = 0
		rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		err := b.readThrough(rctx, openPaused, filter, 1, 10, func(schemas.TailMessage) error { return nil })
		if err == nil || !isUnavailable(err) || rctx.Err() != nil {
			t.Fatalf("read through stalled consumers = %v (context: %v), want an unavailable error before the deadline", err, rctx.Err())
		}
		if opened != maxStuckReaders {
			t.Fatalf("read opened %d consumers, want %d", opened, maxStuckReaders)
		}
	})

	// The same read through consumers that deliver returns every message.
	got := 0
	if err := b.read(ctx, filters, 1, 10, 10, func(schemas.TailMessage) error { got++; return nil }); err != nil || got != 10 {
		t.Fatalf("read = %d messages, %v; want 10", got, err)
	}
}
