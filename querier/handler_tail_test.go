package querier

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus"
	promtest "github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/jetlog/jetlog/logql"
	"github.com/jetlog/jetlog/logql/logqltest"
	"github.com/jetlog/jetlog/schemas/labels"
)

// fakeFollower stands for the store's FollowLogs: push delivers a batch to the followers of
// its tenant whose matchers select it, from the caller's goroutine, as storage would.
type fakeFollower struct {
	mu   sync.Mutex
	subs map[int]*fakeSub
	next int
	err  error // FollowLogs' error when set
}

type fakeSub struct {
	tenant string
	ms     []*labels.Matcher
	fn     func(*logql.Batch) error
	fail   chan error // an error to end follow with
}

func (f *fakeFollower) FollowLogs(ctx context.Context, tenant string, ms []*labels.Matcher, fn func(*logql.Batch) error) (func() error, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	if f.subs == nil {
		f.subs = map[int]*fakeSub{}
	}
	id := f.next
	f.next++
	sub := &fakeSub{tenant: tenant, ms: ms, fn: fn, fail: make(chan error, 1)}
	f.subs[id] = sub
	return func() error {
		var err error
		select {
		case <-ctx.Done():
		case err = <-sub.fail:
		}
		f.mu.Lock()
		delete(f.subs, id)
		f.mu.Unlock()
		return err
	}, nil
}

func (f *fakeFollower) active() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.subs)
}

func (f *fakeFollower) push(tenant string, ls labels.Labels, es ...logql.RawEntry) {
	f.mu.Lock()
	var fns []func(*logql.Batch) error
	for _, s := range f.subs {
		if s.tenant == tenant && labels.MatchLabels(ls, s.ms...) {
			fns = append(fns, s.fn)
		}
	}
	f.mu.Unlock()
	for _, fn := range fns {
		_ = fn(&logql.Batch{Labels: ls, Hash: ls.Hash(), Entries: es})
	}
}

// failAll ends every follower with err.
func (f *fakeFollower) failAll(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, s := range f.subs {
		s.fail <- err
	}
}

type tailServer struct {
	url  string
	api  *API
	fol  *fakeFollower
	data *logqltest.Querier
	reg  *prometheus.Registry
}

// newTailServer serves the API with a real engine over in-memory data (the backfill) and a
// fake follower (the new entries).
func newTailServer(t *testing.T, mutate func(*Config)) *tailServer {
	t.Helper()
	cfg := defaultConfig(t)
	if mutate != nil {
		mutate(&cfg)
	}
	ts := &tailServer{fol: &fakeFollower{}, data: logqltest.New(), reg: prometheus.NewRegistry()}
	eng := logql.NewEngine(logql.EngineConfig{MaxSeries: 1000}, ts.data, nil)
	api, err := New(cfg, eng, &fakeMeta{}, slog.New(slog.DiscardHandler), ts.reg)
	if err != nil {
		t.Fatal(err)
	}
	api.EnableTail(ts.fol)
	r := chi.NewRouter()
	api.Routes(r)
	srv := httptest.NewServer(r)
	t.Cleanup(func() {
		api.Close(5 * time.Second)
		srv.Close()
	})
	ts.url, ts.api = srv.URL, api
	return ts
}

// tailClient is a websocket client of /loki/api/v1/tail.
type tailClient struct {
	t    *testing.T
	conn *websocket.Conn
}

func (ts *tailServer) dial(t *testing.T, tenant string, params url.Values, hdr ...string) (*tailClient, *http.Response, error) {
	t.Helper()
	h := http.Header{}
	if tenant != "" {
		h.Set(orgIDHeader, tenant)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		h.Set(hdr[i], hdr[i+1])
	}
	u := "ws" + strings.TrimPrefix(ts.url, "http") + "/loki/api/v1/tail?" + params.Encode()
	d := websocket.Dialer{HandshakeTimeout: 5 * time.Second}
	conn, resp, err := d.Dial(u, h)
	if err != nil {
		return nil, resp, err
	}
	c := &tailClient{t: t, conn: conn}
	t.Cleanup(func() { conn.Close() })
	return c, resp, nil
}

func (ts *tailServer) mustDial(t *testing.T, tenant string, params url.Values, hdr ...string) *tailClient {
	t.Helper()
	c, resp, err := ts.dial(t, tenant, params, hdr...)
	if err != nil {
		body := ""
		if resp != nil {
			b, _ := io.ReadAll(resp.Body)
			body = fmt.Sprintf("HTTP %d %s", resp.StatusCode, b)
		}
		t.Fatalf("dial: %v %s", err, body)
	}
	return c
}

