package chunker_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jetlog/jetlog/chunker"
	"github.com/jetlog/jetlog/internal/testutil"
	"github.com/jetlog/jetlog/schemas"
)

func shortLease(c *chunker.Config) { c.LeaseTTL = time.Second }

// owners reads which instance holds each partition's lease.
func (e *env) owners(t *testing.T) map[int]string {
	t.Helper()
	l, err := e.bus.Leases(context.Background(), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	st, err := l.State(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return st.Owners
}

func count(owners map[int]string, who string) int {
	n := 0
	for _, o := range owners {
		if o == who {
			n++
		}
	}
	return n
}

func TestInstancesSharePartitionsAndTakeOverFromADeadOne(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	busA := testutil.BusAt(t, e.url, 4)
	a := e.chunkerOn(t, busA, shortLease)
	b := e.chunkerOn(t, testutil.BusAt(t, e.url, 4), shortLease)
	testutil.Eventually(t, 15*time.Second, "two instances with two partitions each", func() bool {
		o := e.owners(t)
		return len(o) == 4 && count(o, a.InstanceID()) == 2 && count(o, b.InstanceID()) == 2
	})
	base := time.Now()
	want := e.publish(t, "t1", []string{"a", "b", "c", "d", "e", "f"}, 20, base)
	if err := a.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if err := b.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if got, w := e.stored(t, "t1"), sorted(want); strings.Join(got, "\n") != strings.Join(w, "\n") {
		t.Fatalf("shared flush stored %d rows, want %d", len(got), len(w))
	}

	// a dies: its connection goes, it can neither renew nor release its leases.
	want = append(want, e.publish(t, "t1", []string{"a", "b", "c", "d", "e", "f"}, 20, base.Add(time.Second))...)
	busA.Close()
	testutil.Eventually(t, 15*time.Second, "b owning every partition", func() bool {
		return count(e.owners(t), b.InstanceID()) == 4
	})
	if err := b.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if got, w := e.stored(t, "t1"), sorted(want); strings.Join(got, "\n") != strings.Join(w, "\n") {
		t.Fatalf("after the takeover stored %d rows, want %d", len(got), len(w))
	}
}

func TestFencedOwnerNeverCommits(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.chunker(t, shortLease)
	want := e.publish(t, "t1", []string{"a", "b", "c", "d"}, 10, time.Now())
	if err := c.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	// Another owner opens a new epoch on every partition behind c's back: c's next commit on
	// each must fail, and c must recover into a newer epoch of its own before committing.
	cps := e.bus.Checkpoints()
	for p := 0; p < 4; p++ {
		cp, rev, err := cps.Get(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := cps.Set(ctx, cp.NextEpoch(), rev); err != nil {
			t.Fatal(err)
		}
	}
	want = append(want, e.publish(t, "t1", []string{"a", "b", "c", "d"}, 10, time.Now().Add(time.Second))...)
	testutil.Eventually(t, 20*time.Second, "every entry committed exactly once after the fencing", func() bool {
		_ = c.Flush(ctx) // fails while a fenced partition restarts
		return strings.Join(e.stored(t, "t1"), "\n") == strings.Join(sorted(want), "\n")
	})
	for _, s := range []string{"a", "b", "c", "d"} {
		p := schemas.Partition("t1", `{app="`+s+`"}`, 4)
		cp, _, err := cps.Get(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		if cp.Epoch() < 3 {
			t.Fatalf("partition %d at epoch %d: the chunker did not take a newer epoch after being fenced", p, cp.Epoch())
		}
	}
}
