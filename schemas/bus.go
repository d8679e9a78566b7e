package schemas

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/cespare/xxhash/v2"
	"github.com/grafana/loki/pkg/push"
	"github.com/klauspost/compress/s2"

	"github.com/jetlog/jetlog/schemas/labels"
)

// Bus constants. Changing any of them changes the wire format.
const (
	SubjectPrefix = "logs"
	HeaderMsgID   = "Nats-Msg-Id"
	HeaderTenant  = "Jetlog-Tenant"
	HeaderFormat  = "Jetlog-Format"
	// HeaderTimes holds "<min> <max>": the first and last timestamp (Unix nanoseconds) of the
	// payload's entries, so that a reader of the bus can skip a message without decoding it.
	// Messages published without it are read whole.
	HeaderTimes = "Jetlog-Times"

	// FormatPushSnappy is what jetlog publishes: a logproto.PushRequest compressed with
	// snappy's block format, byte for byte what Loki's push API accepts as a body.
	FormatPushSnappy = "loki-push-snappy-v1"
	// FormatPushV1 is the same request uncompressed, as jetlog published it before
	// FormatPushSnappy; messages of this format may still be on a bus and are read.
	FormatPushV1 = "loki-push-v1"
)

// TenantToken escapes a tenant ID into a string that is one NATS subject token and one object
// key segment: bytes outside [A-Za-z0-9_-] become =XX (upper-case hex). It is a bijection, so
// two tenants never share a token.
func TenantToken(tenant string) string {
	safe := true
	for i := 0; i < len(tenant); i++ {
		if !tokenByte(tenant[i]) {
			safe = false
			break
		}
	}
	if safe {
		return tenant
	}
	var b strings.Builder
	for i := 0; i < len(tenant); i++ {
		c := tenant[i]
		if tokenByte(c) {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "=%02X", c)
	}
	return b.String()
}

// TenantFromToken reverses TenantToken.
func TenantFromToken(tok string) (string, error) {
	if !strings.Contains(tok, "=") {
		return tok, nil
	}
	var b strings.Builder
	for i := 0; i < len(tok); i++ {
		if tok[i] != '=' {
			b.WriteByte(tok[i])
			continue
		}
		if i+2 >= len(tok) {
			return "", fmt.Errorf("bad tenant token %q", tok)
		}
		v, err := hex.DecodeString(tok[i+1 : i+3])
		if err != nil {
			return "", fmt.Errorf("bad tenant token %q", tok)
		}
		b.WriteByte(v[0])
		i += 2
	}
	return b.String(), nil
}

func tokenByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

// Subject is the bus subject of a tenant's partition.
func Subject(tenant string, partition int) string {
	return SubjectPrefix + "." + TenantToken(tenant) + "." + strconv.Itoa(partition)
}

// TenantSubjects is the subject filter matching every partition of one tenant.
func TenantSubjects(tenant string) string {
	return SubjectPrefix + "." + TenantToken(tenant) + ".*"
}

// PartitionSubjects is the subject filter matching one partition of every tenant.
func PartitionSubjects(partition int) string {
	return SubjectPrefix + ".*." + strconv.Itoa(partition)
}

// AllSubjects matches every log subject.
const AllSubjects = SubjectPrefix + ".>"

// ParseSubject splits a log subject into tenant and partition.
func ParseSubject(subject string) (tenant string, partition int, err error) {
	parts := strings.Split(subject, ".")
	if len(parts) != 3 || parts[0] != SubjectPrefix {
		return "", 0, fmt.Errorf("not a log subject: %q", subject)
	}
	tenant, err = TenantFromToken(parts[1])
	if err != nil {
		return "", 0, err
	}
	partition, err = strconv.Atoi(parts[2])
	if err != nil || partition < 0 {
		return "", 0, fmt.Errorf("bad partition in subject %q", subject)
	}
	return tenant, partition, nil
}

// Partition maps a stream to a partition in [0, n): xxhash of tenant and the canonical label
// string. It is part of the storage format: do not change it.
func Partition(tenant, canonicalLabels string, n int) int {
	if n <= 1 {
		return 0
	}
	d := xxhash.New()
	_, _ = d.WriteString(tenant)
	_, _ = d.Write([]byte{0xff})
	_, _ = d.WriteString(canonicalLabels)
	return int(d.Sum64() % uint64(n))
}

// EncodeBatch serialises the streams of one tenant and partition into a bus payload of
// FormatPushSnappy and returns it with its Nats-Msg-Id. The ID is a hash of tenant, partition
// and payload, so the same push retried by an agent yields the same IDs and JetStream stores
// it once.
//
// Compressing here rather than in JetStream's store keeps every copy small: the publish, the
// store's block caches, each consumer's delivery and the chunker's buffers all hold about a
// fifth of the raw bytes (loadgen lines: 5.3x).
func EncodeBatch(tenant string, partition int, streams []push.Stream) (payload []byte, msgID string, err error) {
	raw := getScratch(0)
	defer scratch.Put(raw)
	pb, err := appendPush((*raw)[:0], streams)
	if err != nil {
		return nil, "", err
	}
	*raw = pb // the pool keeps what append grew
	enc := getScratch(s2.MaxEncodedLen(len(pb)))
	defer scratch.Put(enc)
	// The copy is exact-sized: the encoder needs room for incompressible input, the message
	// then lives until JetStream acknowledged it.
	payload = bytes.Clone(s2.EncodeSnappy(*enc, pb))
	return payload, MsgID(tenant, partition, payload), nil
}

