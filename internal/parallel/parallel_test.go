package parallel

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

func TestForEachRunsEveryItemOnBoundedGoroutines(t *testing.T) {
	items := make([]int, 100)
	for i := range items {
		items[i] = i
	}
	var sum, running, peak atomic.Int64
	err := ForEach(context.Background(), items, 3, func(_ context.Context, it int) error {
		n := running.Add(1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		time.Sleep(time.Millisecond)
		running.Add(-1)
		sum.Add(int64(it))
		return nil
	})
	if err != nil || sum.Load() != 4950 {
		t.Fatalf("err %v, sum %d, want 4950", err, sum.Load())
	}
	if peak.Load() > 3 {
		t.Fatalf("%d calls at once, want at most 3", peak.Load())
	}
}

func TestForEachFirstErrorCancelsTheRest(t *testing.T) {
	boom := errors.New("boom")
	var started atomic.Int64
	err := ForEach(context.Background(), make([]int, 1000), 2, func(ctx context.Context, _ int) error {
		if started.Add(1) == 5 {
			return boom
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Millisecond):
			return nil
		}
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err %v, want boom", err)
	}
	if n := started.Load(); n >= 1000 {
		t.Fatalf("all %d items ran after the error", n)
	}
}

func TestForEachParentCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := ForEach(ctx, []int{1, 2, 3}, 2, func(ctx context.Context, _ int) error { return ctx.Err() }); !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
}