// tailFrame is Loki's v1 tail response, decoded strictly enough to see its shape.
type tailFrame struct {
	Streams []struct {
		Stream map[string]string   `json:"stream"`
		Values [][]json.RawMessage `json:"values"`
	} `json:"streams"`
	Dropped []struct {
		Timestamp string            `json:"timestamp"`
		Labels    map[string]string `json:"labels"`
	} `json:"dropped_entries"`
	EncodingFlags []string `json:"encodingFlags"`
	raw           string
}

// entries flattens the frame into "labels ts line" strings, labels sorted.
func (f *tailFrame) entries(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, s := range f.Streams {
		ls := make([]labels.Label, 0, len(s.Stream))
		for k, v := range s.Stream {
			ls = append(ls, labels.Label{Name: k, Value: v})
		}
		lbls := labels.New(ls...).String()
		for _, v := range s.Values {
			var ts, line string
			if err := json.Unmarshal(v[0], &ts); err != nil {
				t.Fatalf("timestamp %s: %v", v[0], err)
			}
			if err := json.Unmarshal(v[1], &line); err != nil {
				t.Fatalf("line %s: %v", v[1], err)
			}
			out = append(out, lbls+" "+ts+" "+line)
		}
	}
	return out
}

// read reads one frame, failing after timeout.
func (c *tailClient) read(timeout time.Duration) (*tailFrame, error) {
	_ = c.conn.SetReadDeadline(time.Now().Add(timeout))
	_, b, err := c.conn.ReadMessage()
	if err != nil {
		return nil, err
	}
	f := &tailFrame{raw: string(b)}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(f); err != nil {
		c.t.Fatalf("frame %s: %v", b, err)
	}
	return f, nil
}

// collect reads frames until n entries came, and returns them.
func (c *tailClient) collect(n int, timeout time.Duration) []string {
	c.t.Helper()
	deadline := time.Now().Add(timeout)
	var out []string
	for len(out) < n {
		f, err := c.read(time.Until(deadline))
		if err != nil {
			c.t.Fatalf("after %d of %d entries (%q): %v", len(out), n, out, err)
		}
		out = append(out, f.entries(c.t)...)
	}
	return out
}

// quiet checks that no frame arrives within d. The connection cannot be read after it
// (gorilla keeps a read timeout for good), so it is a test's last look.
func (c *tailClient) quiet(d time.Duration) {
	c.t.Helper()
	f, err := c.read(d)
	if err == nil {
		c.t.Fatalf("unexpected frame %s", f.raw)
	}
	if ne, ok := err.(interface{ Timeout() bool }); !ok || !ne.Timeout() {
		c.t.Fatalf("connection ended: %v", err)
	}
}

// eventually polls cond every 10ms until it holds or timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func lbls(kv ...string) labels.Labels {
	var ls []labels.Label
	for i := 0; i+1 < len(kv); i += 2 {
		ls = append(ls, labels.Label{Name: kv[i], Value: kv[i+1]})
	}
	return labels.New(ls...)
}

func raw(ts time.Time, line string) logql.RawEntry {
	return logql.RawEntry{Timestamp: ts.UnixNano(), Line: []byte(line)}
}

// TestTailRefusals: every refusal comes before the upgrade, as an HTTP error with Loki's
// status and text.
func TestTailRefusals(t *testing.T) {
	ts := newTailServer(t, func(c *Config) { c.MaxEntriesLimitPerQuery = 1000 })
	f := func(tenant string, params url.Values, wantStatus int, wantBody string) {
		t.Helper()
		_, resp, err := ts.dial(t, tenant, params)
		if err == nil || resp == nil {
			t.Fatalf("%v: upgraded (err %v)", params, err)
		}
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != wantStatus || string(b) != wantBody {
			t.Fatalf("%v: HTTP %d %q, want %d %q", params, resp.StatusCode, b, wantStatus, wantBody)
		}
	}
	q := `{app="api"} |= "x"`
	f("acme", vals("query", q, "delay_for", "6"), 400, msgTailDelayTooLong)
	f("acme", vals("query", q, "delay_for", "-1"), 400, msgTailDelayTooLong)
	f("acme", vals("query", q, "delay_for", "1s"), 400, `strconv.Atoi: parsing "1s": invalid syntax`)
	f("acme", vals("query", `sum(count_over_time({app="api"}[1m]))`), 400, msgOnlyLogSelector)
	f("acme", vals("query", `rate({app="api"}[1m])`), 400, msgOnlyLogSelector)
	f("acme", vals("query", `{app="api"`), 400, "parse error at line 1, col 11: syntax error: unexpected $end, expecting } or ,")
	f("acme", vals("query", q, "limit", "0"), 400, "limit must be a positive value")
	f("acme", vals("query", q, "limit", "1001"), 400, "max entries limit per query exceeded, limit > max_entries_limit_per_query (1001 > 1000)")
	f("acme", vals("query", q, "start", "yesterday"), 400, `strconv.ParseInt: parsing "yesterday": invalid syntax`)
	f("", vals("query", q), 401, "no org id")
	f("a|b", vals("query", q), 400, "multiple org IDs present")
	f("../etc", vals("query", q), 400, `tenant ID '../etc' contains unsupported character '/'`)
	if n := ts.fol.active(); n != 0 {
		t.Fatalf("%d followers after refusals", n)
	}
}

