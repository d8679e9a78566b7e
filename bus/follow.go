package bus

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/jetlog/jetlog/schemas"
)

// FollowTenant starts following tenant and returns follow, which calls fn, in stream-sequence
// order, for every message of tenant stored after FollowTenant returned, until ctx ends or fn
// returns an error. follow then deletes the server-side consumer and returns fn's error, an
// *UnavailableError when the connection closed, or nil when ctx ended it. The caller must
// call follow (once; later calls return the first result), also when it no longer wants any message (cancelling ctx first): that
// releases the consumer. fn owns m.Payload; the bus does not reuse it.
//
// It reads through a JetStream ordered consumer (ephemeral, in memory, without
// acknowledgements) rather than a core NATS subscription on the tenant's subjects because:
//   - it delivers only what JetStream stored, once: a publish the stream refused, or one the
//     gateway retried with the same Nats-Msg-Id after a lost acknowledgement, is not seen
//     twice or at all, so a follower sees exactly what a query would;
//   - it resumes after the last message delivered when the connection or the consumer is
//     lost (the library re-creates it), where a subscription silently misses what was
//     published meanwhile;
//   - it is pulled: at most two server max-payloads of messages wait in memory, and an fn that
//     falls behind leaves the rest in the stream instead of in this process.
func (b *Bus) FollowTenant(ctx context.Context, tenant string, fn func(m schemas.TailMessage) error) (follow func() error, err error) {
	// The start is pinned to a sequence, not DeliverNew: a consumer re-created before the
	// first message would otherwise start at "new" again and skip what came in between.
	last, err := b.LastSeq(ctx)
	if err != nil {
		return nil, err
	}
	cons, err := b.stream.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
		FilterSubjects:    []string{schemas.TenantSubjects(tenant)},
		DeliverPolicy:     jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:       last + 1,
		InactiveThreshold: 30 * time.Second, // a safety net: follow deletes the consumer
	})
	if err != nil {
		return nil, unavailable(fmt.Errorf("follow %s: %w", tenant, err))
	}
	// Messages creates the server-side consumer now, so nothing stored after this returns
	// is missed.
	it, err := cons.Messages(jetstream.PullMaxBytes(2 * int(b.nc.MaxPayload())))
	if err != nil {
		return nil, unavailable(fmt.Errorf("follow %s: %w", tenant, err))
	}
	b.m.followers.Inc()
	return sync.OnceValue(func() error {
		defer func() {
			it.Stop()
			dctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			if name := cons.CachedInfo().Name; name != "" {
				_ = b.stream.DeleteConsumer(dctx, name)
			}
			b.m.followers.Dec()
		}()
		return b.follow(ctx, it, tenant, fn)
	}), nil
}

// follow delivers it's messages of tenant to fn until ctx ends, it is stopped or fn fails.
func (b *Bus) follow(ctx context.Context, it jetstream.MessagesContext, tenant string, fn func(schemas.TailMessage) error) error {
	for {
		msg, err := it.Next(jetstream.NextContext(ctx))
		if err != nil {
			if ctx.Err() != nil {
				return nil // stop or the caller's ctx
			}
			// The ordered consumer re-creates itself after gaps, lost heartbeats and
			// reconnects; what reaches here (the connection closed) does not recover.
			return unavailable(fmt.Errorf("follow %s: %w", tenant, err))
		}
		meta, err := msg.Metadata()
		if err != nil {
			continue
		}
		t, partition, err := schemas.ParseSubject(msg.Subject())
		// The filter selects tenant's token, and tokens are one-to-one; checking the decoded
		// tenant too means no filter mistake can hand a follower another tenant's data.
		if err != nil || t != tenant {
			continue
		}
		b.m.followed.Inc()
		if err := fn(schemas.TailMessage{Seq: meta.Sequence.Stream, Partition: partition, Tenant: t, Format: msg.Headers().Get(schemas.HeaderFormat), Payload: msg.Data()}); err != nil {
			return err
		}
	}
}
