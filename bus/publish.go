package bus

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/jetlog/jetlog/schemas"
)

// MaxPayload is the largest message the server accepts, minus room for headers.
func (b *Bus) MaxPayload() int {
	return int(b.nc.MaxPayload()) - 1024
}

// PublishAll publishes every message asynchronously and returns nil only once JetStream has
// acknowledged each one. A message whose ack fails or does not come within a second (it may
// be lost with a crashed stream leader) is published again with the same Nats-Msg-Id (so it
// is stored once) until -bus.publish-timeout; then the error is an *UnavailableError. Messages acknowledged before a failure stay stored: the client retries the
// whole push and the duplicate window makes that harmless.
func (b *Bus) PublishAll(ctx context.Context, msgs []schemas.Message) error {
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, b.cfg.PublishTimeout)
	defer cancel()
	pending := make([]int, len(msgs))
	for i := range msgs {
		pending[i] = i
	}
	for attempt := 0; len(pending) > 0; attempt++ {
		if attempt > 0 {
			b.m.retries.Add(float64(len(pending)))
			select {
			case <-ctx.Done():
				b.m.publishErrs.Inc()
				return unavailable(fmt.Errorf("%d of %d messages not acknowledged: %w", len(pending), len(msgs), ctx.Err()))
			case <-time.After(backoff(attempt)):
			}
		}
		futures := make([]jetstream.PubAckFuture, len(pending))
		var failed []int
		for j, i := range pending {
			f, err := b.js.PublishMsgAsync(toNATS(&msgs[i]), jetstream.WithExpectStream(b.cfg.Stream))
			if err != nil {
				failed = append(failed, i)
				continue
			}
			futures[j] = f
		}
		for j, i := range pending {
			f := futures[j]
			if f == nil {
				continue
			}
			select {
			case <-f.Ok():
			case err := <-f.Err():
				if errors.Is(err, jetstream.ErrNoStreamResponse) || isRetryable(err) {
					failed = append(failed, i)
					continue
				}
				b.m.publishErrs.Inc()
				return unavailable(fmt.Errorf("publish %s: %w", msgs[i].Subject, err))
			case <-ctx.Done():
				b.m.publishErrs.Inc()
				return unavailable(fmt.Errorf("waiting for acks: %w", ctx.Err()))
			}
		}
		pending = failed
	}
	var n int
	for i := range msgs {
		n += len(msgs[i].Payload)
	}
	b.m.published.Add(float64(len(msgs)))
	b.m.publishBytes.Add(float64(n))
	b.m.ackLatency.Observe(time.Since(start).Seconds())
	return nil
}

func toNATS(m *schemas.Message) *nats.Msg {
	h := nats.Header{}
	h.Set(schemas.HeaderMsgID, m.MsgID)
	h.Set(schemas.HeaderTenant, m.Tenant)
	h.Set(schemas.HeaderFormat, schemas.FormatPushSnappy)
	if m.Times.Known {
		h.Set(schemas.HeaderTimes, m.Times.Header())
	}
	return &nats.Msg{Subject: m.Subject, Header: h, Data: m.Payload}
}

// isRetryable: everything but a definitive rejection by the stream (wrong stream, too large).
func isRetryable(err error) bool {
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) {
		return apiErr.Code >= 500 || apiErr.Code == 0
	}
	return true
}

// backoff is the pause before attempt (>= 1). It stays short: an attempt whose ack does not
// come already took ackWait, and after a leader election every extra pause is time without
// ingest.
func backoff(attempt int) time.Duration {
	d := 50 * time.Millisecond << min(attempt-1, 5)
	return min(d, 250*time.Millisecond)
}