// TestTailBackfillThenNew: a tail sends the last limit entries since start, oldest first,
// then exactly the new entries of its tenant that pass the query's line filter and parser
// stages, with the parsed labels, in order, and never an entry twice.
func TestTailBackfillThenNew(t *testing.T) {
	ts := newTailServer(t, nil)
	now := time.Now()
	api, web := lbls("app", "api"), lbls("app", "web")
	ts.data.Add("acme", api,
		raw(now.Add(-2*time.Hour), `{"level":"error","msg":"too old"}`),
		raw(now.Add(-30*time.Minute), `{"level":"error","msg":"first"}`),
		raw(now.Add(-20*time.Minute), `{"level":"error","msg":"second"}`),
		raw(now.Add(-15*time.Minute), `{"level":"info","msg":"not an error"}`),
		raw(now.Add(-10*time.Minute), `{"level":"error","msg":"third"}`))
	ts.data.Add("acme", web, raw(now.Add(-5*time.Minute), `{"level":"error","msg":"other stream"}`))
	ts.data.Add("other", api, raw(now.Add(-time.Minute), `{"level":"error","msg":"other tenant"}`))
	q := `{app="api"} |= "error" | json | level="error"`
	start := strconv64(now.Add(-time.Hour))
	c := ts.mustDial(t, "acme", vals("query", q, "limit", "2", "start", start))
	ns := func(d time.Duration) string { return strconv64(now.Add(d)) }
	got := c.collect(2, 5*time.Second)
	want := []string{
		`{app="api", level="error", msg="second"} ` + ns(-20*time.Minute) + ` {"level":"error","msg":"second"}`,
		`{app="api", level="error", msg="third"} ` + ns(-10*time.Minute) + ` {"level":"error","msg":"third"}`,
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("backfill\n%q\nwant\n%q", got, want)
	}
	eventually(t, 5*time.Second, "the follower", func() bool { return ts.fol.active() == 1 })
	// New entries: the follower delivers a backfilled one again (it reached the bus while
	// the backfill ran), entries that the query filters out, another tenant's, and matches.
	ts.fol.push("acme", api,
		raw(now.Add(-10*time.Minute), `{"level":"error","msg":"third"}`),
		raw(now.Add(time.Millisecond), `{"level":"error","msg":"new 1"}`),
		raw(now.Add(2*time.Millisecond), `{"level":"info","msg":"filtered by the label filter"}`),
		raw(now.Add(3*time.Millisecond), `no match by the line filter`),
		raw(now.Add(4*time.Millisecond), `{"level":"error","msg":"new 2"}`))
	ts.fol.push("other", api, raw(now.Add(5*time.Millisecond), `{"level":"error","msg":"other tenant"}`))
	ts.fol.push("acme", web, raw(now.Add(6*time.Millisecond), `{"level":"error","msg":"other stream"}`))
	ts.fol.push("acme", api, raw(now.Add(7*time.Millisecond), `{"level":"error","msg":"new 3"}`))
	got = c.collect(3, 5*time.Second)
	want = []string{
		`{app="api", level="error", msg="new 1"} ` + ns(time.Millisecond) + ` {"level":"error","msg":"new 1"}`,
		`{app="api", level="error", msg="new 2"} ` + ns(4*time.Millisecond) + ` {"level":"error","msg":"new 2"}`,
		`{app="api", level="error", msg="new 3"} ` + ns(7*time.Millisecond) + ` {"level":"error","msg":"new 3"}`,
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("new entries\n%q\nwant\n%q", got, want)
	}
	c.quiet(200 * time.Millisecond)
	if v := promtest.ToFloat64(ts.api.metrics.tailSent); v != 5 {
		t.Errorf("entries sent = %v, want 5", v)
	}
}

func strconv64(t time.Time) string { return fmt.Sprint(t.UnixNano()) }

