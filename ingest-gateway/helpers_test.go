package gateway

import (
	"bytes"
	"context"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/grafana/loki/pkg/push"
	"github.com/klauspost/compress/snappy"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/jetlog/jetlog/schemas"
)

// recordingPublisher is the bus test double: it keeps every message, or fails with err.
type recordingPublisher struct {
	mu   sync.Mutex
	msgs []schemas.Message
	err  error
	max  int
	gate chan struct{} // when set, PublishAll waits for it to close (a slow bus)
}

func (p *recordingPublisher) PublishAll(_ context.Context, msgs []schemas.Message) error {
	if p.gate != nil {
		<-p.gate
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err != nil {
		return p.err
	}
	p.msgs = append(p.msgs, msgs...)
	return nil
}

func (p *recordingPublisher) MaxPayload() int {
	if p.max == 0 {
		return 1 << 20
	}
	return p.max
}

// streams decodes every recorded message back, keyed by subject, then merged per label string.
func (p *recordingPublisher) streams(t *testing.T) map[string][]push.Entry {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	out := map[string][]push.Entry{}
	for _, m := range p.msgs {
		if m.Subject != schemas.Subject(m.Tenant, m.Partition) {
			t.Fatalf("message subject %q does not match tenant %q partition %d", m.Subject, m.Tenant, m.Partition)
		}
		if m.MsgID != schemas.MsgID(m.Tenant, m.Partition, m.Payload) {
			t.Fatalf("message ID %q is not the payload's content hash", m.MsgID)
		}
		req, err := schemas.DecodeBatch(schemas.FormatPushSnappy, m.Payload)
		if err != nil {
			t.Fatal(err)
		}
		// Readers skip a message by its time range without decoding it: it must be exact.
		if want := schemas.TimesOf(req.Streams); m.Times != want || !m.Times.Known {
			t.Fatalf("message times %+v, its entries span %+v", m.Times, want)
		}
		for _, s := range req.Streams {
			if got := schemas.Partition(m.Tenant, s.Labels, testPartitions); got != m.Partition {
				t.Fatalf("stream %s in partition %d, want %d", s.Labels, m.Partition, got)
			}
			out[s.Labels] = append(out[s.Labels], s.Entries...)
		}
	}
	return out
}

func (p *recordingPublisher) tenants() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var ts []string
	for _, m := range p.msgs {
		ts = append(ts, m.Tenant)
	}
	return ts
}

type unavailableErr struct{}

func (unavailableErr) Error() string     { return "no stream leader" }
func (unavailableErr) Unavailable() bool { return true }

const testPartitions = 16

// testNow is the gateway's clock in tests; entries are stamped around it.
var testNow = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

func defaultConfig() Config {
	var c Config
	c.RegisterFlags(flag.NewFlagSet("test", flag.ContinueOnError))
	return c
}

type testEnv struct {
	g   *Gateway
	pub *recordingPublisher
	url string
	reg *prometheus.Registry
}

// newTestEnv serves a gateway over real HTTP on 127.0.0.1.
func newTestEnv(t *testing.T, mutate func(*Config)) *testEnv {
	t.Helper()
	cfg := defaultConfig()
	if mutate != nil {
		mutate(&cfg)
	}
	pub := &recordingPublisher{}
	reg := prometheus.NewRegistry()
	g, err := New(cfg, Deps{Publisher: pub, Partitions: testPartitions, Registerer: reg, Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	r := chi.NewRouter()
	g.Routes(r)
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return &testEnv{g: g, pub: pub, url: srv.URL, reg: reg}
}

// post sends body to path with headers ("Content-Type", ...) and returns status and body.
func (e *testEnv) post(t *testing.T, path string, body []byte, headers ...string) (int, string) {
	t.Helper()
	status, msg, err := e.postErr(path, body, headers...)
	if err != nil {
		t.Fatal(err)
	}
	return status, msg
}

// postErr is post for goroutines other than the test's.
func (e *testEnv) postErr(path string, body []byte, headers ...string) (int, string, error) {
	req, err := http.NewRequest(http.MethodPost, e.url+path, bytes.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := http.DefaultClient.Do(req.WithContext(ctx))
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

func protoBody(t testing.TB, streams ...push.Stream) []byte {
	t.Helper()
	req := push.PushRequest{Streams: streams}
	b, err := req.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return snappy.Encode(nil, b)
}

func entry(offset time.Duration, line string, md ...string) push.Entry {
	e := push.Entry{Timestamp: testNow.Add(offset), Line: line}
	for i := 0; i+1 < len(md); i += 2 {
		e.StructuredMetadata = append(e.StructuredMetadata, push.LabelAdapter{Name: md[i], Value: md[i+1]})
	}
	return e
}

// value reads a counter or gauge.
func value(t *testing.T, c prometheus.Metric) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	if m.Counter != nil {
		return m.Counter.GetValue()
	}
	return m.Gauge.GetValue()
}
