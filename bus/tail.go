package bus

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

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
	cons, err := b.stream.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{filter},
		DeliverPolicy:  jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:    start,
		// A safety net only: the consumer is deleted as soon as the read ends.
		InactiveThreshold: 5 * time.Second,
	})
	if err != nil {
		return unavailable(fmt.Errorf("tail consumer: %w", err))
	}
	defer func() {
		dctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if name := cons.CachedInfo().Name; name != "" {
			_ = b.stream.DeleteConsumer(dctx, name)
		}
	}()
	info, err := cons.Info(ctx)
	if err != nil {
		return unavailable(fmt.Errorf("tail consumer info: %w", err))
	}
	if info.NumPending == 0 {
		return nil
	}
	for {
		batch, err := cons.Fetch(256, jetstream.FetchMaxWait(2*time.Second))
		if err != nil {
			return unavailable(fmt.Errorf("tail fetch: %w", err))
		}
		n := 0
		for msg := range batch.Messages() {
			n++
			meta, err := msg.Metadata()
			if err != nil {
				return err
			}
			seq := meta.Sequence.Stream
			if seq > last {
				return nil
			}
			tenant, partition, err := schemas.ParseSubject(msg.Subject())
			if err != nil {
				continue // not a log subject: ignore
			}
			if err := fn(schemas.TailMessage{Seq: seq, Partition: partition, Tenant: tenant, Payload: msg.Data()}); err != nil {
				return err
			}
			if seq == last || meta.NumPending == 0 {
				return nil
			}
		}
		if err := batch.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) {
			return unavailable(fmt.Errorf("tail fetch: %w", err))
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if n == 0 {
			return nil // nothing more within the wait: caught up
		}
	}
}
