package bus

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/jetlog/jetlog/schemas"
)

// PartitionReader reads one partition of every tenant in sequence order, for the chunker. It
// holds no acknowledgement state: the chunker's committed position lives in the object store
// (schemas.Checkpoint), and a reader is opened at checkpoint+1.
type PartitionReader struct {
	b         *Bus
	partition int
	cons      jetstream.Consumer
}

// OpenPartition starts reading partition at sequence start (>= 1).
func (b *Bus) OpenPartition(ctx context.Context, partition int, start uint64) (*PartitionReader, error) {
	if start < 1 {
		start = 1
	}
	cons, err := b.stream.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{schemas.PartitionSubjects(partition)},
		DeliverPolicy:  jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:    start,
	})
	if err != nil {
		return nil, unavailable(fmt.Errorf("partition %d consumer: %w", partition, err))
	}
	return &PartitionReader{b: b, partition: partition, cons: cons}, nil
}

// Fetch returns up to max messages, waiting at most wait for the first. pending is the number
// of messages of the partition still to read after the last one returned (0 when caught up).
func (r *PartitionReader) Fetch(ctx context.Context, max int, wait time.Duration) (msgs []schemas.TailMessage, pending uint64, err error) {
	batch, err := r.cons.Fetch(max, jetstream.FetchMaxWait(wait))
	if err != nil {
		return nil, 0, unavailable(fmt.Errorf("partition %d fetch: %w", r.partition, err))
	}
	for msg := range batch.Messages() {
		meta, err := msg.Metadata()
		if err != nil {
			return msgs, 0, err
		}
		pending = meta.NumPending
		tenant, _, err := schemas.ParseSubject(msg.Subject())
		if err != nil {
			continue // not a log subject
		}
		msgs = append(msgs, schemas.TailMessage{Seq: meta.Sequence.Stream, Partition: r.partition, Tenant: tenant, Payload: msg.Data()})
	}
	if err := batch.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) && !errors.Is(err, context.DeadlineExceeded) {
		return msgs, pending, unavailable(fmt.Errorf("partition %d fetch: %w", r.partition, err))
	}
	if ctx.Err() != nil {
		return msgs, pending, ctx.Err()
	}
	return msgs, pending, nil
}
