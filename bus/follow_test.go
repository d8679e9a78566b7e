package bus_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jetlog/jetlog/bus"
	"github.com/jetlog/jetlog/internal/testutil"
	"github.com/jetlog/jetlog/schemas"
)

// follower collects what FollowTenant delivers.
type follower struct {
	mu    sync.Mutex
	got   []string
	seqs  []uint64
	stop  func() error    // cancels and waits for the follower
	ended <-chan struct{} // closed when follow returned, with err
	err   error
	fail  error // returned by fn once set
	calls int
}

func follow(t *testing.T, ctx context.Context, b *bus.Bus, tenant string) *follower {
	t.Helper()
	f := &follower{}
	ctx, cancel := context.WithCancel(ctx)
	run, err := b.FollowTenant(ctx, tenant, func(m schemas.TailMessage) error {
		req, err := m.Decode()
		if err != nil {
			return err
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		f.calls++
		if m.Tenant != tenant {
			f.got = append(f.got, "WRONG TENANT "+m.Tenant)
		}
		for _, s := range req.Streams {
			for _, e := range s.Entries {
				f.got = append(f.got, fmt.Sprintf("%d:%s", m.Partition, e.Line))
			}
		}
		f.seqs = append(f.seqs, m.Seq)
		return f.fail
	})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { f.err = run(); close(done) }()
	f.stop = func() error {
		cancel()
		<-done
		return f.err
	}
	f.ended = done
	t.Cleanup(func() { _ = f.stop() })
	return f
}

func (f *follower) lines() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.got...)
}

// consumers is the number of consumers on the log stream, seen from another connection.
func consumers(t *testing.T, url string) int {
	t.Helper()
	js := testutil.JetStream(t, url)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := js.Stream(ctx, "LOGS")
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Consumers
}

// TestFollowTenant: a follower sees exactly the tenant's messages stored after it started, in
// order and once (a retried publish with the same Nats-Msg-Id is not seen again), and stop
// removes its consumer from the server.
func TestFollowTenant(t *testing.T) {
	url := testutil.StartNATS(t)
	b := testutil.BusAt(t, url, 4)
	ctx := context.Background()
	if err := b.PublishAll(ctx, []schemas.Message{msg(t, "t1", 0, "before")}); err != nil {
		t.Fatal(err)
	}
	f := follow(t, ctx, b, "t1")
	if n := consumers(t, url); n != 1 {
		t.Fatalf("%d consumers while following, want 1", n)
	}
	batch := []schemas.Message{msg(t, "t1", 2, "a"), msg(t, "t2", 2, "other tenant"), msg(t, "t1", 1, "b"), msg(t, "t1", 3, "c")}
	if err := b.PublishAll(ctx, batch); err != nil {
		t.Fatal(err)
	}
	if err := b.PublishAll(ctx, batch[:1]); err != nil { // a retry: stored once
		t.Fatal(err)
	}
	if err := b.PublishAll(ctx, []schemas.Message{msg(t, "t1", 0, "d")}); err != nil {
		t.Fatal(err)
	}
	want := "[2:a 1:b 3:c 0:d]"
	testutil.Eventually(t, 10*time.Second, "follower to see "+want, func() bool { return len(f.lines()) >= 4 })
	if got := fmt.Sprint(f.lines()); got != want {
		t.Fatalf("followed %s, want %s", got, want)
	}
	f.mu.Lock()
	for i := 1; i < len(f.seqs); i++ {
		if f.seqs[i] <= f.seqs[i-1] {
			t.Errorf("sequences out of order: %v", f.seqs)
		}
	}
	f.mu.Unlock()
	if err := f.stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	testutil.Eventually(t, 5*time.Second, "the consumer to be deleted", func() bool { return consumers(t, url) == 0 })
	if err := b.PublishAll(ctx, []schemas.Message{msg(t, "t1", 0, "after stop")}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // nothing may arrive: there is no condition to poll for
	if got := fmt.Sprint(f.lines()); got != want {
		t.Fatalf("after stop the follower got %s", got)
	}
}

// TestFollowTenantEnds: the caller's ctx and an error from fn end the following; stop reports
// fn's error, and the consumer is gone either way.
func TestFollowTenantEnds(t *testing.T) {
	url := testutil.StartNATS(t)
	b := testutil.BusAt(t, url, 4)
	ctx, cancel := context.WithCancel(context.Background())
	byCtx := follow(t, ctx, b, "t1")
	failing := follow(t, context.Background(), b, "t1")
	boom := errors.New("client gone")
	failing.mu.Lock()
	failing.fail = boom
	failing.mu.Unlock()
	if err := b.PublishAll(context.Background(), []schemas.Message{msg(t, "t1", 0, "x"), msg(t, "t1", 1, "y")}); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 10*time.Second, "both followers to see x", func() bool {
		return len(byCtx.lines()) > 0 && len(failing.lines()) > 0
	})
	select {
	case <-failing.ended: // on its own, without a cancel
		if !errors.Is(failing.err, boom) {
			t.Fatalf("follow = %v, want fn's error", failing.err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("follow did not end after fn failed")
	}
	cancel()
	if err := byCtx.stop(); err != nil {
		t.Fatalf("follow after ctx cancel: %v", err)
	}
	failing.mu.Lock()
	calls := failing.calls
	failing.mu.Unlock()
	if calls != 1 {
		t.Errorf("fn called %d times after returning an error, want 1", calls)
	}
	testutil.Eventually(t, 5*time.Second, "the consumers to be deleted", func() bool { return consumers(t, url) == 0 })
}
