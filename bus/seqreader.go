package bus

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/jetlog/jetlog/schemas"
)

// seqReader reads the messages on some subject filters in stream-sequence order from a start
// sequence, through one ephemeral pull consumer without acknowledgements that lives as long as
// the reader. (nats.go's ordered consumer re-creates its server-side consumer on every Fetch.)
// A gap in the consumer's delivery sequence, i.e. a lost pull response, is an error: the
// caller opens a new reader after the last message it got, so nothing is ever skipped.
type seqReader struct {
	b    *Bus
	cons jetstream.Consumer
	next uint64 // consumer sequence expected next
	// share is the part of the stream's sequences the filters are expected to match (0:
	// all), for readUpTo not to pull many past its last sequence.
	share float64
}

func (b *Bus) openReader(ctx context.Context, filters []string, start uint64, inactive time.Duration) (*seqReader, error) {
	cons, err := b.stream.CreateConsumer(ctx, jetstream.ConsumerConfig{
		FilterSubjects:    filters,
		DeliverPolicy:     jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:       max(start, 1),
		AckPolicy:         jetstream.AckNonePolicy,
		InactiveThreshold: inactive, // a safety net: close deletes the consumer
		MemoryStorage:     true,
		Replicas:          1,
	})
	if err != nil {
		return nil, unavailable(fmt.Errorf("consumer on %s: %w", strings.Join(filters, ","), err))
	}
	return &seqReader{b: b, cons: cons, next: 1}, nil
}

// pending is the number of messages on the filter not delivered yet.
func (r *seqReader) pending(ctx context.Context) (uint64, error) {
	info, err := r.cons.Info(ctx)
	if err != nil {
		return 0, unavailable(fmt.Errorf("consumer info: %w", err))
	}
	return info.NumPending, nil
}

// fetch delivers up to max messages to fn, waiting at most wait for them (0: only what is
// there now). It returns the number of messages of the filter after the last one delivered
// (0 when caught up).
func (r *seqReader) fetch(max int, wait time.Duration, fn func(schemas.TailMessage, string) error) (pending uint64, n int, err error) {
	var batch jetstream.MessageBatch
	if wait > 0 {
		batch, err = r.cons.Fetch(max, jetstream.FetchMaxWait(wait))
	} else {
		batch, err = r.cons.FetchNoWait(max)
	}
	if err != nil {
		return 0, 0, unavailable(fmt.Errorf("fetch: %w", err))
	}
	for msg := range batch.Messages() {
		meta, err := msg.Metadata()
		if err != nil {
			return pending, n, err
		}
		if meta.Sequence.Consumer != r.next {
			return pending, n, unavailable(fmt.Errorf("delivery gap: consumer sequence %d, want %d", meta.Sequence.Consumer, r.next))
		}
		r.next++
		n++
		pending = meta.NumPending
		tenant, partition, err := schemas.ParseSubject(msg.Subject())
		if err != nil {
			continue // not a log subject
		}
		h := msg.Headers()
		tm := schemas.TailMessage{Seq: meta.Sequence.Stream, Partition: partition, Tenant: tenant, Format: h.Get(schemas.HeaderFormat), Payload: msg.Data(),
			Times: schemas.ParseTimes(h.Get(schemas.HeaderTimes))}
		if err := fn(tm, msg.Subject()); err != nil {
			return pending, n, err
		}
	}
	if err := batch.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) && !errors.Is(err, context.DeadlineExceeded) {
		return pending, n, unavailable(fmt.Errorf("fetch: %w", err))
	}
	return pending, n, nil
}

// close deletes the consumer.
func (r *seqReader) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if name := r.cons.CachedInfo().Name; name != "" {
		_ = r.b.stream.DeleteConsumer(ctx, name)
	}
}
