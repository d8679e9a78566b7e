package schemas

import (
	"crypto/sha256"
	"encoding/hex"

	"fmt"
	"strconv"
	"strings"

	"github.com/cespare/xxhash/v2"
	"github.com/grafana/loki/pkg/push"

	"github.com/jetlog/jetlog/schemas/labels"
)

// Bus constants. Changing any of them changes the wire format.
const (
	SubjectPrefix = "logs"
	HeaderMsgID   = "Nats-Msg-Id"
	HeaderTenant  = "Jetlog-Tenant"
	HeaderFormat  = "Jetlog-Format"
	FormatPushV1  = "loki-push-v1"
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

// EncodeBatch serialises the streams of one tenant and partition into a bus payload and
// returns it with its Nats-Msg-Id. The ID is a hash of tenant, partition and payload, so the
// same push retried by an agent yields the same IDs and JetStream stores it once.
func EncodeBatch(tenant string, partition int, streams []push.Stream) (payload []byte, msgID string, err error) {
	req := push.PushRequest{Streams: streams}
	payload, err = req.Marshal()
	if err != nil {
		return nil, "", fmt.Errorf("encode batch: %w", err)
	}
	return payload, MsgID(tenant, partition, payload), nil
}

// MsgID is the deduplication ID of a payload.
func MsgID(tenant string, partition int, payload []byte) string {
	h := sha256.New()
	h.Write([]byte(tenant))
	h.Write([]byte{0})
	h.Write([]byte(strconv.Itoa(partition)))
	h.Write([]byte{0})
	h.Write(payload)
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// DecodeBatch parses a bus payload.
func DecodeBatch(payload []byte) (*push.PushRequest, error) {
	var req push.PushRequest
	if err := req.Unmarshal(payload); err != nil {
		return nil, fmt.Errorf("decode batch: %w", err)
	}
	return &req, nil
}

// Message is one bus message ready to publish: the gateway builds it, package bus sends it.
type Message struct {
	Subject   string
	MsgID     string
	Tenant    string
	Partition int
	Payload   []byte
}

// TailMessage is one message read back from the bus by sequence (querier tail reads).
// Payload decodes with DecodeBatch.
type TailMessage struct {
	Seq       uint64
	Partition int
	Tenant    string
	Payload   []byte
}

// EntryMetadata returns a bus entry's structured metadata as sorted labels (nil when none).
func EntryMetadata(e *push.Entry) labels.Labels {
	if len(e.StructuredMetadata) == 0 {
		return nil
	}
	md := make(labels.Labels, len(e.StructuredMetadata))
	for i, l := range e.StructuredMetadata {
		md[i] = labels.Label{Name: l.Name, Value: l.Value}
	}
	return labels.New(md...)
}
