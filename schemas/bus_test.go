package schemas

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/grafana/loki/pkg/push"
	"github.com/klauspost/compress/snappy"
)

// FuzzTenantToken: a token is one subject token (no '.', '*', '>' or space), it decodes back
// to its tenant, and TenantFromToken never panics on anything. So "x.y" (x=2Ey) and "x=2Ey"
// (x=3D2Ey) never share a subject.
func FuzzTenantToken(f *testing.F) {
	for _, s := range []string{"tenant-1", "x.y", "x=2Ey", "a*", "a>", "..", "=", "=2", "=zz", "é", "(x)!'", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tok := TenantToken(s)
		if strings.ContainsAny(tok, ".*> \t\r\n") {
			t.Fatalf("token %q of %q is not one subject token", tok, s)
		}
		back, err := TenantFromToken(tok)
		if err != nil || back != s {
			t.Fatalf("token %q of %q decodes to %q, %v", tok, s, back, err)
		}
		_, _ = TenantFromToken(s) // whatever a subject holds
		if tenant, p, err := ParseSubject(Subject(s, 3)); err != nil || tenant != s || p != 3 {
			t.Fatalf("subject of %q parses as %q/%d, %v", s, tenant, p, err)
		}
	})
}

// TestPayloadFormats: EncodeBatch writes FormatPushSnappy, which is a Loki push body (snappy
// block of a PushRequest); payloads of the older uncompressed format still decode; anything
// else is refused with the format named, and RawSize is the PushRequest's size.
func TestPayloadFormats(t *testing.T) {
	streams := []push.Stream{{Labels: `{app="a"}`, Entries: []push.Entry{
		{Timestamp: time.Unix(1, 2), Line: strings.Repeat("level=info msg=hello ", 50)},
		{Timestamp: time.Unix(3, 4), Line: "two", StructuredMetadata: push.LabelsAdapter{{Name: "trace", Value: "x"}}},
	}}}
	payload, id, err := EncodeBatch("t1", 3, streams)
	if err != nil {
		t.Fatal(err)
	}
	if id != MsgID("t1", 3, payload) {
		t.Fatal("the message ID is not the payload's hash")
	}
	want := push.PushRequest{Streams: streams}
	raw, err := want.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if len(payload) >= len(raw) {
		t.Fatalf("payload of %d bytes is not compressed (%d raw)", len(payload), len(raw))
	}
	if got, err := snappy.Decode(nil, payload); err != nil || !bytes.Equal(got, raw) {
		t.Fatalf("payload is not a snappy block of the PushRequest: %v", err)
	}
	if n := RawSize(FormatPushSnappy, payload); n != len(raw) {
		t.Fatalf("RawSize = %d, want %d", n, len(raw))
	}
	for _, c := range []struct {
		format  string
		payload []byte
	}{{FormatPushSnappy, payload}, {FormatPushV1, raw}} {
		req, err := DecodeBatch(c.format, c.payload)
		if err != nil {
			t.Fatalf("%s: %v", c.format, err)
		}
		if req.Streams[0].Entries[0].Line != streams[0].Entries[0].Line || req.Streams[0].Entries[1].StructuredMetadata[0].Value != "x" {
			t.Fatalf("%s: decoded %+v", c.format, req)
		}
	}
	if _, err := DecodeBatch("", payload); err == nil || !strings.Contains(err.Error(), `unknown payload format ""`) {
		t.Fatalf("missing format: %v", err)
	}
	if _, err := DecodeBatch(FormatPushSnappy, payload[:len(payload)/2]); err == nil {
		t.Fatal("a truncated payload decodes")
	}
}

// BenchmarkPartition: the gateway hashes every stream of every push to its partition.
func BenchmarkPartition(b *testing.B) {
	ls := make([]string, 100)
	for i := range ls {
		ls[i] = fmt.Sprintf(`{job="load", namespace="ns-%d", pod="pod-%d", stream="s%03d"}`, i%5, i%17, i)
	}
	b.ReportAllocs()
	var sum int
	for i := 0; b.Loop(); i++ {
		sum += Partition("tenant-1", ls[i%len(ls)], 16)
	}
	if sum < 0 {
		b.Fatal(sum)
	}
}

func TestTimes(t *testing.T) {
	at := func(ns int64) push.Entry { return push.Entry{Timestamp: time.Unix(0, ns)} }
	if got := TimesOf(nil); got.Known {
		t.Fatalf("no entries: %+v", got)
	}
	tm := TimesOf([]push.Stream{{Entries: []push.Entry{at(5), at(-3)}}, {}, {Entries: []push.Entry{at(9), at(0)}}})
	if tm != (Times{Min: -3, Max: 9, Known: true}) {
		t.Fatalf("times %+v", tm)
	}
	if back := ParseTimes(tm.Header()); back != tm {
		t.Fatalf("header %q reads back as %+v", tm.Header(), back)
	}
	for _, h := range []string{"", "5", "5 x", "9 3", " 1", "1 2 3"} {
		if got := ParseTimes(h); got.Known {
			t.Errorf("ParseTimes(%q) = %+v", h, got)
		}
	}
	for _, c := range []struct {
		start, end int64
		outside    bool
	}{{-10, -3, true}, {-10, -2, false}, {9, 20, false}, {10, 20, true}, {0, 1, false}} {
		if got := tm.Outside(c.start, c.end); got != c.outside {
			t.Errorf("Outside(%d, %d) = %v", c.start, c.end, got)
		}
	}
	if (Times{}).Outside(0, 1) {
		t.Error("an unknown range is outside")
	}
}
