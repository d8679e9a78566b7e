package schemas

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/grafana/loki/pkg/push"
)

func TestFieldCost(t *testing.T) {
	for n, want := range map[int]int{0: 2, 127: 129, 128: 131, 16383: 16386, 16384: 16388} {
		if got := FieldCost(n); got != want {
			t.Errorf("FieldCost(%d) = %d, want %d", n, got, want)
		}
	}
}

// TestAppendPushMatchesMarshal: appendPush writes exactly gogo's encoding and EntrySize is
// e.Size(), over edge cases of every field (zero and negative times, the first and last
// representable instants, empty lines, empty metadata names and values, parsed labels,
// stream hashes, large varints).
func TestAppendPushMatchesMarshal(t *testing.T) {
	md := push.LabelsAdapter{{Name: "", Value: ""}, {Name: "k", Value: ""}, {Name: "", Value: "v"}, {Name: "trace_id", Value: strings.Repeat("a", 200)}}
	entries := []push.Entry{
		{},
		{Timestamp: time.Unix(0, 0)},
		{Timestamp: time.Unix(0, 1), Line: "x"},
		{Timestamp: time.Unix(-5, 999), Line: strings.Repeat("y", 300)},
		{Timestamp: time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC), Line: strings.Repeat("y", 20000)},
		{Timestamp: time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC), Line: "old"},
		{Timestamp: time.Unix(1700000000, 5), Line: "z", StructuredMetadata: md},
		{Timestamp: time.Unix(1700000000, 6), Line: "p", Parsed: md[1:]},
	}
	for i := 0; i < 200; i++ {
		entries = append(entries, push.Entry{Timestamp: time.Unix(int64(i*i*i*7919)-1e6, int64(i*104729)), Line: strings.Repeat("l", i*3)})
	}
	for i := range entries {
		if got, want := EntrySize(&entries[i]), entries[i].Size(); got != want {
			t.Errorf("EntrySize(entry %d) = %d, want %d", i, got, want)
		}
	}
	cases := [][]push.Stream{
		nil,
		{{}},
		{{Labels: `{a="b"}`}},
		{{Labels: `{a="b"}`, Entries: entries, Hash: 1 << 63}, {Labels: `{c="d"}`, Entries: entries[:3], Hash: 7}, {Entries: entries[5:6]}},
	}
	for i, streams := range cases {
		req := push.PushRequest{Streams: streams}
		want, err := req.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		got, err := appendPush([]byte("prefix"), streams)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got[6:], want) {
			t.Errorf("case %d: appendPush differs from Marshal (%d bytes, want %d)", i, len(got)-6, len(want))
		}
	}
	for _, ts := range []time.Time{time.Date(0, 12, 31, 0, 0, 0, 0, time.UTC), time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)} {
		if _, err := appendPush(nil, []push.Stream{{Labels: `{a="b"}`, Entries: []push.Entry{{Timestamp: ts}}}}); err == nil {
			t.Errorf("timestamp %v encoded; no reader could decode it", ts)
		}
	}
}
