package e2e

// The fault tests' world (a NATS cluster, a MinIO, jetlog processes with separate roles),
// their load clients and the exact reconciliation that ends each fault test.

import (
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jetlog/jetlog/internal/testutil"
)

// faultEnv is one fault test's world: a 3-node NATS cluster (stream replicas 3 by default),
// a real MinIO, and the flags every jetlog process of the test shares.
type faultEnv struct {
	t      *testing.T
	nats   *testutil.NATSCluster
	minio  *testutil.MinIO
	common []string
}

// queryPage is the page size of the reconciliation; the queriers allow it.
const queryPage = 50000

func newFaultEnv(t *testing.T) *faultEnv {
	t.Helper()
	nc := testutil.StartNATSCluster(t, 3)
	m := testutil.StartMinIO(t)
	return &faultEnv{t: t, nats: nc, minio: m, common: []string{
		"-nats.url=" + nc.URLs(),
		"-storage.backend=s3", "-s3.endpoint=" + m.Endpoint, "-s3.insecure", "-s3.bucket=jetlog",
		"-s3.access-key-id=" + m.AccessKey, "-s3.secret-access-key=" + m.SecretKey,
		// Flushes happen every second or so, during every fault; a dead chunker's
		// partitions are free after 2 s.
		"-chunker.lease-ttl=2s", "-chunker.max-chunk-age=1s", "-chunker.idle-period=1s",
		"-distributor.ingestion-rate-limit-mb=500", "-distributor.ingestion-burst-size-mb=1000",
		"-validation.max-entries-limit=" + strconv.Itoa(queryPage),
	}}
}

// start runs one jetlog process with the given roles. When the test fails, the tail of the
// process's log (of its last run) is printed.
func (e *faultEnv) start(target string, extra ...string) *proc {
	e.t.Helper()
	args := append(append([]string{"-target=" + target}, e.common...), extra...)
	p := startJetlog(e.t, e.t.TempDir(), args...)
	e.t.Cleanup(func() {
		if !e.t.Failed() {
			return
		}
		p.kill() // the log buffer is written by the process until it exits
		e.t.Logf("--- tail of jetlog %s (%s) log:\n%s", target, p.addr, tailLines(p.log.String(), 40))
	})
	return p
}

func tailLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// loadConfig shapes the load: clients goroutines, each pushing a batch of lines every
// interval, retrying a failed batch like Promtail does.
type loadConfig struct {
	clients  int
	lines    int
	interval time.Duration
	attempts int           // tries per batch (a connection error, a 429 or a 5xx is retried)
	timeout  time.Duration // per request
}

var defaultLoad = loadConfig{clients: 4, lines: 50, interval: 50 * time.Millisecond, attempts: 10, timeout: 15 * time.Second}

// load is several agents pushing unique lines to one gateway. Every line is its own ID; its
// timestamp is unique too. The line goes to one of four streams per client, so the streams
// spread over the partitions.
type load struct {
	t      *testing.T
	url    string
	tenant string
	fault  string
	base   time.Time
	cfg    loadConfig
	http   *http.Client
	stop   chan struct{}
	wg     sync.WaitGroup

	mu        sync.Mutex
	acked     map[string]bool  // every ID sent: true once a push holding it got a 2xx
	ts        map[string]int64 // every ID's timestamp
	newest    int64            // the newest timestamp sent
	acks      []time.Time      // when each 2xx arrived
	fails     []time.Time      // when each failed attempt ended
	statuses  map[int]int      // non-2xx answers by status
	connErrs  int              // attempts without an HTTP answer (refused, reset, timeout)
	batches   int
	retried   int // batches acknowledged only after a failed attempt
	given     int // batches given up after cfg.attempts
	permanent []string
	slowest   time.Duration
}

func startLoad(t *testing.T, gateway *proc, tenant, fault string, cfg loadConfig) *load {
	l := &load{
		t: t, url: gateway.URL + "/loki/api/v1/push", tenant: tenant, fault: fault,
		base: time.Now().Add(-5 * time.Minute).Truncate(time.Millisecond), cfg: cfg,
		http: &http.Client{Timeout: cfg.timeout}, stop: make(chan struct{}),
		acked: map[string]bool{}, ts: map[string]int64{}, statuses: map[int]int{},
	}
	for c := range cfg.clients {
		l.wg.Add(1)
		go l.client(c)
	}
	t.Cleanup(l.Stop)
	return l
}

// selector matches every stream of this load.
func (l *load) selector() string { return fmt.Sprintf(`{job="faults", fault=%q}`, l.fault) }

// client pushes batch after batch until Stop; a batch under retry is finished first.
func (l *load) client(c int) {
	defer l.wg.Done()
	tick := time.NewTicker(l.cfg.interval)
	defer tick.Stop()
	for b := 0; ; b++ {
		select {
		case <-l.stop:
			return
		case <-tick.C:
		}
		ids, body := l.batch(c, b)
		l.mu.Lock()
		for _, id := range ids {
			l.acked[id] = false
		}
		l.batches++
		l.mu.Unlock()
		if l.send(body) {
			l.mu.Lock()
			for _, id := range ids {
				l.acked[id] = true
			}
			l.mu.Unlock()
		}
	}
}

