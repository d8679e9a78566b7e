package gateway

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/grafana/loki/pkg/push"
	"github.com/klauspost/compress/flate"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/snappy"

	"github.com/jetlog/jetlog/schemas"
)

func gzipped(b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	_, _ = w.Write(b)
	_ = w.Close()
	return buf.Bytes()
}

func deflated(b []byte) []byte {
	var buf bytes.Buffer
	w, _ := flate.NewWriter(&buf, flate.DefaultCompression)
	_, _ = w.Write(b)
	_ = w.Close()
	return buf.Bytes()
}

func TestPushEncodings(t *testing.T) {
	ts := testNow.Add(-time.Minute)
	proto := protoBody(t,
		push.Stream{Labels: `{env="prod",app="api"}`, Entries: []push.Entry{
			{Timestamp: ts, Line: "line one", StructuredMetadata: push.LabelsAdapter{{Name: "trace_id", Value: "abc"}}},
			{Timestamp: ts.Add(time.Second), Line: "line two"},
		}})
	rawProto, _ := snappy.Decode(nil, proto)
	js := []byte(fmt.Sprintf(`{"streams":[{"stream":{"env":"prod","app":"api"},"values":[["%d","line one",{"trace_id":"abc"}],["%d","line two"]]}]}`,
		ts.UnixNano(), ts.Add(time.Second).UnixNano()))

	f := func(name string, body []byte, headers ...string) {
		t.Run(name, func(t *testing.T) {
			e := newTestEnv(t, nil)
			status, msg := e.post(t, "/loki/api/v1/push", body, append([]string{"X-Scope-OrgID", "t1"}, headers...)...)
			if status != http.StatusNoContent {
				t.Fatalf("status %d %q", status, msg)
			}
			got := e.pub.streams(t)
			entries := got[`{app="api", env="prod", service_name="api"}`]
			if len(got) != 1 || len(entries) != 2 {
				t.Fatalf("got streams %v", got)
			}
			want := []push.Entry{
				{Timestamp: ts, Line: "line one", StructuredMetadata: push.LabelsAdapter{{Name: "trace_id", Value: "abc"}}},
				{Timestamp: ts.Add(time.Second), Line: "line two"},
			}
			for i := range want {
				if !entries[i].Timestamp.Equal(want[i].Timestamp) || entries[i].Line != want[i].Line ||
					fmt.Sprint(entries[i].StructuredMetadata) != fmt.Sprint(want[i].StructuredMetadata) {
					t.Fatalf("entry %d = %+v, want %+v", i, entries[i], want[i])
				}
			}
			if n := value(t, e.g.m.linesReceived.WithLabelValues("t1")); n != 2 {
				t.Fatalf("lines received %v", n)
			}
			if tn := e.pub.tenants(); len(tn) != 1 || tn[0] != "t1" {
				t.Fatalf("tenants %v", tn)
			}
		})
	}
	f("protobuf snappy", proto, "Content-Type", "application/x-protobuf")
	f("protobuf no content type", proto)
	f("protobuf content-encoding snappy", proto, "Content-Type", "application/x-protobuf", "Content-Encoding", "snappy")
	f("protobuf gzip", gzipped(proto), "Content-Type", "application/x-protobuf", "Content-Encoding", "gzip")
	f("protobuf deflate", deflated(proto), "Content-Type", "application/x-protobuf", "Content-Encoding", "deflate")
	f("json", js, "Content-Type", "application/json")
	f("json charset", js, "Content-Type", "application/json; charset=utf-8")
	f("json gzip", gzipped(js), "Content-Type", "application/json", "Content-Encoding", "gzip")
	f("json deflate", deflated(js), "Content-Type", "application/json", "Content-Encoding", "deflate")
	f("json snappy", snappy.Encode(nil, js), "Content-Type", "application/json", "Content-Encoding", "snappy")
	_ = rawProto
}

func TestPushLegacyPath(t *testing.T) {
	e := newTestEnv(t, nil)
	js := `{"streams":[{"labels":"{job=\"x\"}","entries":[{"ts":"2026-11-20T11:59:00Z","line":"legacy"}]}]}`
	status, msg := e.post(t, "/api/prom/push", []byte(js), "X-Scope-OrgID", "t1", "Content-Type", "application/json")
	if status != http.StatusNoContent {
		t.Fatalf("status %d %q", status, msg)
	}
	got := e.pub.streams(t)[`{job="x", service_name="x"}`]
	if len(got) != 1 || got[0].Line != "legacy" || !got[0].Timestamp.Equal(testNow.Add(-time.Minute)) {
		t.Fatalf("got %+v", e.pub.streams(t))
	}
}

