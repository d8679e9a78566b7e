package querier

import (
	"context"
	"flag"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/jetlog/jetlog/logql"
	"github.com/jetlog/jetlog/schemas/labels"
)

// fakeEngine returns a fixed result (or error) and records the params it was called with.
// It tests the HTTP layer's parsing and encoding, not query answers.
type fakeEngine struct {
	mu     sync.Mutex
	calls  []logql.Params
	result func(p logql.Params) logql.Result
	err    error
	block  bool // wait for the context to end, then return its error
}

func (e *fakeEngine) Query(ctx context.Context, p logql.Params) (logql.Result, error) {
	e.mu.Lock()
	e.calls = append(e.calls, p)
	e.mu.Unlock()
	if e.block {
		<-ctx.Done()
		return logql.Result{}, ctx.Err()
	}
	if e.err != nil {
		return logql.Result{}, e.err
	}
	if e.result == nil {
		return logql.Result{Type: logql.ResultStreams, Value: logql.Streams{}}, nil
	}
	return e.result(p), nil
}

func (e *fakeEngine) last(t *testing.T) logql.Params {
	t.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.calls) == 0 {
		t.Fatal("engine was not called")
	}
	return e.calls[len(e.calls)-1]
}

// fakeMeta serves StreamStats from a fixed list of streams per tenant, applying matchers
// and the time range the way storage must.
type fakeMeta struct {
	mu      sync.Mutex
	streams map[string][]fakeStream
	calls   []logql.StreamStatsParams
}

type fakeStream struct {
	labels labels.Labels
	ts     []int64 // entry timestamps (ns); every entry is 10 bytes
}

func (m *fakeMeta) StreamStats(_ context.Context, p logql.StreamStatsParams) ([]logql.StreamStat, error) {
	m.mu.Lock()
	m.calls = append(m.calls, p)
	m.mu.Unlock()
	var out []logql.StreamStat
	for _, s := range m.streams[p.Tenant] {
		if !labels.MatchLabels(s.labels, p.Matchers...) {
			continue
		}
		st := logql.StreamStat{Labels: s.labels, Chunks: 1}
		buckets := map[int64]*logql.StatBucket{}
		for _, t := range s.ts {
			if t < p.Start || t >= p.End {
				continue
			}
			st.Entries++
			st.Bytes += 10
			if p.Step > 0 {
				bt := t - t%p.Step
				if buckets[bt] == nil {
					buckets[bt] = &logql.StatBucket{T: bt}
				}
				buckets[bt].Entries++
				buckets[bt].Bytes += 10
			}
		}
		if st.Entries == 0 {
			continue
		}
		for _, b := range buckets {
			st.Buckets = append(st.Buckets, *b)
		}
		out = append(out, st)
	}
	return out, nil
}

// testNow is the fixed clock of test APIs: 2026-11-20T11:00:00Z.
var testNow = time.Unix(1795172400, 0).UTC()

type testServer struct {
	url  string
	eng  *fakeEngine
	meta *fakeMeta
	reg  *prometheus.Registry
	api  *API
}

// defaultConfig returns the flag defaults, as a binary would get them.
func defaultConfig(t *testing.T) Config {
	t.Helper()
	var cfg Config
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	cfg.RegisterFlags(fs)
	if err := fs.Parse(nil); err != nil {
		t.Fatal(err)
	}
	return cfg
}

func newTestServer(t *testing.T, mutate func(*Config)) *testServer {
	t.Helper()
	cfg := defaultConfig(t)
	cfg.SplitQueriesByInterval = 0 // the fake engine answers whole queries (splitting: split_test.go)
	if mutate != nil {
		mutate(&cfg)
	}
	ts := &testServer{eng: &fakeEngine{}, meta: &fakeMeta{streams: map[string][]fakeStream{}}, reg: prometheus.NewRegistry()}
	api, err := New(cfg, ts.eng, ts.meta, slog.New(slog.DiscardHandler), ts.reg)
	if err != nil {
		t.Fatal(err)
	}
	api.now = func() time.Time { return testNow }
	ts.api = api
	r := chi.NewRouter()
	api.Routes(r)
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	ts.url = srv.URL
	return ts
}

type response struct {
	status int
	header http.Header
	body   string
}

// get sends a GET with params to path as tenant (none when empty), with extra headers.
func (ts *testServer) get(t *testing.T, tenant, path string, params url.Values, hdr ...string) response {
	t.Helper()
	return ts.do(t, http.MethodGet, tenant, path, params, hdr...)
}

func (ts *testServer) do(t *testing.T, method, tenant, path string, params url.Values, hdr ...string) response {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var body io.Reader
	u := ts.url + path
	if method == http.MethodGet {
		u += "?" + params.Encode()
	} else {
		body = strings.NewReader(params.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if tenant != "" {
		req.Header.Set(orgIDHeader, tenant)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

// vals builds url.Values from name, value pairs.
func vals(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return v
}
