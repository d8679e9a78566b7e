package schemas

import (
	"fmt"
	"testing"
	"time"

	"github.com/grafana/loki/pkg/push"
)

// WalkPush must see what DecodeBatch decodes, and fail where it fails.
func FuzzWalkPush(f *testing.F) {
	payload, _, err := EncodeBatch("t", 0, []push.Stream{
		{Labels: `{app="a"}`, Entries: []push.Entry{
			{Timestamp: time.Unix(1, 5), Line: "one"},
			{Timestamp: time.Unix(2, 0), Line: "two", StructuredMetadata: push.LabelsAdapter{{Name: "b", Value: "2"}, {Name: "a", Value: "1"}}},
		}},
		{Labels: `{app="b"}`, Entries: []push.Entry{{Timestamp: time.Unix(0, 0), Line: ""}}},
	})
	if err != nil {
		f.Fatal(err)
	}
	payload, err = PushBytes(FormatPushSnappy, payload, nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(payload)
	f.Add(payload[:len(payload)-3])
	f.Fuzz(func(t *testing.T, b []byte) {
		var got []string
		var cur string
		werr := WalkPush(b, func(ls []byte) (bool, error) {
			cur = string(ls)
			return true, nil
		}, func(ts int64, line []byte, md [][2][]byte) {
			got = append(got, fmt.Sprintf("%s %d %q %q", cur, ts, line, md))
		})
		req, derr := DecodeBatch(FormatPushV1, b)
		if (werr == nil) != (derr == nil) {
			t.Fatalf("WalkPush: %v, DecodeBatch: %v", werr, derr)
		}
		if derr != nil {
			return
		}
		var want []string
		for _, st := range req.Streams {
			for _, e := range st.Entries {
				var md [][2][]byte
				for _, l := range e.StructuredMetadata {
					md = append(md, [2][]byte{[]byte(l.Name), []byte(l.Value)})
				}
				want = append(want, fmt.Sprintf("%s %d %q %q", st.Labels, e.Timestamp.UnixNano(), e.Line, md))
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("WalkPush:\n%v\nDecodeBatch:\n%v", got, want)
		}
	})
}

func BenchmarkWalkPush(b *testing.B) {
	var es []push.Entry
	var raw int64
	for i := 0; i < 1000; i++ {
		l := fmt.Sprintf("seq=%d level=info msg=\"alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima\"", i)
		es = append(es, push.Entry{Timestamp: time.Unix(0, int64(i)), Line: l})
		raw += int64(len(l))
	}
	payload, _, err := EncodeBatch("t", 0, []push.Stream{{Labels: `{app="a"}`, Entries: es}})
	if err != nil {
		b.Fatal(err)
	}
	pb, err := PushBytes(FormatPushSnappy, payload, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("walk", func(b *testing.B) {
		b.SetBytes(raw)
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			_ = WalkPush(pb, func([]byte) (bool, error) { return true, nil }, func(int64, []byte, [][2][]byte) {})
		}
	})
	b.Run("decompress-walk", func(b *testing.B) { // the bus tail's cost per message
		b.SetBytes(raw)
		b.ReportAllocs()
		var buf []byte
		for i := 0; i < b.N; i++ {
			pb, _ := PushBytes(FormatPushSnappy, payload, buf)
			buf = pb
			_ = WalkPush(pb, func([]byte) (bool, error) { return true, nil }, func(int64, []byte, [][2][]byte) {})
		}
	})
	b.Run("decode", func(b *testing.B) {
		b.SetBytes(raw)
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			_, _ = DecodeBatch(FormatPushSnappy, payload)
		}
	})
}
