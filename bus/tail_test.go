package bus_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/jetlog/jetlog/bus"
	"github.com/jetlog/jetlog/schemas"
)

// tailFixture publishes n messages of tenant "t1", spread over 16 partitions and interleaved
// with another tenant's, and returns the bus, each partition's checkpoint (about the middle of
// its messages) and the sequences a tail read after those checkpoints must return.
func tailFixture(t *testing.T, n int) (b *bus.Bus, after func(int) uint64, want map[uint64]int) {
	t.Helper()
	return tailFixtureRegistered(t, n, "", nil)
}

// tailFixtureRegistered is tailFixture with pad after the number in t1's lines and the bus's
// metrics in reg.
func tailFixtureRegistered(t testing.TB, n int, pad string, reg prometheus.Registerer) (b *bus.Bus, after func(int) uint64, want map[uint64]int) {
	t.Helper()
	const partitions = 16
	b = connectRegistered(t, partitions, reg)
	var msgs []schemas.Message
	for i := 0; i < n; i++ {
		msgs = append(msgs, msg(t, "t1", i%partitions, fmt.Sprint(i)+pad))
		if i%3 == 0 {
			msgs = append(msgs, msg(t, "t2", i%partitions, fmt.Sprint("other ", i)))
		}
	}
	publish(t, b, msgs)
	// Sequences follow the publish order: t1's message i, then t2's when i%3 == 0.
	seqs := map[int][]uint64{} // t1's sequences by partition
	seq := uint64(0)
	for i := 0; i < n; i++ {
		seq++
		seqs[i%partitions] = append(seqs[i%partitions], seq)
		if i%3 == 0 {
			seq++
		}
	}
	cps := map[int]uint64{}
	want = map[uint64]int{}
	for p, ss := range seqs {
		cut := len(ss) * (p + 1) / (partitions + 1) // a different place in every partition
		if cut > 0 {
			cps[p] = ss[cut-1]
		}
		for _, s := range ss[cut:] {
			want[s] = p
		}
	}
	return b, func(p int) uint64 { return cps[p] }, want
}

// TestReadTailExactlyOnce: a tail long enough to be read by several consumers at once returns
// every message of the tenant after its partition's checkpoint exactly once, and nothing else.
func TestReadTailExactlyOnce(t *testing.T) {
	b, after, want := tailFixture(t, 6000)
	got, count := countSeqs()
	err := b.ReadTail(context.Background(), "t1", after, func(m schemas.TailMessage) error {
		if m.Tenant != "t1" || m.Seq <= after(m.Partition) {
			return fmt.Errorf("message %d of %s, partition %d (checkpoint %d)", m.Seq, m.Tenant, m.Partition, after(m.Partition))
		}
		return count(m)
	})
	if err != nil {
		t.Fatal(err)
	}
	checkExactlyOnce(t, got, want)
}

// TestReadTailFetchesLittleFlushed: with the partitions' checkpoints spread over the tail (as
// the chunker leaves them), a tail read fetches few messages at or before their partition's
// checkpoint, only to drop them: its consumers are filtered to the partitions that still
// have messages in their ranges. Read with the tenant's wildcard, 3,075 messages were
// fetched and dropped here for the 3,008 delivered (2,655 at or before their checkpoints,
// 420 past their range's end); with the filters and fetches sized by the consumer's pending
// count, 491.
func TestReadTailFetchesLittleFlushed(t *testing.T) {
	reg := prometheus.NewRegistry()
	b, after, want := tailFixtureRegistered(t, 6000, "", reg)
	readDroppingFew(t, b, reg, after, want, 1.0/3)
}

// TestReadTailFetchesLittlePastRanges: a tenant with a fifth of the bus's messages, nothing
// flushed. Each range's reader asks for no more messages than it expects before its range's
// end, by the share of the sequences the consumer counts as its filters' at its start; asking
// for as many as there were sequences left, the first fetch of each range pulled the next
// range's messages too, only to drop them (280 dropped for the 1,200 delivered here).
func TestReadTailFetchesLittlePastRanges(t *testing.T) {
	reg := prometheus.NewRegistry()
	b := connectRegistered(t, 16, reg)
	var msgs []schemas.Message
	want := map[uint64]int{}
	for i := range 6000 {
		tenant := "t2"
		if i%5 == 0 {
			tenant = "t1"
			want[uint64(i+1)] = i % 16
		}
		msgs = append(msgs, msg(t, tenant, i%16, fmt.Sprint(i)))
	}
	publish(t, b, msgs)
	readDroppingFew(t, b, reg, func(int) uint64 { return 0 }, want, 1.0/10)
}

// readDroppingFew reads t1's tail after the checkpoints and fails unless it delivers the
// sequences of want once each, having fetched and dropped at most share of as many.
func readDroppingFew(t *testing.T, b *bus.Bus, reg *prometheus.Registry, after func(int) uint64, want map[uint64]int, share float64) {
	t.Helper()
	got, count := countSeqs()
	if err := b.ReadTail(context.Background(), "t1", after, count); err != nil {
		t.Fatal(err)
	}
	checkExactlyOnce(t, got, want)
	dropped := gathered(t, reg, "jetlog_bus_tail_messages_skipped_total")
	t.Logf("%d messages delivered, %v fetched and dropped", len(got), dropped)
	if dropped > float64(len(want))*share {
		t.Errorf("%v messages fetched and dropped for %d delivered", dropped, len(want))
	}
}