// TestTailCategorizedLabels: with categorize-labels, entries carry their structured metadata
// and parsed labels apart, and every frame says so in encodingFlags, as Loki's tail does.
func TestTailCategorizedLabels(t *testing.T) {
	ts := newTailServer(t, nil)
	c := ts.mustDial(t, "acme", vals("query", `{app="api"} | logfmt`), encodingFlagsHeader, "categorize-labels")
	eventually(t, 5*time.Second, "the follower", func() bool { return ts.fol.active() == 1 })
	e := raw(time.Unix(0, 1795172400000000001), "level=warn")
	e.Metadata = lbls("trace_id", "abc")
	ts.fol.push("acme", lbls("app", "api"), e)
	f, err := c.read(5 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"streams":[{"stream":{"app":"api"},"values":[["1795172400000000001","level=warn",{"structuredMetadata":{"trace_id":"abc"},"parsed":{"level":"warn"}}]]}],"encodingFlags":["categorize-labels"]}`
	if f.raw != want {
		t.Fatalf("frame\n%s\nwant\n%s", f.raw, want)
	}
}

// TestTailDelayFor: with delay_for, an entry waits until it is that much older than its
// timestamp, so one that arrives late, by less than the delay, is still sent in time order.
func TestTailDelayFor(t *testing.T) {
	ts := newTailServer(t, nil)
	c := ts.mustDial(t, "acme", vals("query", `{app="api"}`, "delay_for", "1"))
	eventually(t, 5*time.Second, "the follower", func() bool { return ts.fol.active() == 1 })
	api := lbls("app", "api")
	base := time.Now()
	pushed := time.Now()
	ts.fol.push("acme", api, raw(base, "b"), raw(base.Add(2*time.Millisecond), "c"))
	ts.fol.push("acme", api, raw(base.Add(-300*time.Millisecond), "a (late)"))
	got := c.collect(3, 5*time.Second)
	waited := time.Since(pushed)
	want := []string{`{app="api"} ` + strconv64(base.Add(-300*time.Millisecond)) + " a (late)",
		`{app="api"} ` + strconv64(base) + " b", `{app="api"} ` + strconv64(base.Add(2*time.Millisecond)) + " c"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	if waited < 600*time.Millisecond {
		t.Fatalf("entries came after %s: the delay of 1s was not applied", waited)
	}
	// Without delay_for an entry is sent at once.
	c2 := ts.mustDial(t, "acme", vals("query", `{app="api"}`))
	eventually(t, 5*time.Second, "the second follower", func() bool { return ts.fol.active() == 2 })
	pushed = time.Now()
	ts.fol.push("acme", api, raw(time.Now().Add(-time.Millisecond), "now"))
	c2.collect(1, 5*time.Second)
	if d := time.Since(pushed); d > 500*time.Millisecond {
		t.Fatalf("an entry without delay took %s", d)
	}
}

// TestTailSlowClient: entries that come faster than the client reads are dropped once the
// tail's buffer is full and reported in dropped_entries with their labels; nothing is lost
// without being reported or counted, and memory stays bounded.
func TestTailSlowClient(t *testing.T) {
	ts := newTailServer(t, nil)
	c := ts.mustDial(t, "acme", vals("query", `{app="api"}`))
	eventually(t, 5*time.Second, "the follower", func() bool { return ts.fol.active() == 1 })
	api := lbls("app", "api")
	line := strings.Repeat("x", 2000)
	const total = 30000 // 60 MB: more than the socket buffers and the queue hold
	base := time.Now().Add(-time.Minute)
	// The client reads nothing while the entries come.
	for i := 0; i < total; i += 1000 {
		es := make([]logql.RawEntry, 1000)
		for j := range es {
			es[j] = raw(base.Add(time.Duration(i+j)), line)
		}
		ts.fol.push("acme", api, es...)
	}
	dropped := promtest.ToFloat64(ts.api.metrics.tailDropped)
	if dropped == 0 {
		t.Fatal("nothing was dropped: the test did not outrun the client")
	}
	received, reported := 0, 0
	last := int64(0)
	for received+int(dropped) < total {
		f, err := c.read(10 * time.Second)
		if err != nil {
			t.Fatalf("received %d, dropped %v of %d: %v", received, dropped, total, err)
		}
		for _, e := range f.entries(t) {
			var ts int64
			fmt.Sscan(strings.Fields(e)[1], &ts)
			if ts <= last {
				t.Fatalf("entry %d after %d: out of order", ts, last)
			}
			last = ts
			received++
		}
		for _, d := range f.Dropped {
			if d.Labels["app"] != "api" || d.Timestamp == "" {
				t.Fatalf("dropped entry %+v", d)
			}
			reported++
		}
	}
	if received+int(dropped) != total {
		t.Fatalf("received %d + dropped %v != pushed %d", received, dropped, total)
	}
	if reported == 0 || reported > tailDroppedEntries*int(1+dropped/tailDroppedEntries) {
		t.Fatalf("%d dropped entries reported for %v dropped", reported, dropped)
	}
	if want := min(int(dropped), tailDroppedEntries); reported < want {
		t.Fatalf("%d dropped entries reported, want at least %d", reported, want)
	}
}

// TestTailCleanup: a client that disconnects, the server closing, the tail max duration and
// a failed follower each end the tail: the follower stops, the gauge returns to zero, no
// goroutine is left, and the client learns why from the close frame.
func TestTailCleanup(t *testing.T) {
	before := runtime.NumGoroutine()
	ts := newTailServer(t, func(c *Config) { c.TailMaxDuration = 2 * time.Second })
	q := vals("query", `{app="api"}`)
	gone := func(what string) {
		t.Helper()
		eventually(t, 5*time.Second, what+": follower stopped", func() bool { return ts.fol.active() == 0 })
		eventually(t, 5*time.Second, what+": gauge at 0", func() bool { return promtest.ToFloat64(ts.api.metrics.tailsActive) == 0 })
	}
	closedWith := func(c *tailClient, code int, text string) {
		t.Helper()
		for {
			_, err := c.read(10 * time.Second)
			if err == nil {
				continue
			}
			if !websocket.IsCloseError(err, code) || !strings.Contains(err.Error(), text) {
				t.Fatalf("closed with %v, want code %d %q", err, code, text)
			}
			return
		}
	}

	c := ts.mustDial(t, "acme", q)
	eventually(t, 5*time.Second, "tail open", func() bool { return promtest.ToFloat64(ts.api.metrics.tailsActive) == 1 })
	_ = c.conn.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""))
	c.conn.Close()
	gone("client close")

	c = ts.mustDial(t, "acme", q)
	eventually(t, 5*time.Second, "tail open", func() bool { return ts.fol.active() == 1 })
	c.conn.UnderlyingConn().Close() // the network goes, no close frame
	gone("dropped connection")

	c = ts.mustDial(t, "acme", q)
	eventually(t, 5*time.Second, "tail open", func() bool { return ts.fol.active() == 1 })
	ts.fol.failAll(fmt.Errorf("bus unavailable: connection closed"))
	closedWith(c, websocket.CloseInternalServerErr, "bus unavailable: connection closed")
	gone("follower failure")

	start := time.Now()
	c = ts.mustDial(t, "acme", q)
	closedWith(c, websocket.CloseInternalServerErr, msgTailMaxDuration)
	if d := time.Since(start); d < 1500*time.Millisecond {
		t.Fatalf("max duration of 2s ended the tail after %s", d)
	}
	gone("max duration")

	c = ts.mustDial(t, "acme", q)
	eventually(t, 5*time.Second, "tail open", func() bool { return ts.fol.active() == 1 })
	ts.api.Close(5 * time.Second)
	closedWith(c, websocket.CloseGoingAway, msgTailServerShutdown)
	gone("server close")
	if _, resp, err := ts.dial(t, "acme", q); err == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("a tail after Close: %v", err)
	}

	http.DefaultClient.CloseIdleConnections()
	eventually(t, 5*time.Second, "goroutines back to the baseline", func() bool {
		return runtime.NumGoroutine() <= before+2 // the test server's listener goroutines
	})
}

// TestTailConcurrencyLimit: a tenant may hold max_concurrent_tail_requests tails, with Loki's
// message past it; a closed tail frees its place, and other tenants are not counted.
func TestTailConcurrencyLimit(t *testing.T) {
	ts := newTailServer(t, func(c *Config) { c.MaxConcurrentTailRequests = 1 })
	q := vals("query", `{app="api"}`)
	c := ts.mustDial(t, "acme", q)
	_, resp, err := ts.dial(t, "acme", q)
	if err == nil {
		t.Fatal("a second tail was accepted")
	}
	b, _ := io.ReadAll(resp.Body)
	if want := "max concurrent tail requests limit exceeded, count > limit (2 > 1)"; resp.StatusCode != 400 || string(b) != want {
		t.Fatalf("HTTP %d %q, want 400 %q", resp.StatusCode, b, want)
	}
	ts.mustDial(t, "other", q)
	c.conn.Close()
	eventually(t, 5*time.Second, "the place to be freed", func() bool {
		c, _, err := ts.dial(t, "acme", q)
		if err == nil {
			c.conn.Close()
		}
		return err == nil
	})
}
