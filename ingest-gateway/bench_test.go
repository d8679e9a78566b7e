package gateway

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/grafana/loki/pkg/push"

	"github.com/jetlog/jetlog/schemas"
)

// loadgenRequest is shaped like /work/shared/loadgen's pushes: 1,000 lines of 250 bytes over
// 10 streams with four labels each.
func loadgenRequest(tb testing.TB) (body []byte, lineBytes int) {
	var streams []push.Stream
	for s := 0; s < 10; s++ {
		st := push.Stream{Labels: fmt.Sprintf(`{job="loadgen", stream="s%03d", pod="pod-%d", namespace="ns-%d"}`, s, s%17, s%5)}
		for i := 0; i < 100; i++ {
			line := fmt.Sprintf("%06d %s", i, strings.Repeat("l", 243))
			st.Entries = append(st.Entries, push.Entry{Timestamp: testNow.Add(time.Duration(s*100 + i)), Line: line})
			lineBytes += len(line)
		}
		streams = append(streams, st)
	}
	return protoBody(tb, streams...), lineBytes
}

func benchGateway(b *testing.B) *Gateway {
	cfg := defaultConfig()
	cfg.Limits.IngestionRateMB = 0 // measure the path, not the limiter's refusals
	cfg.Limits.PerStreamRateLimit = 0
	g, err := New(cfg, Deps{Publisher: discardPublisher{}, Partitions: testPartitions, Now: func() time.Time { return testNow }})
	if err != nil {
		b.Fatal(err)
	}
	return g
}

// discardPublisher acknowledges everything at once: benchmarks measure the gateway alone.
type discardPublisher struct{}

func (discardPublisher) PublishAll(context.Context, []schemas.Message) error { return nil }
func (discardPublisher) MaxPayload() int                                     { return 1 << 20 }

func BenchmarkDecodeValidate(b *testing.B) {
	g := benchGateway(b)
	body, lineBytes := loadgenRequest(b)
	b.SetBytes(int64(lineBytes))
	b.ReportAllocs()
	for b.Loop() {
		r := httptest.NewRequest(http.MethodPost, "/loki/api/v1/push", bytes.NewReader(body))
		r.Header.Set("X-Scope-OrgID", "t1")
		var req push.PushRequest
		bufs := getBodyBuffers()
		var charged int
		if err := g.decode(r, &req, &charged, bufs); err != nil {
			b.Fatal(err)
		}
		if res, herr := g.validate("t1", g.overrides.ForTenant("t1"), testNow, &req); herr != nil || res.lines != 1000 {
			b.Fatalf("accepted %d lines", res.lines)
		}
		bufs.release()
		g.inflight.release(charged)
	}
}

func BenchmarkPartitionEncode(b *testing.B) {
	g := benchGateway(b)
	body, lineBytes := loadgenRequest(b)
	r := httptest.NewRequest(http.MethodPost, "/loki/api/v1/push", bytes.NewReader(body))
	var req push.PushRequest
	if err := g.decode(r, &req, new(int), getBodyBuffers()); err != nil {
		b.Fatal(err)
	}
	res, herr := g.validate("t1", g.overrides.ForTenant("t1"), testNow, &req)
	if herr != nil {
		b.Fatal(herr)
	}
	b.SetBytes(int64(lineBytes))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := buildMessages("t1", res.accepted, testPartitions, 1<<20); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPushHandler(b *testing.B) {
	g := benchGateway(b)
	body, lineBytes := loadgenRequest(b)
	b.SetBytes(int64(lineBytes))
	b.ReportAllocs()
	for b.Loop() {
		r := httptest.NewRequest(http.MethodPost, "/loki/api/v1/push", bytes.NewReader(body))
		r.Header.Set("X-Scope-OrgID", "t1")
		w := httptest.NewRecorder()
		g.handlePush(w, r)
		if w.Code != http.StatusNoContent {
			b.Fatalf("status %d %s", w.Code, w.Body)
		}
	}
}

func BenchmarkDecodeJSON(b *testing.B) {
	var sb strings.Builder
	lineBytes := 0
	sb.WriteString(`{"streams":[`)
	for s := 0; s < 10; s++ {
		if s > 0 {
			sb.WriteString(",")
		}
		fmt.Fprintf(&sb, `{"stream":{"job":"loadgen","stream":"s%03d"},"values":[`, s)
		for i := 0; i < 100; i++ {
			if i > 0 {
				sb.WriteString(",")
			}
			line := fmt.Sprintf("%06d %s", i, strings.Repeat("l", 243))
			lineBytes += len(line)
			fmt.Fprintf(&sb, `["%d","%s"]`, testNow.UnixNano()+int64(i), line)
		}
		sb.WriteString("]}")
	}
	sb.WriteString("]}")
	body := []byte(sb.String())
	b.SetBytes(int64(lineBytes))
	b.ReportAllocs()
	for b.Loop() {
		var req push.PushRequest
		if err := decodeJSON(body, &req); err != nil || len(req.Streams) != 10 {
			b.Fatal(err)
		}
	}
}
