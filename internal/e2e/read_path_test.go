package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestReadAfterWrite: every push is visible to the very next query (1,000 times).
func TestReadAfterWrite(t *testing.T) {
	p := startJetlog(t, t.TempDir(), "-chunker.idle-period=200ms")
	base := time.Now().Add(-10 * time.Minute).Truncate(time.Millisecond)
	n := 1000
	if testing.Short() {
		n = 100
	}
	for i := 0; i < n; i++ {
		ts := base.Add(time.Duration(i) * time.Millisecond)
		text := fmt.Sprintf("raw-%04d", i)
		p.pushProto(t, "raw", map[string][]line{`{job="raw"}`: {{ts: ts, text: text}}})
		r := p.queryRange(t, "raw", `{job="raw"}`, base, base.Add(time.Hour), url.Values{"limit": {"1"}})
		got := r.entries(t)
		want := fmt.Sprintf("raw|%d|%s", ts.UnixNano(), text)
		if len(got) != 1 || got[0] != want {
			t.Fatalf("push %d: newest entry %v, want %s", i, got, want)
		}
	}
}

// instantCount evaluates sum(count_over_time(sel[2h])) at now.
func (p *proc) instantCount(t *testing.T, tenant, sel string) int64 {
	t.Helper()
	n, err := p.tryInstantCount(tenant, sel)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// tryInstantCount is instantCount for any goroutine: an error instead of a test failure.
func (p *proc) tryInstantCount(tenant, sel string) (int64, error) {
	v := url.Values{"query": {fmt.Sprintf("sum(count_over_time(%s[2h]))", sel)},
		"time": {strconv.FormatInt(time.Now().Add(time.Minute).UnixNano(), 10)}}
	req, err := http.NewRequest("GET", p.URL+"/loki/api/v1/query?"+v.Encode(), nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("X-Scope-OrgID", tenant)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return 0, fmt.Errorf("instant query: HTTP %d %s", resp.StatusCode, body)
	}
	var r struct {
		Data struct {
			Result []struct {
				Value [2]any `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return 0, fmt.Errorf("instant query: %w: %s", err, body)
	}
	if len(r.Data.Result) == 0 {
		return 0, nil
	}
	s, _ := r.Data.Result[0].Value[1].(string)
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("instant query: value %v: %w", r.Data.Result[0].Value[1], err)
	}
	return int64(f), nil
}

// TestCountNeverGoesBackDuringFlushes counts continuously while pushes and flushes run: the
// total never decreases, never exceeds what was sent, and never falls below what was
// acknowledged before the query started. At the end it equals the acknowledged total.
func TestCountNeverGoesBackDuringFlushes(t *testing.T) {
	p := startJetlog(t, t.TempDir(), "-chunker.max-chunk-age=1h", "-chunker.idle-period=1h")
	var sent, acked atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { // pusher
		defer wg.Done()
		base := time.Now().Add(-30 * time.Minute)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			ls := seqLines(fmt.Sprintf("c%05d", i), base.Add(time.Duration(i)*10*time.Millisecond), 50)
			body := protoBody(t, map[string][]line{`{job="cnt"}`: ls})
			sent.Add(50)
			if st, err := rawPost(p.URL+"/loki/api/v1/push", "cnt", body); err == nil && st == 204 {
				acked.Add(50)
			}
		}
	}()
	go func() { // flusher
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			case <-time.After(150 * time.Millisecond):
			}
			_, _ = rawPost(p.URL+"/flush", "", nil)
		}
	}()
	var last int64
	deadline := time.Now().Add(8 * time.Second)
	for time.Now().Before(deadline) {
		floor := acked.Load()
		got := p.instantCount(t, "cnt", `{job="cnt"}`)
		ceil := sent.Load()
		if got < last || got < floor || got > ceil {
			close(stop)
			wg.Wait()
			t.Fatalf("count %d: previous %d, acknowledged before query %d, sent %d", got, last, floor, ceil)
		}
		last = got
	}
	close(stop)
	wg.Wait()
	if got, want := p.instantCount(t, "cnt", `{job="cnt"}`), acked.Load(); got != want {
		t.Fatalf("final count %d, want %d", got, want)
	}
}

// TestMetricsMoveUnderLoad: the ingest counters on /metrics grow with pushes.
func TestMetricsMoveUnderLoad(t *testing.T) {
	p := startJetlog(t, t.TempDir())
	before := metricValue(t, p, `loki_distributor_lines_received_total{tenant="m"}`)
	base := time.Now().Add(-time.Minute)
	for i := 0; i < 5; i++ {
		p.pushProto(t, "m", map[string][]line{`{job="m"}`: seqLines(fmt.Sprintf("m%d", i), base.Add(time.Duration(i)*time.Second), 100)})
	}
	after := metricValue(t, p, `loki_distributor_lines_received_total{tenant="m"}`)
	if after-before != 500 {
		t.Fatalf("lines received went from %v to %v, want +500", before, after)
	}
}
