package bus

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jetlog/jetlog/schemas"
)

// ReadTail calls fn, in stream-sequence order, for every message of tenant whose sequence is
// greater than after(partition), up to the stream's last sequence at the time of the call.
// Messages acknowledged to a client before the call are therefore all seen.
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
	return b.read(ctx, schemas.TenantSubjects(tenant), start, last, func(m schemas.TailMessage) error {
		// The filter already selects tenant's token, and tokens are one-to-one; checking the
		// decoded tenant too means no filter mistake can hand a query another tenant's data.
		if m.Seq <= after(m.Partition) || m.Tenant != tenant {
			return nil
		}
		b.m.tailMessages.Inc()
		return fn(m)
	})
}

// read delivers the messages on filter with sequences in [start, last] in order.
func (b *Bus) read(ctx context.Context, filter string, start, last uint64, fn func(schemas.TailMessage) error) error {
	for start <= last {
		r, err := b.openReader(ctx, filter, start, 10*time.Second)
		if err != nil {
			return fmt.Errorf("tail: %w", err)
		}
		start, err = readUpTo(ctx, r, start, last, fn)
		r.close()
		if err == nil || !isUnavailable(err) || ctx.Err() != nil {
			return err
		}
		// A delivery gap or a lost response: read on from the first message not delivered.
		b.logger.Debug("tail read interrupted, resuming", "filter", filter, "at", start, "err", err)
	}
	return nil
}

// readUpTo reads r, opened at start, until the message with sequence last (or the end of the
// filter's messages) and returns the sequence to resume at after an error.
func readUpTo(ctx context.Context, r *seqReader, start, last uint64, fn func(schemas.TailMessage) error) (next uint64, err error) {
	next = start
	for next <= last {
		if err := ctx.Err(); err != nil {
			return next, err
		}
		stop := false
		pending, n, err := r.fetch(256, 0, func(m schemas.TailMessage, _ string) error {
			if m.Seq > last || stop {
				stop = true
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
		if n == 0 {
			// Nothing delivered now: either nothing is left on the filter, or the server
			// has not loaded it yet.
			left, err := r.pending(ctx)
			if err != nil {
				return next, err
			}
			if left == 0 {
				break
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
