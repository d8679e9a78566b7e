package gateway

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/grafana/loki/pkg/push"
	"github.com/klauspost/compress/snappy"
)

// TestBadPushes pins the status and message of each hostile or malformed push.
func TestBadPushes(t *testing.T) {
	e := newTestEnv(t, func(c *Config) { c.MaxRecvMsgSize = 1 << 20 })
	ok := func(labels string, entries ...push.Entry) []byte {
		return protoBody(t, push.Stream{Labels: labels, Entries: entries})
	}
	ts := testNow.Add(-time.Minute).UnixNano()
	f := func(name string, body []byte, headers []string, wantStatus int, wantMsg string) {
		t.Run(name, func(t *testing.T) {
			t.Helper()
			status, msg := e.post(t, "/loki/api/v1/push", body, headers...)
			if status != wantStatus || msg != wantMsg+"\n" {
				t.Fatalf("got %d %q\nwant %d %q", status, msg, wantStatus, wantMsg+"\n")
			}
		})
	}
	tenant := []string{"X-Scope-OrgID", "t1"}
	jsonH := []string{"X-Scope-OrgID", "t1", "Content-Type", "application/json"}
	manyLabels := "{" + strings.Repeat(`a="1", `, 0)
	for i := 0; i < 16; i++ {
		manyLabels += fmt.Sprintf(`l%02d="v", `, i)
	}
	manyLabels = strings.TrimSuffix(manyLabels, ", ") + "}"
	deep := strings.Repeat("[", 20000) + strings.Repeat("]", 20000)

	f("malformed protobuf", snappy.Encode(nil, []byte{0x0a, 0xff, 0xff, 0xff, 0x0f}), tenant, 400,
		"parse push request: unexpected EOF")
	f("bad snappy", []byte("definitely not snappy"), tenant, 400,
		"decompress snappy: corrupt input")
	f("truncated gzip", gzipped([]byte("hello"))[:12], append([]string{"Content-Encoding", "gzip"}, tenant...), 400,
		"decompress gzip: unexpected EOF")
	f("bad deflate", []byte{0xff, 0xff, 0xff}, append([]string{"Content-Encoding", "deflate"}, tenant...), 400,
		"decompress deflate: flate: corrupt input before offset 1")
	f("bad gzip", []byte("this is definitely not gzip data"), append([]string{"Content-Encoding", "gzip"}, tenant...), 400,
		"decompress gzip: gzip: invalid header")
	f("unsupported encoding", ok(`{a="b"}`, entry(0, "x")), append([]string{"Content-Encoding", "br"}, tenant...), 400,
		`Content-Encoding "br" not supported`)
	f("bad content type", ok(`{a="b"}`, entry(0, "x")), append([]string{"Content-Type", "a/b; ==="}, tenant...), 400,
		`Content-Type "a/b; ===": mime: invalid media parameter`)
	f("invalid JSON", []byte(`{"streams":[`), jsonH, 400,
		"parse JSON push request: unexpected end of JSON input")
	f("numeric timestamp", []byte(`{"streams":[{"stream":{"a":"b"},"values":[[1700000000000000000,"x"]]}]}`), jsonH, 400,
		"parse JSON push request: timestamp 1700000000000000000 must be a string of nanoseconds since the epoch")
	f("non-integer timestamp", []byte(`{"streams":[{"stream":{"a":"b"},"values":[["yesterday","x"]]}]}`), jsonH, 400,
		`parse JSON push request: timestamp "yesterday" is not an integer of nanoseconds`)
	f("deep JSON", []byte(`{"streams":`+deep+`}`), jsonH, 400,
		"parse JSON push request: invalid character '[' exceeded max depth")
	f("invalid label name", ok(`{a-b="c"}`, entry(0, "x")), tenant, 400,
		`couldn't parse labels: 1:3: parse error: expected '=' after label name "a"`)
	f("invalid label name in JSON", []byte(fmt.Sprintf(`{"streams":[{"stream":{"a.b":"c"},"values":[["%d","x"]]}]}`, ts)), jsonH, 400,
		`couldn't parse labels: 1:3: parse error: expected '=' after label name "a"`)
	f("unquoted value", ok(`{a=b}`, entry(0, "x")), tenant, 400,
		`couldn't parse labels: 1:4: parse error: label value must be quoted, found 'b'`)
	f("no labels", ok(`{}`, entry(0, "x")), tenant, 400,
		"error at least one label pair is required per stream")
	f("only empty labels", ok(`{a=""}`, entry(0, "x")), tenant, 400,
		"error at least one label pair is required per stream")
	f("too many labels", ok(manyLabels, entry(0, "x")), tenant, 400,
		fmt.Sprintf("entry for stream '%s' has 16 label names; limit 15", strings.Replace(manyLabels, "}", `, service_name="unknown_service"}`, 1)))
	f("duplicate label", ok(`{a="1", a="2"}`, entry(0, "x")), tenant, 400,
		`stream '{a="1", a="2", service_name="unknown_service"}' has duplicate label name: 'a'`)
	f("label value too long", ok(`{a="`+strings.Repeat("v", 2049)+`"}`, entry(0, "x")), tenant, 400,
		`stream '{a="`+strings.Repeat("v", 2049)+`", service_name="unknown_service"}' has label value too long: '`+strings.Repeat("v", 2049)+`'`)
	f("oversized line", ok(`{app="a"}`, entry(0, strings.Repeat("x", 256001))), tenant, 400,
		`Max entry size '256000' bytes exceeded for stream '{app="a", service_name="a"}' while adding an entry with length '256001' bytes`)
	f("too old", ok(`{app="a"}`, entry(-8*24*time.Hour, "x")), tenant, 400,
		`entry for stream '{app="a", service_name="a"}' has timestamp too old: 2026-11-12T12:00:00Z, oldest acceptable timestamp is: 2026-11-13T12:00:00Z`)
	f("too new", ok(`{app="a"}`, entry(11*time.Minute, "x")), tenant, 400,
		`entry for stream '{app="a", service_name="a"}' has timestamp too new: 2026-11-20T12:11:00Z`)
	f("metadata too large", ok(`{app="a"}`, entry(0, "x", "k", strings.Repeat("v", 64000))), tenant, 400,
		"stream '{app=\"a\", service_name=\"a\"}' has structured metadata too large: '64001' bytes, limit: '64000' bytes. Please see `limits_config.max_structured_metadata_size` or contact your Loki administrator to increase it.")
	var md []string
	for i := 0; i < 129; i++ {
		md = append(md, fmt.Sprintf("k%d", i), "v")
	}
	f("too many metadata", ok(`{app="a"}`, entry(0, "x", md...)), tenant, 400,
		"stream '{app=\"a\", service_name=\"a\"}' has too many structured metadata labels: '129', limit: '128'. Please see `limits_config.max_structured_metadata_entries_count` or contact your Loki administrator to increase it.")
	f("invalid UTF-8 label value", ok("{a=\"\xff\"}", entry(0, "x")), tenant, 400,
		"couldn't parse labels: 1:7: parse error: invalid UTF-8 in label value")
	f("missing tenant", ok(`{a="b"}`, entry(0, "x")), nil, 401, "no org id")
	f("multi-tenant push", ok(`{a="b"}`, entry(0, "x")), []string{"X-Scope-OrgID", "a|b"}, 400, "multiple org IDs present")
	f("tenant with >", ok(`{a="b"}`, entry(0, "x")), []string{"X-Scope-OrgID", "a>b"}, 400, "tenant ID 'a>b' contains unsupported character '>'")
	f("tenant with /", ok(`{a="b"}`, entry(0, "x")), []string{"X-Scope-OrgID", "../etc"}, 400, "tenant ID '../etc' contains unsupported character '/'")
	f("tenant ..", ok(`{a="b"}`, entry(0, "x")), []string{"X-Scope-OrgID", ".."}, 400, "tenant ID is '.' or '..'")
	f("tenant .", ok(`{a="b"}`, entry(0, "x")), []string{"X-Scope-OrgID", "."}, 400, "tenant ID is '.' or '..'")
	f("tenant too long", ok(`{a="b"}`, entry(0, "x")), []string{"X-Scope-OrgID", strings.Repeat("t", 151)}, 400, "tenant ID is too long: max 150 characters")
	f("body too large", bytes.Repeat([]byte("x"), 1<<20+1), tenant, 413, "request body too large: 1048577 bytes, limit: 1048576 bytes")
	f("snappy bomb", snappy.Encode(nil, make([]byte, 2<<20)), tenant, 413, "request body too large: 2097152 bytes, limit: 1048576 bytes")
	f("gzip bomb", gzipped(make([]byte, 2<<20)), append([]string{"Content-Encoding", "gzip"}, tenant...), 413, "request body too large: 1048577 bytes, limit: 1048576 bytes")

	// Accepted oddities: NUL bytes and invalid UTF-8 in lines are stored as sent, like Loki.
	t.Run("NUL and invalid UTF-8 in lines", func(t *testing.T) {
		status, msg := e.post(t, "/loki/api/v1/push", ok(`{app="bin"}`, entry(0, "a\x00b"), entry(time.Second, "c\xffd")), tenant...)
		if status != 204 {
			t.Fatalf("got %d %q", status, msg)
		}
		got := e.pub.streams(t)[`{app="bin", service_name="bin"}`]
		if len(got) != 2 || got[0].Line != "a\x00b" || got[1].Line != "c\xffd" {
			t.Fatalf("got %q", got)
		}
	})
	// Nothing rejected above reached the bus.
	for labels := range e.pub.streams(t) {
		if labels != `{app="bin", service_name="bin"}` {
			t.Errorf("published rejected stream %s", labels)
		}
	}
}

// TestHugeLabelSet: a stream with 50,000 labels is refused with Loki's message; the parse
// cache does not keep it.
func TestHugeLabelSet(t *testing.T) {
	e := newTestEnv(t, nil)
	var b strings.Builder
	b.WriteString("{")
	for i := 0; i < 50000; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, `l%05d="v"`, i)
	}
	b.WriteString("}")
	status, msg := e.post(t, "/loki/api/v1/push", protoBody(t, push.Stream{Labels: b.String(), Entries: []push.Entry{entry(0, "x")}}), "X-Scope-OrgID", "t1")
	if status != 400 || !strings.HasPrefix(msg, `entry for stream '{l00000="v", l00001="v"`) || !strings.HasSuffix(msg, "' has 50000 label names; limit 15\n") {
		t.Fatalf("got %d %q...", status, truncate(msg, 200))
	}
	e.g.cache.mu.RLock()
	defer e.g.cache.mu.RUnlock()
	if len(e.g.cache.m) != 0 {
		t.Fatalf("cache holds %d entries", len(e.g.cache.m))
	}
}
