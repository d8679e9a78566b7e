package store

import (
	"fmt"
	"testing"
	"time"

	"github.com/grafana/loki/pkg/push"

	"github.com/jetlog/jetlog/schemas"
)

// BenchmarkWalkMessage: the bus tail's per-message cost, decompression included (the walk
// alone is schemas.BenchmarkWalkPush).
func BenchmarkWalkMessage(b *testing.B) {
	var es []push.Entry
	var raw int64
	for i := 0; i < 1000; i++ {
		l := fmt.Sprintf("seq=%d level=info msg=\"alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima\"", i)
		es = append(es, push.Entry{Timestamp: time.Unix(0, int64(i)), Line: l})
		raw += int64(len(l))
	}
	payload, _, err := schemas.EncodeBatch("t", 0, []push.Stream{{Labels: `{app="a"}`, Entries: es}})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(raw)
	b.ReportAllocs()
	m := schemas.TailMessage{Format: schemas.FormatPushSnappy, Payload: payload}
	var buf []byte
	for b.Loop() {
		_ = walkMessage(m, &buf, func([]byte) (bool, error) { return true, nil }, func(int64, []byte, [][2][]byte) {})
	}
}
