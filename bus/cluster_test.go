package bus_test

import (
	"context"
	"errors"
	"flag"
	"testing"
	"time"

	"github.com/jetlog/jetlog/bus"
	"github.com/jetlog/jetlog/internal/testutil"
	"github.com/jetlog/jetlog/schemas"
)

// On a 3-node cluster (separate nats-server processes) the bus defaults to R3 for the stream
// and the progress buckets, and compare-and-set conflicts are detected on replicated buckets
// (they report another error code than R1 ones).
func TestClusterDefaultsToThreeReplicas(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a 3-process NATS cluster")
	}
	c := testutil.StartNATSCluster(t, 3)
	var cfg bus.Config
	cfg.RegisterFlags(flag.NewFlagSet("bus", flag.PanicOnError))
	cfg.URL = c.URLs()
	cfg.Partitions = 2
	ctx := context.Background()
	b, err := bus.Connect(ctx, cfg, testutil.Discard(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	if b.Replicas() != 3 {
		t.Fatalf("replicas %d on a cluster, want 3", b.Replicas())
	}
	c.WaitCurrent(t, cfg.Stream, 10*time.Second)
	c.WaitCurrent(t, "KV_"+cfg.Stream+"-checkpoints", 10*time.Second)

	cps := b.Checkpoints()
	cp := schemas.Checkpoint{Partition: 1}.NextEpoch()
	rev, err := cps.Set(ctx, cp, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cps.Set(ctx, cp.Advance(5), 0); !errors.Is(err, bus.ErrConflict) {
		t.Fatalf("create over an existing checkpoint: %v, want ErrConflict", err)
	}
	rev2, err := cps.Set(ctx, cp.Advance(5), rev)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cps.Set(ctx, cp.Advance(9), rev); !errors.Is(err, bus.ErrConflict) {
		t.Fatalf("stale revision: %v, want ErrConflict", err)
	}
	got, grev, err := cps.Get(ctx, 1)
	if err != nil || grev != rev2 || got.Seq != 5 {
		t.Fatalf("checkpoint %+v rev %d (want seq 5, rev %d): %v", got, grev, rev2, err)
	}

	l, err := b.Leases(ctx, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	lrev, err := l.Acquire(ctx, 0, "a")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Acquire(ctx, 0, "b"); !errors.Is(err, bus.ErrConflict) {
		t.Fatalf("second owner got the lease: %v", err)
	}
	if _, err := l.Renew(ctx, 0, "a", lrev+100); !errors.Is(err, bus.ErrConflict) {
		t.Fatalf("renew at a wrong revision: %v", err)
	}
	// Not renewed, the lease expires and another instance may take it.
	testutil.Eventually(t, 10*time.Second, "the expired lease taken by b", func() bool {
		_, err := l.Acquire(ctx, 0, "b")
		return err == nil
	})
}
