package gateway

import (
	"fmt"
	"slices"

	"github.com/grafana/loki/pkg/push"

	"github.com/jetlog/jetlog/schemas"
)

// payloadHeadroom is kept free in every message for NATS headers (Nats-Msg-Id, tenant,
// format), which count against the server's max_payload together with the body.
const payloadHeadroom = 1024

// buildMessages encodes accepted streams (labels already canonical) into bus messages of at
// most maxPayload bytes, in partition order, splitting a stream's entries across messages
// when needed.
//
// Each message holds one stream only. The Nats-Msg-Id is a hash of the payload, so a
// message's ID must not depend on which other streams of the push were accepted: when an
// agent retries a push after a 429 or a lost response, a stream refused the first time (per
// stream rate, stream limit) may be accepted now and the reverse; with one stream per message
// every stream already stored produces the same IDs again and JetStream drops the copy.
func buildMessages(tenant string, streams []push.Stream, partitions, maxPayload int) ([]schemas.Message, error) {
	// Budgets count PushRequest bytes; compression may add up to MaxPayloadOverhead.
	budget := maxPayload - payloadHeadroom - schemas.MaxPayloadOverhead
	if budget <= 0 {
		return nil, fmt.Errorf("bus max payload %d is too small", maxPayload)
	}
	byPart := make(map[int][]push.Stream, min(partitions, len(streams)))
	for _, s := range streams {
		p := schemas.Partition(tenant, s.Labels, partitions)
		byPart[p] = append(byPart[p], s)
	}
	parts := make([]int, 0, len(byPart))
	for p := range byPart {
		parts = append(parts, p)
	}
	slices.Sort(parts)

	var msgs []schemas.Message
	for _, p := range parts {
		b := batcher{tenant: tenant, partition: p, budget: budget, msgs: msgs}
		for _, s := range byPart[p] {
			if err := b.addStream(s); err != nil {
				return nil, err
			}
			if err := b.flush(); err != nil {
				return nil, err
			}
		}
		msgs = b.msgs
	}
	return msgs, nil
}

// batcher fills one message after another with a stream's entries. Sizes are exact protobuf
// sizes of the PushRequest being built.
type batcher struct {
	tenant    string
	partition int
	budget    int
	cur       []push.Stream
	curSize   int
	msgs      []schemas.Message
}

func (b *batcher) addStream(s push.Stream) error {
	labelsCost := schemas.FieldCost(len(s.Labels))
	part := push.Stream{Labels: s.Labels}
	partSize := labelsCost
	for i := range s.Entries {
		ec := schemas.FieldCost(schemas.EntrySize(&s.Entries[i]))
		if b.curSize+schemas.FieldCost(partSize+ec) > b.budget {
			if len(part.Entries) > 0 {
				b.cur = append(b.cur, part)
				b.curSize += schemas.FieldCost(partSize)
			}
			if err := b.flush(); err != nil {
				return err
			}
			part = push.Stream{Labels: s.Labels}
			partSize = labelsCost
			if schemas.FieldCost(partSize+ec) > b.budget {
				return &httpError{413, fmt.Sprintf("entry of %d bytes for stream '%s' exceeds the bus message limit of %d bytes", ec, s.Labels, b.budget)}
			}
		}
		if part.Entries == nil {
			part.Entries = s.Entries[i:i:len(s.Entries)]
		}
		part.Entries = append(part.Entries, s.Entries[i])
		partSize += ec
	}
	if len(part.Entries) > 0 {
		b.cur = append(b.cur, part)
		b.curSize += schemas.FieldCost(partSize)
	}
	return nil
}

func (b *batcher) flush() error {
	if len(b.cur) == 0 {
		return nil
	}
	payload, id, err := schemas.EncodeBatch(b.tenant, b.partition, b.cur)
	if err != nil {
		return err
	}
	b.msgs = append(b.msgs, schemas.Message{
		Subject:   schemas.Subject(b.tenant, b.partition),
		MsgID:     id,
		Tenant:    b.tenant,
		Partition: b.partition,
		Payload:   payload,
		Times:     schemas.TimesOf(b.cur),
	})
	b.cur, b.curSize = nil, 0
	return nil
}
