package gateway

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"unsafe"

	"github.com/grafana/loki/pkg/push"
	"github.com/klauspost/compress/snappy"
)

// Decoders must turn any input into a request or an *httpError, never a panic, and every
// label string they produce must go through the label checks without a panic either.

func FuzzDecodeProtobuf(f *testing.F) {
	f.Add(protoBody(f, push.Stream{Labels: `{app="a"}`, Entries: []push.Entry{entry(0, "x", "k", "v")}}))
	f.Add(snappy.Encode(nil, []byte{0x0a, 0x03, 0x0a, 0x01, 0x7b}))
	f.Add([]byte{})
	f.Add(protoBody(f, push.Stream{Labels: `{app="a"}`, Entries: []push.Entry{{Line: "no timestamp"}, entry(5, "")}},
		push.Stream{Labels: `{app="b"}`}, push.Stream{Labels: `{app="a"}`, Entries: []push.Entry{entry(-1, "before 1970", "k", "")}}))
	f.Fuzz(func(t *testing.T, body []byte) {
		var buf bytes.Buffer
		data, err := unsnappy(body, &buf, 1<<20)
		if err != nil {
			mustBeHTTPError(t, err)
			return
		}
		var req push.PushRequest
		err = decodeProtobuf(data, &req, new([]push.Entry))
		// decodeProtobuf reads what gogo/protobuf reads, the same way, and fails with its
		// message; parsed labels and stream hashes, which the gateway drops, aside.
		var gogo push.PushRequest
		gerr := gogo.Unmarshal(data)
		if err != nil {
			mustBeHTTPError(t, err)
			if gerr == nil || err.Error() != "parse push request: "+gerr.Error() {
				t.Fatalf("decodeProtobuf: %v; gogo/protobuf: %v", err, gerr)
			}
			return
		}
		if gerr != nil {
			t.Fatalf("decodeProtobuf accepts what gogo/protobuf refuses: %v", gerr)
		}
		for i := range gogo.Streams {
			gogo.Streams[i].Hash = 0
			for j := range gogo.Streams[i].Entries {
				gogo.Streams[i].Entries[j].Parsed = nil
			}
		}
		if !reflect.DeepEqual(normalized(req), normalized(gogo)) {
			t.Fatalf("decodeProtobuf:\n%+v\ngogo/protobuf:\n%+v", req, gogo)
		}
		// Lines are not copied: they point into the decoded body.
		for _, s := range req.Streams {
			for _, e := range s.Entries {
				if p := unsafe.StringData(e.Line); len(e.Line) > 0 && (uintptr(unsafe.Pointer(p)) < uintptr(unsafe.Pointer(&data[0])) || uintptr(unsafe.Pointer(p)) >= uintptr(unsafe.Pointer(&data[0]))+uintptr(len(data))) {
					t.Fatalf("line %q is a copy", e.Line)
				}
			}
		}
		checkAll(&req)
	})
}

// normalized renders a request for comparison: empty and nil slices alike, times as instants.
func normalized(req push.PushRequest) string {
	var b strings.Builder
	for _, s := range req.Streams {
		fmt.Fprintf(&b, "stream %q\n", s.Labels)
		for _, e := range s.Entries {
			fmt.Fprintf(&b, "  %d %q", e.Timestamp.UnixNano(), e.Line)
			for _, m := range e.StructuredMetadata {
				fmt.Fprintf(&b, " %q=%q", m.Name, m.Value)
			}
			b.WriteByte('\n')
		}
	}
	return b.String()
}

func FuzzDecodeJSON(f *testing.F) {
	f.Add([]byte(`{"streams":[{"stream":{"app":"a"},"values":[["1700000000000000000","x",{"k":"v"}]]}]}`))
	f.Add([]byte(`{"streams":[{"labels":"{a=\"b\"}","entries":[{"ts":"2026-01-01T00:00:00Z","line":"x"}]}]}`))
	f.Add([]byte(`{"streams":[{"stream":{"a":"b"},"values":[[1,"x"]]}]}`))
	f.Add([]byte(`[[[[[[[[`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var req push.PushRequest
		if err := decodeJSON(body, &req); err != nil {
			mustBeHTTPError(t, err)
			return
		}
		checkAll(&req)
	})
}

func FuzzDecompress(f *testing.F) {
	f.Add(uint8(0), gzipped([]byte("hello")))
	f.Add(uint8(1), deflated([]byte("hello")))
	f.Add(uint8(2), snappy.Encode(nil, []byte("hello")))
	f.Add(uint8(0), []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff})
	encodings := []string{"gzip", "deflate", "snappy", "", "br"}
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		const limit = 1 << 16
		enc := encodings[int(which)%len(encodings)]
		var out, unsnapped bytes.Buffer
		data, err := decompress(enc, body, &out, limit)
		if err != nil {
			mustBeHTTPError(t, err)
			return
		}
		if len(data) > limit {
			t.Fatalf("%s output %d bytes beyond limit", enc, len(data))
		}
		if enc == "snappy" {
			data, err = unsnappy(data, &unsnapped, limit)
			if err != nil {
				mustBeHTTPError(t, err)
				return
			}
			if len(data) > limit {
				t.Fatalf("snappy output %d bytes beyond limit", len(data))
			}
		}
	})
}

func mustBeHTTPError(t *testing.T, err error) {
	t.Helper()
	var he *httpError
	if !errors.As(err, &he) || he.status < 400 || he.msg == "" {
		t.Fatalf("error %v is not a client error", err)
	}
}

func checkAll(req *push.PushRequest) {
	l := DefaultLimits()
	b := boundsFor(&l, testNow)
	for i := range req.Streams {
		s := &req.Streams[i]
		ps := &parsedStream{}
		ps.ls, ps.err = parseLabels(s.Labels)
		v := checkLabels(ps, s.Labels, &l)
		for j := range s.Entries {
			checkEntry(&s.Entries[j], v.canonical, &l, b)
		}
	}
}

// FuzzParseLabels: whatever parses prints back to a string that parses to the same labels.
func FuzzParseLabels(f *testing.F) {
	for _, s := range []string{`{a="b"}`, `{a="1", b='2', c=` + "`3`" + `,}`, `{a="\u00e9\n\""}`, `{}`, `{a=""}`, `{a="1",a="2"}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ls, err := parseLabels(s)
		if err != nil {
			return
		}
		again, err := parseLabels(ls.String())
		if err != nil {
			t.Fatalf("%q printed as %q which does not parse: %v", s, ls.String(), err)
		}
		if again.String() != ls.String() {
			t.Fatalf("%q: round trip %q -> %q", s, ls.String(), again.String())
		}
	})
}