// publish publishes msgs in batches.
func publish(t testing.TB, b *bus.Bus, msgs []schemas.Message) {
	t.Helper()
	for len(msgs) > 0 {
		k := min(len(msgs), 500)
		if err := b.PublishAll(context.Background(), msgs[:k]); err != nil {
			t.Fatal(err)
		}
		msgs = msgs[k:]
	}
}

// BenchmarkReadTail reads, as a query over unflushed data does, a tail of 4,000 messages of
// about 8 KB spread over 16 partitions whose checkpoints lie at different places
// (tailFixture), interleaved with another tenant's; bytes are the payload bytes delivered (as
// on the bus), dropped/op the messages fetched and dropped.
func BenchmarkReadTail(b *testing.B) {
	reg := prometheus.NewRegistry()
	words := strings.Fields("alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november oscar papa")
	r := rand.New(rand.NewPCG(1, 2))
	var pad strings.Builder
	for pad.Len() < 8<<10 { // snappy keeps about half of it
		fmt.Fprintf(&pad, " %s=%d", words[r.IntN(len(words))], r.IntN(1e6))
	}
	bs, after, want := tailFixtureRegistered(b, 4000, pad.String(), reg)
	ctx := context.Background()
	var delivered atomic.Int64
	read := func() {
		if err := bs.ReadTail(ctx, "t1", after, func(m schemas.TailMessage) error {
			delivered.Add(int64(len(m.Payload)))
			return nil
		}); err != nil {
			b.Fatal(err)
		}
	}
	read()
	b.SetBytes(delivered.Load())
	dropped0 := gathered(b, reg, "jetlog_bus_tail_messages_skipped_total")
	b.ResetTimer()
	for range b.N {
		read()
	}
	b.StopTimer()
	b.ReportMetric((gathered(b, reg, "jetlog_bus_tail_messages_skipped_total")-dropped0)/float64(b.N), "dropped/op")
	b.ReportMetric(float64(len(want)), "delivered/op")
}

// checkExactlyOnce fails unless got counts every sequence of want once and no other.
func checkExactlyOnce(t *testing.T, got map[uint64]int, want map[uint64]int) {
	t.Helper()
	for s, p := range want {
		if got[s] != 1 {
			t.Errorf("message %d of partition %d seen %d times", s, p, got[s])
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d messages read, want %d", len(got), len(want))
	}
}

// gathered is the value of the counter name in reg.
func gathered(t testing.TB, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			return mf.GetMetric()[0].GetCounter().GetValue()
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}

// countSeqs returns a map and a tail callback, safe for concurrent calls, that counts in it
// the messages it gets by sequence.
func countSeqs() (map[uint64]int, func(schemas.TailMessage) error) {
	var mu sync.Mutex
	got := map[uint64]int{}
	return got, func(m schemas.TailMessage) error {
		mu.Lock()
		defer mu.Unlock()
		got[m.Seq]++
		return nil
	}
}

// ReadTailRanges hands over exactly the tenant's messages after the checkpoints whose
// sequences lie in the ranges, each once: ranges that overlap none, one, or several consumer
// ranges, one past the last sequence, and an empty one.
func TestReadTailRangesExactlyOnce(t *testing.T) {
	b, after, want := tailFixture(t, 6000)
	var seqs []uint64
	for s := range want {
		seqs = append(seqs, s)
	}
	slices.Sort(seqs)
	last := seqs[len(seqs)-1]
	ranges := [][2]uint64{{1, 10}, {seqs[100], seqs[100]}, {seqs[200], seqs[2500]}, {seqs[3000] + 1, seqs[3000]}, {last - 5, last + 100}}
	got, count := countSeqs()
	err := b.ReadTailRanges(context.Background(), "t1", after, ranges, count)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for s := range want {
		in := false
		for _, r := range ranges {
			in = in || s >= r[0] && s <= r[1]
		}
		if in {
			n++
		}
		if in && got[s] != 1 || !in && got[s] != 0 {
			t.Errorf("message %d (in a range: %v) seen %d times", s, in, got[s])
		}
	}
	if len(got) != n {
		t.Errorf("%d messages read, want %d", len(got), n)
	}
}

// TestReadTailStops: an error of fn, or the end of ctx, in the middle of a tail read ends it
// with that error, and fn is not called once ReadTail returned.
func TestReadTailStops(t *testing.T) {
	b, after, want := tailFixture(t, 6000)
	stop := errors.New("stop")
	for _, tc := range []struct {
		name string
		want error
		halt func(cancel context.CancelFunc) error
	}{
		{"fn error", stop, func(context.CancelFunc) error { return stop }},
		{"cancel", context.Canceled, func(cancel context.CancelFunc) error { cancel(); return nil }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var calls atomic.Int64
			var returned atomic.Bool
			err := b.ReadTail(ctx, "t1", after, func(schemas.TailMessage) error {
				if returned.Load() {
					t.Error("fn called after ReadTail returned")
				}
				if calls.Add(1) == 100 {
					return tc.halt(cancel)
				}
				return nil
			})
			returned.Store(true)
			if !errors.Is(err, tc.want) {
				t.Fatalf("ReadTail = %v, want %v", err, tc.want)
			}
			if n := calls.Load(); n >= int64(len(want)) {
				t.Errorf("fn called %d times: the read went on to the end", n)
			}
		})
	}
}