func TestPartialAcceptance(t *testing.T) {
	e := newTestEnv(t, nil)
	body := protoBody(t,
		push.Stream{Labels: `{app="ok"}`, Entries: []push.Entry{entry(-time.Minute, "good"), entry(time.Hour, "future")}},
		push.Stream{Labels: `{dup="x", dup="y"}`, Entries: []push.Entry{entry(-time.Minute, "dropped")}},
		push.Stream{Labels: `{app="ok2", empty=""}`, Entries: []push.Entry{entry(-time.Minute, "good2")}},
	)
	status, msg := e.post(t, "/loki/api/v1/push", body, "X-Scope-OrgID", "t1")
	want := "1 errors like: entry for stream '{app=\"ok\", service_name=\"ok\"}' has timestamp too new: 2026-11-20T13:00:00Z; " +
		"1 errors like: stream '{dup=\"x\", dup=\"y\", service_name=\"unknown_service\"}' has duplicate label name: 'dup'\n"
	if status != http.StatusBadRequest || msg != want {
		t.Fatalf("got %d %q\nwant %q", status, msg, want)
	}
	got := e.pub.streams(t)
	if len(got) != 2 || len(got[`{app="ok", service_name="ok"}`]) != 1 || got[`{app="ok2", service_name="ok2"}`][0].Line != "good2" {
		t.Fatalf("published %+v", got)
	}
	for reason, n := range map[string]float64{reasonTooNew: 1, reasonDuplicateLabelNames: 1} {
		if v := value(t, e.g.m.discardedSamples.WithLabelValues(reason, "t1")); v != n {
			t.Errorf("discarded %s = %v, want %v", reason, v, n)
		}
	}
	status, msg = e.post(t, "/loki/api/v1/push", protoBody(t, push.Stream{Labels: `{app="a"}`, Entries: []push.Entry{entry(0, "x"), entry(0, "x")}}), "X-Scope-OrgID", "t1")
	if status != 204 {
		t.Fatalf("repeated identical entries: %d %q", status, msg)
	}
}

// TestUnparsableLabelsFailWholePush: Loki parses every stream's labels while decoding, so one
// bad label string refuses the whole push, valid streams included.
func TestUnparsableLabelsFailWholePush(t *testing.T) {
	e := newTestEnv(t, nil)
	body := protoBody(t,
		push.Stream{Labels: `{app="ok"}`, Entries: []push.Entry{entry(0, "good")}},
		push.Stream{Labels: `{1bad="x"}`, Entries: []push.Entry{entry(0, "bad"), entry(0, "bad2")}},
	)
	status, msg := e.post(t, "/loki/api/v1/push", body, "X-Scope-OrgID", "t1")
	want := "couldn't parse labels: 1:2: parse error: invalid label name starting at \"1bad=\\\"x\\\"}\"\n"
	if status != 400 || msg != want {
		t.Fatalf("got %d %q\nwant %q", status, msg, want)
	}
	if n := len(e.pub.tenants()); n != 0 {
		t.Fatalf("%d messages published", n)
	}
	if v := value(t, e.g.m.discardedSamples.WithLabelValues(reasonInvalidLabels, "t1")); v != 3 {
		t.Fatalf("discarded %v lines, want 3", v)
	}
}

func TestPublishFailures(t *testing.T) {
	f := func(name string, err error, wantStatus int, wantPrefix string) {
		t.Run(name, func(t *testing.T) {
			e := newTestEnv(t, nil)
			e.pub.err = err
			status, msg := e.post(t, "/loki/api/v1/push", protoBody(t, push.Stream{Labels: `{a="b"}`, Entries: []push.Entry{entry(0, "x")}}), "X-Scope-OrgID", "t1")
			if status != wantStatus || !strings.HasPrefix(msg, wantPrefix) {
				t.Fatalf("got %d %q, want %d %q", status, msg, wantStatus, wantPrefix)
			}
		})
	}
	f("unavailable", unavailableErr{}, 503, "bus unavailable: no stream leader")
	f("wrapped unavailable", fmt.Errorf("publish logs.t1.3: %w", unavailableErr{}), 503, "bus unavailable: publish logs.t1.3")
	f("other", errors.New("disk full"), 500, "publish: disk full")
}

func TestCloseRefusesPushes(t *testing.T) {
	e := newTestEnv(t, nil)
	if err := e.g.Close(); err != nil {
		t.Fatal(err)
	}
	status, msg := e.post(t, "/loki/api/v1/push", protoBody(t, push.Stream{Labels: `{a="b"}`, Entries: []push.Entry{entry(0, "x")}}), "X-Scope-OrgID", "t1")
	if status != 503 || msg != "ingest gateway is shutting down\n" {
		t.Fatalf("got %d %q", status, msg)
	}
	if len(e.pub.tenants()) != 0 {
		t.Fatal("published after Close")
	}
}

