package bus

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"strings"
	"time"

	"github.com/jetlog/jetlog/internal/parallel"
	"github.com/jetlog/jetlog/schemas"
)

// tailReaders is how many consumers one ReadTail reads through at once. Decoding the tail is
// CPU work in fn, so one per core; at least two, so that one's fetch overlaps another's
// decoding.
var tailReaders = max(2, runtime.GOMAXPROCS(0))

// ReadTail calls fn for every message of tenant whose sequence is greater than after(partition),
// up to the stream's last sequence at the time of the call, exactly once. Messages acknowledged
// to a client before the call are therefore all seen.
//
// A long tail is cut into ranges of sequences that several consumers read at once (see
// tailRanges), so fn and after are called concurrently and must be safe for it; messages come
// in no particular order. The first error (of fn, of the bus or of ctx) stops every reader and
// is returned.
func (b *Bus) ReadTail(ctx context.Context, tenant string, after func(partition int) uint64, fn func(schemas.TailMessage) error) error {
	last, err := b.LastSeq(ctx)
	if err != nil {
		return err
	}
	start := uint64(0)
	for p := 0; p < b.cfg.Partitions; p++ {
		if s := after(p) + 1; p == 0 || s < start {
			start = s
		}
	}
	if start > last {
		return nil
	}
	return b.readRanges(ctx, tenant, after, tailRanges(start, last), fn)
}

// ReadTailRanges is ReadTail for the tenant's messages with sequences in the given ranges
// (each [first, last]) only: a caller that knows from an earlier ReadTail which sequences
// hold the messages it needs fetches no others. Sequences at or before after(partition) are
// still left out.
func (b *Bus) ReadTailRanges(ctx context.Context, tenant string, after func(partition int) uint64, ranges [][2]uint64, fn func(schemas.TailMessage) error) error {
	var rs []seqRange
	for _, r := range ranges {
		if r[0] <= r[1] {
			rs = append(rs, tailRanges(r[0], r[1])...)
		}
	}
	return b.readRanges(ctx, tenant, after, rs, fn)
}

func (b *Bus) readRanges(ctx context.Context, tenant string, after func(partition int) uint64, rs []seqRange, fn func(schemas.TailMessage) error) error {
	var end uint64 // the last sequence read
	for _, r := range rs {
		end = max(end, r.last)
	}
	return parallel.ForEach(ctx, rs, tailReaders, func(ctx context.Context, r seqRange) error {
		filters, first := b.rangeFilters(tenant, after, r)
		if filters == nil {
			return nil // every partition's checkpoint is past the range
		}
		return b.read(ctx, filters, first, r.last, end, func(m schemas.TailMessage) error {
			// The filters already select tenant's token, and tokens are one-to-one; checking
			// the decoded tenant too means no filter mistake can hand a query another
			// tenant's data.
			if m.Seq <= after(m.Partition) || m.Tenant != tenant {
				b.m.tailSkipped.Inc()
				return nil
			}
			b.m.tailMessages.Inc()
			return fn(m)
		})
	})
}

// rangeFilters returns the subjects of the tenant's partitions that may have messages after
// their checkpoints in r (nil for none; the tenant's wildcard for all of them), and the first
// sequence of r such a message can have. A partition whose checkpoint is at or past r.last
// has none in r. The chunker flushes partitions at different times, so the tail's first
// sequences mostly hold messages of partitions flushed since: read with the tenant's wildcard
// after make bench's push (idle flushes off), 63% of the messages a needle query fetched
// were dropped as already flushed.
func (b *Bus) rangeFilters(tenant string, after func(partition int) uint64, r seqRange) (filters []string, first uint64) {
	var parts []int
	first = r.last + 1
	for p := 0; p < b.cfg.Partitions; p++ {
		if a := after(p); a < r.last {
			parts = append(parts, p)
			first = min(first, a+1)
		}
	}
	first = max(first, r.first)
	switch len(parts) {
	case 0:
		return nil, 0
	case b.cfg.Partitions:
		return []string{schemas.TenantSubjects(tenant)}, first
	}
	for _, p := range parts {
		filters = append(filters, schemas.Subject(tenant, p))
	}
	return filters, first
}

// seqRange is the stream sequences [first, last].
type seqRange struct{ first, last uint64 }

// minTailRange is the fewest sequences a tail range has: a consumer costs two API requests,
// and a short tail is read faster by one than by several.
const minTailRange = 1024

