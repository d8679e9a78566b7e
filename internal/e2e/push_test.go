package e2e

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/grafana/loki/pkg/push"
	"github.com/klauspost/compress/snappy"
)

// line is one entry to push.
type line struct {
	ts   time.Time
	text string
	md   map[string]string
}

// protoBody encodes streams (label string -> entries) as Loki's snappy-compressed protobuf.
func protoBody(t *testing.T, streams map[string][]line) []byte {
	t.Helper()
	var req push.PushRequest
	for lbls, entries := range streams {
		s := push.Stream{Labels: lbls}
		for _, e := range entries {
			pe := push.Entry{Timestamp: e.ts, Line: e.text}
			for k, v := range e.md {
				pe.StructuredMetadata = append(pe.StructuredMetadata, push.LabelAdapter{Name: k, Value: v})
			}
			s.Entries = append(s.Entries, pe)
		}
		req.Streams = append(req.Streams, s)
	}
	raw, err := req.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return snappy.Encode(nil, raw)
}

// jsonBody encodes streams (label map -> entries) in Loki's JSON push format.
func jsonBody(t *testing.T, streams []map[string]string, entries [][]line) []byte {
	t.Helper()
	type stream struct {
		Stream map[string]string `json:"stream"`
		Values [][]any           `json:"values"`
	}
	var doc struct {
		Streams []stream `json:"streams"`
	}
	for i, lbls := range streams {
		s := stream{Stream: lbls}
		for _, e := range entries[i] {
			v := []any{strconv.FormatInt(e.ts.UnixNano(), 10), e.text}
			if len(e.md) > 0 {
				v = append(v, e.md)
			}
			s.Values = append(s.Values, v)
		}
		doc.Streams = append(doc.Streams, s)
	}
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func gzipBytes(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// pushProto pushes and fails the test unless the answer is 204.
func (p *proc) pushProto(t *testing.T, tenant string, streams map[string][]line) {
	t.Helper()
	st, body := do(t, "POST", p.URL+"/loki/api/v1/push", tenant, protoBody(t, streams),
		map[string]string{"Content-Type": "application/x-protobuf"})
	if st != 204 {
		t.Fatalf("push: HTTP %d: %s", st, body)
	}
}

// seqLines makes n entries "prefix-i" one millisecond apart starting at base.
func seqLines(prefix string, base time.Time, n int) []line {
	out := make([]line, n)
	for i := range out {
		out[i] = line{ts: base.Add(time.Duration(i) * time.Millisecond), text: fmt.Sprintf("%s-%06d", prefix, i)}
	}
	return out
}