// batch is client c's batch b: lines with unique IDs and timestamps, increasing per stream.
func (l *load) batch(c, b int) ([]string, []byte) {
	streams := map[string][]line{}
	ids := make([]string, l.cfg.lines)
	for i := range ids {
		k := b*l.cfg.lines + i
		ids[i] = fmt.Sprintf("%s-c%d-b%06d-l%03d", l.fault, c, b, i)
		ts := l.base.Add(time.Duration(k*l.cfg.clients+c) * time.Microsecond)
		l.mu.Lock()
		l.ts[ids[i]] = ts.UnixNano()
		l.newest = max(l.newest, ts.UnixNano())
		l.mu.Unlock()
		s := fmt.Sprintf(`{job="faults", fault=%q, client="c%d", s="%d"}`, l.fault, c, i%4)
		streams[s] = append(streams[s], line{ts: ts, text: ids[i]})
	}
	return ids, protoBody(l.t, streams)
}

// send posts body until a 2xx, a refusal that retrying cannot change, or cfg.attempts.
func (l *load) send(body []byte) bool {
	delay := 100 * time.Millisecond
	for a := 0; a < l.cfg.attempts; a++ {
		if a > 0 {
			time.Sleep(delay)
			delay = min(2*delay, time.Second)
		}
		began := time.Now()
		st, err := l.post(body)
		took := time.Since(began)
		l.mu.Lock()
		l.slowest = max(l.slowest, took)
		switch {
		case err != nil:
			l.connErrs++
		case st/100 == 2:
			l.acks = append(l.acks, time.Now())
			if a > 0 {
				l.retried++
			}
			l.mu.Unlock()
			return true
		default:
			l.statuses[st]++
		}
		l.fails = append(l.fails, time.Now())
		if err == nil && st != http.StatusTooManyRequests && st/100 != 5 {
			l.permanent = append(l.permanent, fmt.Sprintf("HTTP %d", st))
			l.mu.Unlock()
			return false
		}
		l.mu.Unlock()
	}
	l.mu.Lock()
	l.given++
	l.mu.Unlock()
	return false
}

func (l *load) post(body []byte) (int, error) { return rawPostWith(l.http, l.url, l.tenant, body) }

// Stop ends the load and waits for the batches under retry. Safe to call more than once.
func (l *load) Stop() {
	select {
	case <-l.stop:
	default:
		close(l.stop)
	}
	l.wg.Wait()
}

// ackedCount is the number of lines acknowledged so far.
func (l *load) ackedCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, ok := range l.acked {
		if ok {
			n++
		}
	}
	return n
}

// waitAcks waits until n more batches were acknowledged than when it was called.
func (l *load) waitAcks(n int, timeout time.Duration) {
	l.t.Helper()
	l.mu.Lock()
	want := len(l.acks) + n
	l.mu.Unlock()
	testutil.Eventually(l.t, timeout, fmt.Sprintf("%d more acknowledged pushes", n), func() bool {
		l.mu.Lock()
		defer l.mu.Unlock()
		return len(l.acks) >= want
	})
}

// longestAckGap is the longest time between two consecutive 2xx from the last one before
// since (just before a fault) on. ok is false when no 2xx came after since.
func (l *load) longestAckGap(since time.Time) (gap time.Duration, ok bool) {
	l.mu.Lock()
	acks := append([]time.Time(nil), l.acks...)
	l.mu.Unlock()
	sort.Slice(acks, func(i, j int) bool { return acks[i].Before(acks[j]) })
	prev := since
	for _, a := range acks {
		if a.Before(since) {
			prev = a
			continue
		}
		gap, ok = max(gap, a.Sub(prev)), true
		prev = a
	}
	return gap, ok
}

// tally is the outcome of a reconciliation, in lines.
type tally struct {
	acked, uncertain  int // sent lines acknowledged, and never acknowledged
	found             int // distinct sent lines the queries returned
	uncertainFound    int // of them, never acknowledged
	duplicates        int // lines returned more than once (extra copies)
	lost              int // acknowledged lines not returned
	unknown           int // lines returned that were never sent
	count             int64
	batches, retried  int
	given, connErrors int
	statuses          map[int]int
	slowest           time.Duration
}

func (r tally) String() string {
	return fmt.Sprintf("acked=%d uncertain=%d found=%d (uncertain found %d) duplicates=%d lost=%d unknown=%d count_over_time=%d; "+
		"batches=%d retried=%d given-up=%d connection-errors=%d statuses=%v slowest=%v",
		r.acked, r.uncertain, r.found, r.uncertainFound, r.duplicates, r.lost, r.unknown, r.count,
		r.batches, r.retried, r.given, r.connErrors, r.statuses, r.slowest.Round(time.Millisecond))
}