// tailRanges cuts [first, last] into consecutive ranges, each read by one consumer. The ranges
// are cut by sequence and not by partition: a consumer filtered to one partition still makes the
// server walk every message of the blocks it reads, so per-partition consumers would each walk
// the whole tail. There are a few more ranges than readers, so that a reader whose ranges hold
// fewer of the tenant's messages takes on more ranges.
func tailRanges(first, last uint64) []seqRange {
	total := last - first + 1
	n := min(4*uint64(tailReaders), (total+minTailRange-1)/minTailRange)
	size := (total + n - 1) / n
	out := make([]seqRange, 0, n)
	for lo := first; lo <= last; lo += size {
		out = append(out, seqRange{lo, min(lo+size-1, last)})
	}
	return out
}

// read delivers the messages on filters with sequences in [start, last] in order. end (at
// least last) is the end of the whole read: the filters' messages pending from a reader's
// start to there tell which share of the sequences they are.
func (b *Bus) read(ctx context.Context, filters []string, start, last, end uint64, fn func(schemas.TailMessage) error) error {
	open := func(ctx context.Context, start uint64) (*seqReader, error) {
		r, err := b.openReader(ctx, filters, start, 10*time.Second)
		if r != nil && end >= start {
			r.share = min(1, float64(r.cons.CachedInfo().NumPending)/float64(end-start+1))
		}
		return r, err
	}
	return b.readThrough(ctx, open, strings.Join(filters, ","), start, last, fn)
}

// readThrough is read with the readers open opens.
func (b *Bus) readThrough(ctx context.Context, open func(context.Context, uint64) (*seqReader, error), filter string, start, last uint64, fn func(schemas.TailMessage) error) error {
	stuck := 0 // interruptions in a row without a message delivered
	for start <= last {
		r, err := open(ctx, start)
		if err != nil {
			return fmt.Errorf("tail: %w", err)
		}
		if r.cons.CachedInfo().NumPending == 0 {
			// Nothing on the filter from start on when the consumer was made, which is after
			// last was read: a tenant without new messages costs no fetch.
			r.close()
			return nil
		}
		from := start
		start, err = readUpTo(ctx, r, start, last, fn)
		r.close()
		if err == nil || !isUnavailable(err) || ctx.Err() != nil {
			return err
		}
		if start > from {
			stuck = 0
		} else if stuck++; stuck == maxStuckReaders {
			return fmt.Errorf("tail: %d consumers in a row delivered nothing: %w", stuck, err)
		}
		// A delivery gap, a lost response or a stalled consumer: read on from the first
		// message not delivered, through a new consumer.
		b.m.tailResumes.Inc()
		b.logger.Debug("tail read interrupted, resuming", "filter", filter, "at", start, "err", err)
	}
	return nil
}

// maxStall is how long a reader polls a consumer that counts pending messages but delivers
// none before giving up on it; maxStuckReaders is how many such consumers in a row a read
// opens before it fails (the query then answers 503 instead of waiting for its deadline).
const (
	maxStall        = 3 * time.Second
	maxStuckReaders = 3
)

// readUpTo reads r, opened at start, until the message with sequence last (or the end of the
// filter's messages) and returns the sequence to resume at after an error.
func readUpTo(ctx context.Context, r *seqReader, start, last uint64, fn func(schemas.TailMessage) error) (next uint64, err error) {
	next = start
	lastDelivery := time.Now()
	for next <= last {
		if err := ctx.Err(); err != nil {
			return next, err
		}
		stop := false
		// No more than the filters' messages expected among the sequences left: a range's
		// reader does not pull the next range's messages only to drop them (other tenants'
		// messages and flushed partitions make those fewer than the sequences).
		want := last - next + 1
		if r.share > 0 && r.share < 1 {
			want = max(1, uint64(math.Ceil(float64(want)*r.share)))
		}
		want = min(256, want)
		pending, n, err := r.fetch(int(want), 0, func(m schemas.TailMessage, _ string) error {
			if m.Seq > last || stop {
				stop = true
				r.b.m.tailSkipped.Inc() // the next range's, read again by its reader
				return nil
			}
			next = m.Seq + 1
			return fn(m)
		})
		if err != nil {
			return next, err
		}
		if stop || (n > 0 && pending == 0) {
			break
		}
		if n > 0 {
			lastDelivery = time.Now()
		} else {
			// Nothing delivered now: either nothing is left on the filter, or the server
			// has not loaded it yet.
			left, err := r.pending(ctx)
			if err != nil {
				return next, err
			}
			if left == 0 {
				break
			}
			if time.Since(lastDelivery) > maxStall {
				return next, unavailable(fmt.Errorf("consumer delivered nothing for %s with %d messages pending", maxStall, left))
			}
			sleepCtx(ctx, 5*time.Millisecond)
		}
	}
	return last + 1, nil
}

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

func isUnavailable(err error) bool {
	var u *UnavailableError
	return errors.As(err, &u)
}
