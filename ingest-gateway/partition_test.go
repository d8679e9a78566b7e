package gateway

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/grafana/loki/pkg/push"

	"github.com/jetlog/jetlog/schemas"
)

func TestBuildMessagesSplitsToMaxPayload(t *testing.T) {
	const maxPayload = 4096
	var streams []push.Stream
	want := map[string][]string{}
	for s := 0; s < 5; s++ {
		st := push.Stream{Labels: fmt.Sprintf(`{app="s%d"}`, s)}
		for i := 0; i < 200; i++ {
			line := fmt.Sprintf("stream %d line %d %s", s, i, strings.Repeat("x", i%50))
			st.Entries = append(st.Entries, push.Entry{Timestamp: testNow.Add(time.Duration(i)), Line: line,
				StructuredMetadata: push.LabelsAdapter{{Name: "i", Value: fmt.Sprint(i)}}})
			want[st.Labels] = append(want[st.Labels], line)
		}
		streams = append(streams, st)
	}
	msgs, err := buildMessages("t1", streams, testPartitions, maxPayload)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) < 10 {
		t.Fatalf("only %d messages for ~40 KB at 4 KB each", len(msgs))
	}
	got := map[string][]string{}
	for _, m := range msgs {
		if len(m.Payload) > maxPayload-payloadHeadroom {
			t.Fatalf("payload %d bytes exceeds budget %d", len(m.Payload), maxPayload-payloadHeadroom)
		}
		req, err := schemas.DecodeBatch(schemas.FormatPushSnappy, m.Payload)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range req.Streams {
			if p := schemas.Partition("t1", s.Labels, testPartitions); p != m.Partition {
				t.Fatalf("stream %s in partition %d, want %d", s.Labels, m.Partition, p)
			}
			for _, e := range s.Entries {
				got[s.Labels] = append(got[s.Labels], e.Line)
			}
		}
	}
	for labels, lines := range want {
		if strings.Join(got[labels], "\n") != strings.Join(lines, "\n") {
			t.Fatalf("stream %s: entries lost, duplicated or reordered", labels)
		}
	}
	// The same push yields the same messages (agent retries are deduplicated by Nats-Msg-Id).
	again, err := buildMessages("t1", streams, testPartitions, maxPayload)
	if err != nil {
		t.Fatal(err)
	}
	for i := range msgs {
		if msgs[i].MsgID != again[i].MsgID {
			t.Fatalf("message %d ID differs between identical pushes", i)
		}
	}
}

// TestMessageIDsIndependentOfOtherStreams: a stream's messages are the same whether or not the
// push's other streams were accepted, so retries after a partial 429 are deduplicated.
func TestMessageIDsIndependentOfOtherStreams(t *testing.T) {
	var streams []push.Stream
	for i := 0; i < 40; i++ { // 40 streams over 16 partitions: several share one
		streams = append(streams, push.Stream{Labels: fmt.Sprintf(`{app="s%d"}`, i), Entries: []push.Entry{{Timestamp: testNow, Line: "x"}}})
	}
	ids := func(streams []push.Stream) map[string]string {
		msgs, err := buildMessages("t1", streams, testPartitions, 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, m := range msgs {
			req, err := schemas.DecodeBatch(schemas.FormatPushSnappy, m.Payload)
			if err != nil {
				t.Fatal(err)
			}
			if len(req.Streams) != 1 {
				t.Fatalf("message holds %d streams", len(req.Streams))
			}
			out[req.Streams[0].Labels] = m.MsgID
		}
		return out
	}
	all := ids(streams)
	evens := ids(func() (s []push.Stream) {
		for i := 0; i < len(streams); i += 2 {
			s = append(s, streams[i])
		}
		return s
	}())
	for labels, id := range evens {
		if all[labels] != id {
			t.Fatalf("stream %s: message ID depends on the other streams of the push", labels)
		}
	}
}

func TestBuildMessagesEntryTooLarge(t *testing.T) {
	streams := []push.Stream{{Labels: `{a="b"}`, Entries: []push.Entry{{Timestamp: testNow, Line: strings.Repeat("x", 5000)}}}}
	_, err := buildMessages("t1", streams, 1, 4096)
	if err == nil || !strings.Contains(err.Error(), "exceeds the bus message limit") {
		t.Fatalf("err %v", err)
	}
}

func TestPushSplitAcrossMessages(t *testing.T) {
	e := newTestEnv(t, nil)
	e.pub.max = 8192
	var entries []push.Entry
	for i := 0; i < 100; i++ {
		entries = append(entries, entry(time.Duration(i), strings.Repeat("y", 250)))
	}
	if status, msg := e.post(t, "/loki/api/v1/push", protoBody(t, push.Stream{Labels: `{app="a"}`, Entries: entries}), "X-Scope-OrgID", "t1"); status != 204 {
		t.Fatalf("%d %q", status, msg)
	}
	if n := len(e.pub.tenants()); n < 3 {
		t.Fatalf("%d messages, want a split", n)
	}
	if got := e.pub.streams(t)[`{app="a", service_name="a"}`]; len(got) != 100 {
		t.Fatalf("%d entries published", len(got))
	}
}