// MaxPayloadOverhead is how much larger than its PushRequest a payload can get (incompressible
// input is stored as literals behind a length prefix).
const MaxPayloadOverhead = 16

// scratch recycles EncodeBatch's buffers, which live only until the payload is copied out.
var scratch sync.Pool

func getScratch(n int) *[]byte {
	if b, ok := scratch.Get().(*[]byte); ok && cap(*b) >= n {
		*b = (*b)[:n]
		return b
	}
	b := make([]byte, n)
	return &b
}

// MsgID is the deduplication ID of a payload: SHA-256 (hardware-accelerated almost
// everywhere) of tenant, partition and the compressed payload, truncated to 128 bits. The
// encoder is deterministic, so a retry through the same gateway version gets the same ID.
func MsgID(tenant string, partition int, payload []byte) string {
	h := sha256.New()
	h.Write([]byte(tenant))
	h.Write([]byte{0})
	h.Write([]byte(strconv.Itoa(partition)))
	h.Write([]byte{0})
	h.Write(payload)
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// PushBytes returns the logproto.PushRequest bytes of a payload of the given format (the
// Jetlog-Format header). A compressed payload is decoded into dst when it fits, else into a
// new slice; an uncompressed one is returned as it is.
func PushBytes(format string, payload, dst []byte) ([]byte, error) {
	switch format {
	case FormatPushSnappy:
		out, err := s2.Decode(dst[:cap(dst)], payload)
		if err != nil {
			return nil, fmt.Errorf("decode batch: snappy: %w", err)
		}
		return out, nil
	case FormatPushV1:
		return payload, nil
	}
	return nil, fmt.Errorf("decode batch: unknown payload format %q", format)
}

// RawSize is the size of the PushRequest a payload holds: what it costs decoded.
func RawSize(format string, payload []byte) int {
	if format == FormatPushSnappy {
		if n, err := s2.DecodedLen(payload); err == nil {
			return n
		}
	}
	return len(payload)
}

// DecodeBatch parses a bus payload of the given format (the Jetlog-Format header).
func DecodeBatch(format string, payload []byte) (*push.PushRequest, error) {
	b, err := PushBytes(format, payload, nil)
	if err != nil {
		return nil, err
	}
	var req push.PushRequest
	if err := req.Unmarshal(b); err != nil {
		return nil, fmt.Errorf("decode batch: %w", err)
	}
	return &req, nil
}

// Message is one bus message ready to publish: the gateway builds it, package bus sends it.
// Its payload is of FormatPushSnappy.
type Message struct {
	Subject   string
	MsgID     string
	Tenant    string
	Partition int
	Payload   []byte
	Times     Times // of the payload's entries
}

// Times is the time range [Min, Max] (Unix nanoseconds, both included) of a message's
// entries; the zero value (Known false) says nothing.
type Times struct {
	Min, Max int64
	Known    bool
}

// TimesOf returns the time range of the streams' entries.
func TimesOf(streams []push.Stream) Times {
	var t Times
	for _, s := range streams {
		for i := range s.Entries {
			ts := s.Entries[i].Timestamp.UnixNano()
			if !t.Known || ts < t.Min {
				t.Min = ts
			}
			if !t.Known || ts > t.Max {
				t.Max = ts
			}
			t.Known = true
		}
	}
	return t
}

// Header is the value of HeaderTimes for t.
func (t Times) Header() string {
	return strconv.FormatInt(t.Min, 10) + " " + strconv.FormatInt(t.Max, 10)
}

// ParseTimes reads a HeaderTimes value; a missing or malformed one gives the zero Times.
func ParseTimes(h string) Times {
	first, last, ok := strings.Cut(h, " ")
	if !ok {
		return Times{}
	}
	lo, err1 := strconv.ParseInt(first, 10, 64)
	hi, err2 := strconv.ParseInt(last, 10, 64)
	if err1 != nil || err2 != nil || lo > hi {
		return Times{}
	}
	return Times{Min: lo, Max: hi, Known: true}
}

// Outside reports whether t is known and holds no moment of [start, end).
func (t Times) Outside(start, end int64) bool {
	return t.Known && (t.Max < start || t.Min >= end)
}

// TailMessage is one message read back from the bus. Payload decodes with DecodeBatch(Format,
// Payload), or m.Decode().
type TailMessage struct {
	Seq       uint64
	Partition int
	Tenant    string
	Format    string
	Payload   []byte
	Times     Times // from HeaderTimes
}

// Decode parses the message's payload.
func (m TailMessage) Decode() (*push.PushRequest, error) { return DecodeBatch(m.Format, m.Payload) }

// MetadataLabels copies WalkPush's structured metadata pairs into sorted labels (nil when
// there are none).
func MetadataLabels(md [][2][]byte) labels.Labels {
	if len(md) == 0 {
		return nil
	}
	ls := make([]labels.Label, len(md))
	for i, kv := range md {
		ls[i] = labels.Label{Name: string(kv[0]), Value: string(kv[1])}
	}
	return labels.New(ls...)
}