// reconcile stops the load and checks, through the querier q, that every acknowledged line is
// returned exactly once, an unacknowledged one at most once, nothing else is returned, and
// sum(count_over_time) agrees with the distinct lines found. Every failed attempt got an
// answer a retrying agent understands (429 or 503), or no answer at all.
func (l *load) reconcile(stage string, q *proc) tally {
	l.t.Helper()
	l.Stop()
	r := l.verify(stage, q, l.base.Add(-time.Second))
	r.count = q.instantCount(l.t, l.tenant, l.selector())
	l.t.Logf("%s: %s", stage, r)
	if r.count != int64(r.found) {
		l.t.Errorf("%s: sum(count_over_time) = %d, distinct lines found %d", stage, r.count, r.found)
	}
	if r.acked == 0 {
		l.t.Errorf("%s: nothing was acknowledged", stage)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for st, n := range l.statuses {
		if st != http.StatusTooManyRequests && st != http.StatusServiceUnavailable {
			l.t.Errorf("%s: pushes answered HTTP %d (%d times); an agent retries only 429 and 503 correctly", stage, st, n)
		}
	}
	if len(l.permanent) > 0 {
		l.t.Errorf("%s: %d batches refused for good: %v", stage, len(l.permanent), l.permanent)
	}
	return r
}

// finish reconciles, makes the chunkers flush everything, and reconciles again: the lines
// come from the bus tail and objects first, then from objects only.
func (l *load) finish(stage string, q *proc, chunkers ...*proc) {
	l.t.Helper()
	l.reconcile(stage, q)
	for _, c := range chunkers {
		flush(l.t, c)
	}
	l.reconcile(stage+", then a flush", q)
}

// verify queries the lines with timestamps from from on that were sent before it began (the
// load may still run) and checks them against what was acknowledged by then.
func (l *load) verify(stage string, q *proc, from time.Time) tally {
	l.t.Helper()
	l.mu.Lock()
	before := make(map[string]bool, len(l.acked))
	for id, ok := range l.acked {
		if ok {
			before[id] = true
		}
	}
	to := l.newest + 1
	l.mu.Unlock()
	counts := q.countLines(l.t, l.tenant, l.selector(), from, time.Unix(0, to))
	l.mu.Lock()
	defer l.mu.Unlock()
	r := tally{batches: l.batches, retried: l.retried, given: l.given, connErrors: l.connErrs,
		statuses: map[int]int{}, slowest: l.slowest}
	for st, n := range l.statuses {
		r.statuses[st] = n
	}
	inRange := func(id string) bool { return l.ts[id] >= from.UnixNano() && l.ts[id] < to }
	for id, ok := range l.acked {
		if !inRange(id) {
			continue
		}
		n := counts[id]
		if ok {
			r.acked++
		} else {
			r.uncertain++
		}
		switch {
		case n == 0 && before[id]:
			r.lost++
		case n > 0:
			r.found++
			if !ok {
				r.uncertainFound++
			}
			r.duplicates += n - 1
		}
	}
	for id := range counts {
		if _, sent := l.acked[id]; !sent || !inRange(id) {
			r.unknown++
		}
	}
	if r.lost > 0 || r.duplicates > 0 || r.unknown > 0 {
		l.t.Errorf("%s: %d acknowledged lines lost, %d duplicates, %d lines never sent", stage, r.lost, r.duplicates, r.unknown)
	}
	return r
}

// countLines reads every entry of selector in [from, to) forward, a page of queryPage entries
// at a time, and counts each line. A page ends at a timestamp; the next starts at it and skips
// the entries at that timestamp the page already counted.
func (p *proc) countLines(t *testing.T, tenant, selector string, from, to time.Time) map[string]int {
	t.Helper()
	counts := map[string]int{}
	start, skip := from, 0
	for range 1000 {
		r := p.queryRange(t, tenant, selector, start, to, url.Values{"limit": {strconv.Itoa(queryPage)}, "direction": {"forward"}})
		type entry struct {
			ts   int64
			line string
		}
		var es []entry
		for _, e := range r.entries(t) { // job|ts|line
			f := strings.SplitN(e, "|", 3)
			ts, err := strconv.ParseInt(f[1], 10, 64)
			if err != nil {
				t.Fatalf("entry %q: %v", e, err)
			}
			es = append(es, entry{ts, f[2]})
		}
		sort.Slice(es, func(i, j int) bool { return es[i].ts < es[j].ts })
		for _, e := range es {
			if e.ts == start.UnixNano() && skip > 0 {
				skip--
				continue
			}
			counts[e.line]++
		}
		if len(es) < queryPage {
			return counts
		}
		last := es[len(es)-1].ts
		if last == start.UnixNano() {
			t.Fatalf("a page of %d entries all at %d: cannot page on", len(es), last)
		}
		skip = 0
		for _, e := range es {
			if e.ts == last {
				skip++
			}
		}
		start = time.Unix(0, last)
	}
	t.Fatalf("more than 1000 pages of %s", selector)
	return nil
}
