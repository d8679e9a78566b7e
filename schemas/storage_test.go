package schemas_test

import (
	"testing"

	"github.com/jetlog/jetlog/schemas"
)

func TestCheckpointCovers(t *testing.T) {
	// Epoch 1 committed 1..7, then epoch 2 took over and committed 8..20.
	cp := schemas.Checkpoint{Partition: 2}.NextEpoch().Advance(7).NextEpoch().Advance(20)
	if cp.Seq != 20 || cp.Epoch() != 2 {
		t.Fatalf("checkpoint %+v", cp)
	}
	// covers checks c.Covers on ranges of partition 2.
	covers := func(c schemas.Checkpoint) func(r schemas.SeqRange, want bool) {
		return func(r schemas.SeqRange, want bool) {
			t.Helper()
			if got := c.Covers(r); got != want {
				t.Fatalf("Covers(%+v) = %v, want %v (checkpoint %+v)", r, got, want, c)
			}
		}
	}
	f := covers(cp)
	f(schemas.SeqRange{Partition: 2, Epoch: 1, From: 1, To: 7}, true)
	f(schemas.SeqRange{Partition: 2, Epoch: 1, From: 3, To: 5}, true)
	// What an epoch-1 owner wrote after epoch 2 began (a zombie) is never covered.
	f(schemas.SeqRange{Partition: 2, Epoch: 1, From: 8, To: 9}, false)
	f(schemas.SeqRange{Partition: 2, Epoch: 2, From: 8, To: 20}, true)
	f(schemas.SeqRange{Partition: 2, Epoch: 2, From: 8, To: 21}, false) // not committed yet
	f(schemas.SeqRange{Partition: 2, Epoch: 2, From: 7, To: 9}, false)  // straddles epochs
	f(schemas.SeqRange{Partition: 2, Epoch: 3, From: 21, To: 21}, false)
	f(schemas.SeqRange{Partition: 1, Epoch: 1, From: 1, To: 7}, false) // another partition
	f(schemas.SeqRange{Partition: 2, Epoch: 2, From: 9, To: 8}, false) // empty range

	// A new epoch starts empty: nothing of it is covered until it commits.
	n := cp.NextEpoch()
	f = covers(n)
	f(schemas.SeqRange{Partition: 2, Epoch: 3, From: 21, To: 21}, false)
	f(schemas.SeqRange{Partition: 2, Epoch: 2, From: 8, To: 20}, true)
	if len(cp.Epochs) != 2 {
		t.Fatalf("NextEpoch changed its receiver: %+v", cp)
	}

	// Ownership changing without commits (leases lapsing in a leader election, say) adds
	// no epochs: only the current empty one is kept, and epoch numbers still grow.
	m := cp
	for range 50 {
		m = m.NextEpoch()
	}
	if len(m.Epochs) != 3 || m.Epoch() != 52 {
		t.Fatalf("after 50 empty takeovers: %+v", m)
	}
	f = covers(m)
	f(schemas.SeqRange{Partition: 2, Epoch: 1, From: 1, To: 7}, true)
	f(schemas.SeqRange{Partition: 2, Epoch: 2, From: 8, To: 20}, true)
	f(schemas.SeqRange{Partition: 2, Epoch: 30, From: 21, To: 21}, false)
	f(schemas.SeqRange{Partition: 2, Epoch: 52, From: 21, To: 21}, false)
	if m = m.Advance(25); !m.Covers(schemas.SeqRange{Partition: 2, Epoch: 52, From: 21, To: 25}) {
		t.Fatalf("the current epoch's commit is not covered: %+v", m)
	}
}