func TestTenancy(t *testing.T) {
	body := protoBody(t, push.Stream{Labels: `{a="b"}`, Entries: []push.Entry{entry(0, "x")}})
	t.Run("auth disabled uses fake", func(t *testing.T) {
		e := newTestEnv(t, func(c *Config) { c.AuthEnabled = false })
		if status, msg := e.post(t, "/loki/api/v1/push", body, "X-Scope-OrgID", "ignored"); status != 204 {
			t.Fatalf("got %d %q", status, msg)
		}
		if tn := e.pub.tenants(); len(tn) != 1 || tn[0] != "fake" {
			t.Fatalf("tenants %v", tn)
		}
	})
	t.Run("dots and stars are escaped in subjects", func(t *testing.T) {
		e := newTestEnv(t, nil)
		if status, msg := e.post(t, "/loki/api/v1/push", body, "X-Scope-OrgID", "a.b*c"); status != 204 {
			t.Fatalf("got %d %q", status, msg)
		}
		e.pub.mu.Lock()
		defer e.pub.mu.Unlock()
		if s := e.pub.msgs[0].Subject; strings.Count(s, ".") != 2 || strings.Contains(s, "*") {
			t.Fatalf("subject %q", s)
		}
	})
}

func TestMetricsRegistered(t *testing.T) {
	e := newTestEnv(t, nil)
	e.post(t, "/loki/api/v1/push", protoBody(t, push.Stream{Labels: `{a="b"}`, Entries: []push.Entry{entry(0, "12345")}}), "X-Scope-OrgID", "t1")
	mfs, err := e.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, mf := range mfs {
		names[mf.GetName()] = true
	}
	for _, n := range []string{"loki_distributor_lines_received_total", "loki_distributor_bytes_received_total", "jetlog_gateway_push_duration_seconds", "jetlog_gateway_inflight_push_requests"} {
		if !names[n] {
			t.Errorf("metric %s not gathered; have %v", n, names)
		}
	}
	if v := value(t, e.g.m.bytesReceived.WithLabelValues("t1")); v != 5 {
		t.Fatalf("bytes received %v", v)
	}
	e.post(t, "/loki/api/v1/push", protoBody(t, push.Stream{Labels: `{a="b"}`, Entries: []push.Entry{entry(time.Second, "123", "kk", "vvv")}}), "X-Scope-OrgID", "t1")
	if v := value(t, e.g.m.bytesReceived.WithLabelValues("t1")); v != 5+3+5 {
		t.Fatalf("bytes received %v", v)
	}
	if v := value(t, e.g.m.smBytesReceived.WithLabelValues("t1")); v != 5 {
		t.Fatalf("metadata bytes received %v", v)
	}
	if v := value(t, e.g.m.linesReceived.WithLabelValues("t1")); v != 2 {
		t.Fatalf("lines received %v", v)
	}
}

// blockingPublisher holds PublishAll until release is closed.
type blockingPublisher struct {
	recordingPublisher
	entered chan struct{}
	release chan struct{}
}

func (p *blockingPublisher) PublishAll(ctx context.Context, msgs []schemas.Message) error {
	p.entered <- struct{}{}
	<-p.release
	return p.recordingPublisher.PublishAll(ctx, msgs)
}

func TestCloseDrainsInFlight(t *testing.T) {
	pub := &blockingPublisher{entered: make(chan struct{}, 1), release: make(chan struct{})}
	g, err := New(defaultConfig(), Deps{Publisher: pub, Partitions: testPartitions, Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	r := chi.NewRouter()
	g.Routes(r)
	srv := httptest.NewServer(r)
	defer srv.Close()
	e := &testEnv{g: g, url: srv.URL}
	done := make(chan int, 1)
	go func() {
		status, _ := e.post(t, "/loki/api/v1/push", protoBody(t, push.Stream{Labels: `{a="b"}`, Entries: []push.Entry{entry(0, "x")}}), "X-Scope-OrgID", "t1")
		done <- status
	}()
	<-pub.entered
	closed := make(chan struct{})
	go func() { _ = g.Close(); close(closed) }()
	select {
	case <-closed:
		t.Fatal("Close returned while a push was in flight")
	case <-time.After(50 * time.Millisecond):
	}
	if status, _ := e.post(t, "/loki/api/v1/push", protoBody(t, push.Stream{Labels: `{a="b"}`, Entries: []push.Entry{entry(0, "y")}}), "X-Scope-OrgID", "t1"); status != 503 {
		t.Fatalf("push during drain: %d", status)
	}
	close(pub.release)
	if status := <-done; status != 204 {
		t.Fatalf("in-flight push: %d", status)
	}
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return after the in-flight push finished")
	}
}
