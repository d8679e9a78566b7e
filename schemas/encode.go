package schemas

import (
	"encoding/binary"
	"fmt"
	"math/bits"

	"github.com/grafana/loki/pkg/push"
)

// An encoder of logproto.PushRequest that writes byte for byte what gogo/protobuf's Marshal
// writes (TestAppendPushMatchesMarshal), forward and without gogo's per-entry time
// conversions, which cost more than the rest of the encoding together.

// FieldCost is the encoded size of a length-delimited protobuf field of n bytes (tag < 16).
func FieldCost(n int) int { return 1 + uvarintLen(uint64(n)) + n }

func uvarintLen(x uint64) int { return (bits.Len64(x|1) + 6) / 7 }

// EntrySize is e.Size(): the encoded size of an entry inside a logproto.Stream.
func EntrySize(e *push.Entry) int {
	return FieldCost(timestampSize(e)) + optField(len(e.Line)) + pairsSize(e.StructuredMetadata) + pairsSize(e.Parsed)
}

func timestampSize(e *push.Entry) int {
	n := 0
	if secs := e.Timestamp.Unix(); secs != 0 {
		n += 1 + uvarintLen(uint64(secs))
	}
	if nanos := e.Timestamp.Nanosecond(); nanos != 0 {
		n += 1 + uvarintLen(uint64(nanos))
	}
	return n
}

// optField is the cost of a proto3 string field, omitted when empty.
func optField(n int) int {
	if n == 0 {
		return 0
	}
	return FieldCost(n)
}

func pairSize(l push.LabelAdapter) int { return optField(len(l.Name)) + optField(len(l.Value)) }

func pairsSize(ls push.LabelsAdapter) int {
	n := 0
	for _, l := range ls {
		n += FieldCost(pairSize(l))
	}
	return n
}

func streamSize(s *push.Stream) int {
	n := optField(len(s.Labels))
	for i := range s.Entries {
		n += FieldCost(EntrySize(&s.Entries[i]))
	}
	if s.Hash != 0 {
		n += 1 + uvarintLen(s.Hash)
	}
	return n
}

// appendPush appends the PushRequest encoding of streams to b. Like gogo's Marshal it fails
// for a timestamp outside years 1 to 9999, which no reader could decode.
func appendPush(b []byte, streams []push.Stream) ([]byte, error) {
	for i := range streams {
		s := &streams[i]
		b = appendLen(b, 0x0a, streamSize(s))
		b = appendString(b, 0x0a, s.Labels)
		for j := range s.Entries {
			e := &s.Entries[j]
			secs, nanos := e.Timestamp.Unix(), e.Timestamp.Nanosecond()
			if secs < minTimestampSecs || secs >= maxTimestampSecs {
				return nil, fmt.Errorf("encode batch: timestamp %v out of range", e.Timestamp)
			}
			b = appendLen(b, 0x12, EntrySize(e))
			b = appendLen(b, 0x0a, timestampSize(e))
			if secs != 0 {
				b = binary.AppendUvarint(append(b, 0x08), uint64(secs))
			}
			if nanos != 0 {
				b = binary.AppendUvarint(append(b, 0x10), uint64(nanos))
			}
			b = appendString(b, 0x12, e.Line)
			b = appendPairs(b, 0x1a, e.StructuredMetadata)
			b = appendPairs(b, 0x22, e.Parsed)
		}
		if s.Hash != 0 {
			b = binary.AppendUvarint(append(b, 0x18), s.Hash)
		}
	}
	return b, nil
}

// appendLen appends a length-delimited field's tag and length.
func appendLen(b []byte, tag byte, n int) []byte {
	return binary.AppendUvarint(append(b, tag), uint64(n))
}

// appendString appends a proto3 string field, omitted when empty.
func appendString(b []byte, tag byte, s string) []byte {
	if s == "" {
		return b
	}
	return append(appendLen(b, tag, len(s)), s...)
}

func appendPairs(b []byte, tag byte, ls push.LabelsAdapter) []byte {
	for _, l := range ls {
		b = appendLen(b, tag, pairSize(l))
		b = appendString(b, 0x0a, l.Name)
		b = appendString(b, 0x12, l.Value)
	}
	return b
}
