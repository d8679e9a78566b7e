package bus

import (
	"context"
	"fmt"
	"time"

	"github.com/jetlog/jetlog/schemas"
)

// PartitionReader reads one partition of every tenant in sequence order, for the chunker. It
// holds no acknowledgement state: the chunker's committed position is its checkpoint, and a
// reader is opened at checkpoint+1 (or after the last message consumed).
type PartitionReader struct {
	r         *seqReader
	partition int
}

// OpenPartition starts reading partition at sequence start (>= 1). Close it after use.
func (b *Bus) OpenPartition(ctx context.Context, partition int, start uint64) (*PartitionReader, error) {
	r, err := b.openReader(ctx, []string{schemas.PartitionSubjects(partition)}, start, 30*time.Second)
	if err != nil {
		return nil, fmt.Errorf("partition %d: %w", partition, err)
	}
	return &PartitionReader{r: r, partition: partition}, nil
}

// Fetch returns up to max messages, waiting at most wait for them (0: only those there now). pending is the number
// of messages of the partition still to read after the last one returned (0 when caught up).
// After an error, open a new reader after the last message returned.
func (r *PartitionReader) Fetch(ctx context.Context, max int, wait time.Duration) (msgs []schemas.TailMessage, pending uint64, err error) {
	pending, _, err = r.r.fetch(max, wait, func(m schemas.TailMessage, _ string) error {
		msgs = append(msgs, m)
		return nil
	})
	if err != nil {
		return msgs, pending, fmt.Errorf("partition %d: %w", r.partition, err)
	}
	return msgs, pending, ctx.Err()
}

// Close deletes the reader's consumer.
func (r *PartitionReader) Close() { r.r.close() }
