package e2e

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jetlog/jetlog/internal/testutil"
	"github.com/jetlog/jetlog/objstore/s3"
	"github.com/jetlog/jetlog/schemas"
)

// TestFaults crashes or stops one part at a time under sustained push load, on a 3-node NATS
// cluster (stream replicas 3) and a real MinIO, with the gateway, chunker(s) and querier as
// separate processes. Each fault ends with an exact reconciliation (load_test.go): every
// acknowledged line is returned exactly once, an unacknowledged one at most once, nothing
// else. RELIABILITY.md lists the outcomes as measured.
func TestFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("fault tests run a NATS cluster, MinIO and several jetlog processes")
	}
	t.Run("gateway_kill", testGatewayKill)
	t.Run("chunker_kill_mid_upload", testChunkerKillMidUpload)
	t.Run("chunker_takeover", testChunkerTakeover)
	t.Run("querier_kill", testQuerierKill)
	t.Run("leader_kill", testLeaderKill)
	t.Run("minio_outage", testMinIOOutage)
	t.Run("sigterm_all", testSIGTERMAll)
	t.Run("sigterm_chunker_minio_down", testSIGTERMChunkerMinIODown)
	t.Run("retry_after_timeout", testRetryAfterTimeout)
}

const faultTenant = "faults"

// startFault starts the usual world of a fault test, one gateway, one chunker and one
// querier, and the load, and waits until it is well under way.
func startFault(t *testing.T, fault string, cfg loadConfig) (env *faultEnv, gw, ch, q *proc, l *load) {
	t.Helper()
	env = newFaultEnv(t)
	gw, ch, q = env.start("gateway"), env.start("chunker"), env.start("querier")
	l = startLoad(t, gw, faultTenant, fault, cfg)
	l.waitAcks(100, 10*time.Second)
	return env, gw, ch, q, l
}

// flush makes p's chunker commit everything on the bus it owns. A 503 (a partition changed
// hands under the flush, e.g. its lease lapsed while the bus had no leader) is asked again.
func flush(t *testing.T, p *proc) {
	t.Helper()
	var st int
	var b []byte
	for range 20 {
		if st, b = do(t, "POST", p.URL+"/flush", "", nil, nil); st != http.StatusServiceUnavailable {
			break
		}
		t.Logf("flush: HTTP %d %s; again", st, b)
		time.Sleep(500 * time.Millisecond)
	}
	if st != http.StatusNoContent {
		t.Fatalf("flush: HTTP %d %s", st, b)
	}
}

// readyStatus is p's /ready status, 0 without an answer.
func readyStatus(p *proc) int {
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(p.URL + "/ready")
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

func testGatewayKill(t *testing.T) {
	_, gw, ch, q, l := startFault(t, "gateway_kill", defaultLoad)

	killed := time.Now() // requests in flight fail from here on
	gw.kill()
	time.Sleep(time.Second) // the fault: no gateway for a second
	gw.restart()
	up := time.Now()
	l.waitAcks(100, 15*time.Second)

	gap, _ := l.longestAckGap(killed.Add(-time.Second))
	l.mu.Lock()
	var outside []time.Duration
	for _, f := range l.fails {
		if f.Before(killed) || f.After(up.Add(time.Second)) {
			outside = append(outside, f.Sub(killed))
		}
	}
	l.mu.Unlock()
	if len(outside) > 0 {
		t.Errorf("%d failed pushes outside the gateway's downtime (at %v after the kill)", len(outside), outside)
	}
	t.Logf("gateway down %v (restart until ready); longest time without a 2xx: %v", up.Sub(killed).Round(time.Millisecond), gap.Round(time.Millisecond))
	l.finish("after the gateway's restart", q, ch)
}

// intents lists the flush intents in the bucket: each is a flush between its first write and
// its commit (or just after the commit, before the intent's removal).
func intents(t *testing.T, b *s3.Bucket) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var keys []string
	if err := b.List(ctx, schemas.SystemPrefix+"intents/", func(key string, _ int64) error {
		keys = append(keys, key)
		return nil
	}); err != nil {
		t.Fatalf("list intents: %v", err)
	}
	return keys
}

func (e *faultEnv) bucket(t *testing.T) *s3.Bucket {
	t.Helper()
	b, err := s3.New(context.Background(), s3.Config{Endpoint: e.minio.Endpoint, Bucket: "jetlog",
		AccessKeyID: e.minio.AccessKey, SecretAccessKey: e.minio.SecretKey, Insecure: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

func testChunkerKillMidUpload(t *testing.T) {
	env, _, ch, q, l := startFault(t, "chunker_kill", defaultLoad)
	b := env.bucket(t)

	// Kill the chunker the moment a flush is under way, until a kill leaves a flush's intent
	// behind: the process died between the intent and its removal.
	kills, interrupted, rolledBack := 0, 0, 0.0
	for kills < 6 && interrupted < 2 {
		testutil.Eventually(t, 10*time.Second, "a flush under way", func() bool { return len(intents(t, b)) > 0 })
		ch.kill()
		kills++
		left := intents(t, b)
		if len(left) > 0 {
			interrupted++
		}
		ch.restart()
		// The restarted instance reclaims its partitions at once and recovers each: an
		// interrupted, uncommitted flush is rolled back before anything else.
		testutil.Eventually(t, 10*time.Second, "partitions reclaimed", func() bool {
			return metricValue(t, ch, "jetlog_chunker_owned_partitions") == 16
		})
		testutil.Eventually(t, 10*time.Second, "a flush after the restart", func() bool {
			return metricValue(t, ch, "jetlog_chunker_flushes_total") > 0
		})
		rb := metricValue(t, ch, "jetlog_chunker_rolled_back_flushes_total")
		rolledBack += rb
		t.Logf("kill %d: %d intents left behind (%v); %v flushes rolled back after the restart", kills, len(left), left, rb)
		l.waitAcks(40, 10*time.Second)
	}
	if interrupted == 0 {
		t.Fatalf("none of %d kills interrupted a flush", kills)
	}
	t.Logf("%d kills, %d interrupted a flush, %v uncommitted flushes rolled back", kills, interrupted, rolledBack)
	l.finish("after the chunker kills", q, ch)
}

func testChunkerTakeover(t *testing.T) {
	env := newFaultEnv(t)
	gw, q := env.start("gateway"), env.start("querier")
	c1, c2 := env.start("chunker"), env.start("chunker")
	owned := func(p *proc) float64 { return metricValue(t, p, "jetlog_chunker_owned_partitions") }
	testutil.Eventually(t, 15*time.Second, "both chunkers own a fair share", func() bool {
		return owned(c1) == 8 && owned(c2) == 8
	})
	l := startLoad(t, gw, faultTenant, "takeover", defaultLoad)
	l.waitAcks(100, 10*time.Second)
	testutil.Eventually(t, 10*time.Second, "flushes by both chunkers", func() bool {
		return metricValue(t, c1, "jetlog_chunker_flushes_total") > 0 && metricValue(t, c2, "jetlog_chunker_flushes_total") > 0
	})
	// c2 got its share from c1 releasing it: a hand-over, not a takeover.
	before := metricValue(t, c2, "jetlog_chunker_takeovers_total")
	if before != 0 {
		t.Errorf("%v takeovers counted for partitions another instance released", before)
	}

	c1.kill()
	killed := time.Now()
	testutil.Eventually(t, 15*time.Second, "the survivor owns every partition", func() bool { return owned(c2) == 16 })
	took := time.Since(killed)
	takeovers := metricValue(t, c2, "jetlog_chunker_takeovers_total") - before
	t.Logf("SIGKILL of one of two chunkers: the other owns all 16 partitions %v later (lease TTL 2s), %v takeovers",
		took.Round(time.Millisecond), takeovers)
	if takeovers != 8 {
		t.Errorf("%v partitions taken over, want 8", takeovers)
	}
	l.waitAcks(100, 10*time.Second)
	l.finish("after the takeover", q, c2)
}

func testQuerierKill(t *testing.T) {
	_, _, ch, q, l := startFault(t, "querier_kill", defaultLoad)

	// Count continuously: each answer lies between what was acknowledged before the query
	// and what was sent by its end. A kill fails the queries in flight, nothing more.
	stop := make(chan struct{})
	type stats struct {
		ok, failed int
		bad        []string
	}
	res := make(chan stats, 1)
	go func() {
		var s stats
		for {
			select {
			case <-stop:
				res <- s
				return
			default:
			}
			floor := l.ackedCount()
			n, err := q.tryInstantCount(faultTenant, l.selector())
			l.mu.Lock()
			ceil := len(l.acked)
			l.mu.Unlock()
			switch {
			case err != nil:
				s.failed++
				time.Sleep(50 * time.Millisecond)
			case n < int64(floor) || n > int64(ceil):
				s.bad = append(s.bad, fmt.Sprintf("count %d outside [%d, %d]", n, floor, ceil))
			default:
				s.ok++
			}
		}
	}()
	time.Sleep(2 * time.Second) // queries run against a healthy querier
	q.kill()
	time.Sleep(time.Second) // the fault: no querier for a second
	q.restart()
	time.Sleep(2 * time.Second) // queries against the restarted querier
	close(stop)
	s := <-res
	t.Logf("queries: %d answered, %d failed (the querier was down about a second), %d wrong", s.ok, s.failed, len(s.bad))
	if len(s.bad) > 0 {
		t.Errorf("wrong counts: %v", s.bad)
	}
	if s.ok == 0 {
		t.Errorf("no query answered")
	}
	l.finish("after the querier's restart", q, ch)
}

func testLeaderKill(t *testing.T) {
	env := newFaultEnv(t)
	ch, q := env.start("chunker"), env.start("querier") // the stream exists now
	leader := env.nats.WaitStreamLeader(t, "LOGS", 10*time.Second)
	// The gateway is connected to the leader (it learns the other servers from it): the
	// crash takes its connection and the acknowledgements under way with it.
	gw := env.start("gateway", "-nats.url="+env.nats.URL(leader))
	l := startLoad(t, gw, faultTenant, "leader_kill", defaultLoad)
	l.waitAcks(100, 10*time.Second)
	if now := env.nats.StreamLeader(t, "LOGS"); now != leader {
		t.Fatalf("the stream leader moved from n%d to n%d before the kill", leader+1, now+1)
	}
	env.nats.Kill(leader)
	killed := time.Now()
	elected := env.nats.WaitStreamLeader(t, "LOGS", 20*time.Second)
	election := time.Since(killed)
	l.waitAcks(100, 20*time.Second)
	time.Sleep(time.Until(killed.Add(10 * time.Second))) // the fault: one node of three down for 10 s
	env.nats.Start(leader)
	l.waitAcks(100, 10*time.Second)
	gap, ok := l.longestAckGap(killed.Add(-time.Second))
	if !ok {
		t.Fatal("no push acknowledged after the kill")
	}
	t.Logf("SIGKILL of stream leader n%d: n%d leads %v later; longest time without a 2xx around the kill: %v",
		leader+1, elected+1, election.Round(time.Millisecond), gap.Round(time.Millisecond))
	if gap > 10*time.Second {
		t.Errorf("ingest stalled for %v after the leader's crash, want < 10s", gap)
	}
	l.Stop()
	began := time.Now()
	env.nats.WaitCurrent(t, "LOGS", 30*time.Second)
	t.Logf("restarted n%d current %v after the load stopped", leader+1, time.Since(began).Round(time.Millisecond))
	l.finish("after the leader's crash and restart", q, ch)
}

func testMinIOOutage(t *testing.T) {
	env, _, ch, q, l := startFault(t, "minio_outage", defaultLoad)
	testutil.Eventually(t, 10*time.Second, "flushes before the outage", func() bool {
		return metricValue(t, ch, "jetlog_chunker_flushes_total") > 0
	})
	errorsBefore := metricValue(t, ch, "jetlog_chunker_flush_errors_total")
	l.verify("before the outage", q, l.base) // the querier has read the index once

	env.minio.Stop()
	stopped := time.Now()
	l.mu.Lock()
	newest := l.newest // everything later is pushed during the outage: never flushed before it
	l.mu.Unlock()
	var ready int
	testutil.Eventually(t, 10*time.Second, "the chunker not ready", func() bool {
		ready = readyStatus(ch)
		return ready != http.StatusOK
	})
	t.Logf("chunker /ready %d, %v after MinIO stopped", ready, time.Since(stopped).Round(time.Millisecond))
	l.waitAcks(100, 10*time.Second) // ingest goes on: the bus holds everything
	testutil.Eventually(t, 10*time.Second, "a failed flush", func() bool {
		return metricValue(t, ch, "jetlog_chunker_flush_errors_total") > errorsBefore
	})

	// During the outage, the lines pushed since it began are on the bus only, and a query
	// for them is answered exactly. A query that needs flushed lines cannot be: 503.
	began := time.Now()
	r := l.verify("during the outage, lines pushed since it began", q, time.Unix(0, newest+1))
	t.Logf("during the outage: %d lines pushed since it began found (%d acknowledged) in %v", r.found, r.acked, time.Since(began).Round(time.Millisecond))
	if r.found == 0 {
		t.Errorf("no line pushed during the outage found")
	}
	began = time.Now()
	_, err := q.tryInstantCount(faultTenant, l.selector())
	t.Logf("during the outage, a query over flushed lines: %v (after %v)", err, time.Since(began).Round(time.Millisecond))
	if err == nil || !strings.Contains(err.Error(), "HTTP 503") {
		t.Errorf("a query needing flushed lines during the outage: %v, want HTTP 503", err)
	}

	time.Sleep(time.Until(stopped.Add(30 * time.Second))) // the fault: 30 s without MinIO
	if st := readyStatus(ch); st == http.StatusOK {
		t.Errorf("chunker /ready 200 at the end of the outage")
	}
	env.minio.Start()
	restarted := time.Now()
	testutil.Eventually(t, 30*time.Second, "the chunker ready again", func() bool { return readyStatus(ch) == http.StatusOK })
	t.Logf("chunker ready %v after MinIO restarted", time.Since(restarted).Round(time.Millisecond))
	failed := metricValue(t, ch, "jetlog_chunker_flush_errors_total") - errorsBefore
	t.Logf("%v failed flush attempts during the outage, retried with backoff", failed)
	l.waitAcks(100, 10*time.Second)
	l.finish("after the MinIO outage", q, ch)
}

func testSIGTERMAll(t *testing.T) {
	cfg := defaultLoad
	cfg.attempts = 25 // the agents outlast the gateway's restart
	env, gw, ch, q, l := startFault(t, "sigterm", cfg)

	began := time.Now()
	gw.term() // under load: in-flight pushes finish, then it exits 0
	t.Logf("gateway exited 0 %v after SIGTERM", time.Since(began).Round(time.Millisecond))
	// Nothing reaches the bus now. A chunker's SIGTERM commits everything it consumed.
	began = time.Now()
	ch.term()
	t.Logf("chunker exited 0 %v after SIGTERM", time.Since(began).Round(time.Millisecond))
	checkDrained(t, env)
	began = time.Now()
	q.term()
	t.Logf("querier exited 0 %v after SIGTERM", time.Since(began).Round(time.Millisecond))

	gw.restart()
	ch.restart()
	q.restart()
	l.waitAcks(100, 20*time.Second)
	l.finish("after SIGTERM and restart of every role", q, ch)
}

// testSIGTERMChunkerMinIODown: a chunker asked to stop while MinIO is down gives its final
// flush -chunker.shutdown-timeout, then exits (1: the flush failed); the next run flushes it.
func testSIGTERMChunkerMinIODown(t *testing.T) {
	env := newFaultEnv(t)
	gw, q := env.start("gateway"), env.start("querier")
	ch := env.start("chunker", "-chunker.shutdown-timeout=3s")
	l := startLoad(t, gw, faultTenant, "sigterm_minio_down", defaultLoad)
	l.waitAcks(100, 10*time.Second)
	errorsBefore := metricValue(t, ch, "jetlog_chunker_flush_errors_total")
	env.minio.Stop()
	testutil.Eventually(t, 10*time.Second, "a failed flush", func() bool {
		return metricValue(t, ch, "jetlog_chunker_flush_errors_total") > errorsBefore
	})
	began := time.Now()
	_ = ch.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-ch.done:
	case <-time.After(30 * time.Second):
		t.Fatal("the chunker did not exit 30s after SIGTERM (shutdown timeout 3s) with MinIO down")
	}
	code := ch.cmd.ProcessState.ExitCode()
	t.Logf("chunker exited %d %v after SIGTERM with MinIO down", code, time.Since(began).Round(time.Millisecond))
	if code != 1 {
		t.Errorf("exit code %d after a final flush that could not be written, want 1", code)
	}
	env.minio.Start()
	ch.restart()
	l.waitAcks(100, 10*time.Second)
	l.finish("after the chunker's SIGTERM with MinIO down and its restart", q, ch)
}

// checkDrained fails unless every message on the bus is below its partition's checkpoint.
func checkDrained(t *testing.T, env *faultEnv) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b := testutil.BusAt(t, env.nats.URLs(), 16)
	cps, err := b.Checkpoints().All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	last, err := b.LastSeq(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var left atomic.Int64 // ReadTail calls concurrently
	err = b.ReadTail(ctx, faultTenant, func(p int) uint64 { return cps[p].Seq }, func(schemas.TailMessage) error {
		left.Add(1)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("after the chunker's SIGTERM: %d of %d bus messages not committed", left.Load(), last)
	if left.Load() > 0 {
		t.Errorf("%d bus messages after the checkpoints: the chunker did not flush everything before exiting", left.Load())
	}
}

// testRetryAfterTimeout: agents whose request timed out before the answer came, then retried
// the same body; and agents that retried a push that had succeeded. Each line is stored once.
func testRetryAfterTimeout(t *testing.T) {
	env := newFaultEnv(t)
	gw, ch, q := env.start("gateway"), env.start("chunker"), env.start("querier")
	b := testutil.BusAt(t, env.nats.URLs(), 16)
	ctx := context.Background()
	lastSeq := func() uint64 {
		t.Helper()
		n, err := b.LastSeq(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	l := &load{t: t, url: gw.URL + "/loki/api/v1/push", tenant: faultTenant, fault: "retry",
		base: time.Now().Add(-5 * time.Minute).Truncate(time.Millisecond), cfg: loadConfig{clients: 1, lines: 50},
		stop: make(chan struct{}), acked: map[string]bool{}, ts: map[string]int64{}, statuses: map[int]int{}}
	close(l.stop)
	normal := &http.Client{Timeout: 15 * time.Second}
	// body is batch i on a single stream: one bus message.
	body := func(i int) ([]string, []byte) {
		ids := make([]string, 50)
		ls := make([]line, 50)
		for j := range ls {
			ids[j] = fmt.Sprintf("retry-b%04d-l%02d", i, j)
			ls[j] = line{ts: l.base.Add(time.Duration(i*50+j) * time.Microsecond), text: ids[j]}
			l.ts[ids[j]] = ls[j].ts.UnixNano()
			l.newest = max(l.newest, ls[j].ts.UnixNano())
		}
		return ids, protoBody(t, map[string][]line{`{job="faults", fault="retry"}`: ls})
	}
	push := func(c *http.Client, data []byte) (int, time.Duration, error) {
		l.http = c
		began := time.Now()
		st, err := l.post(data)
		return st, time.Since(began), err
	}
	record := func(ids []string, acked bool) {
		for _, id := range ids {
			l.acked[id] = l.acked[id] || acked
		}
	}

	// A push that succeeded, sent again (its 2xx was lost on the way back): stored once.
	var lat []time.Duration
	batch := 0
	for ; batch < 20; batch++ {
		ids, data := body(batch)
		before := lastSeq()
		for try := range 2 {
			st, took, err := push(normal, data)
			if err != nil || st != http.StatusNoContent {
				t.Fatalf("push %d try %d: %d %v", batch, try, st, err)
			}
			lat = append(lat, took)
		}
		record(ids, true)
		if n := lastSeq() - before; n != 1 {
			t.Fatalf("a push sent twice added %d bus messages, want 1", n)
		}
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	median := lat[len(lat)/2]

	// Client timeouts around the push latency: some time out before the gateway published,
	// some after the bus stored the message but before the 2xx arrived. The agent cannot
	// tell them apart and sends the same body again.
	// Every other timed-out push is given up instead (an agent out of retries): its lines
	// stay uncertain, and may be stored, but once at most.
	timedOut, storedBeforeRetry, givenUp := 0, 0, 0
	for i := 0; i < 200 && (storedBeforeRetry < 3 || givenUp < 3); i++ {
		batch++
		ids, data := body(batch)
		before := lastSeq()
		timeout := median * time.Duration(2+i%9) / 8 // 25% to 125% of the median latency
		st, _, err := push(&http.Client{Timeout: timeout}, data)
		if err == nil {
			if st != http.StatusNoContent {
				t.Fatalf("push %d: HTTP %d", batch, st)
			}
			record(ids, true)
			continue
		}
		if !strings.Contains(err.Error(), "Timeout") && !strings.Contains(err.Error(), "deadline") {
			t.Fatalf("push %d: %v", batch, err)
		}
		timedOut++
		record(ids, false)
		// Give a publish under way time to land; the outcome is what the retry must cope with.
		time.Sleep(100 * time.Millisecond)
		stored := lastSeq() - before
		if timedOut%2 == 0 {
			givenUp++
			if stored > 1 {
				t.Fatalf("push %d timed out: %d bus messages, want at most 1", batch, stored)
			}
			continue
		}
		if stored == 1 {
			storedBeforeRetry++
		}
		st, _, err = push(normal, data)
		if err != nil || st != http.StatusNoContent {
			t.Fatalf("retry of push %d: %d %v", batch, st, err)
		}
		record(ids, true)
		if n := lastSeq() - before; n != 1 {
			t.Fatalf("push %d timed out (%d message stored by then) and was retried: %d bus messages, want 1", batch, stored, n)
		}
	}
	t.Logf("median push latency %v; %d pushes timed out on the client: %d retried (%d of them stored before the retry), %d given up; %d pushes in all",
		median.Round(time.Microsecond), timedOut, timedOut-givenUp, storedBeforeRetry, givenUp, batch+1)
	if storedBeforeRetry == 0 || givenUp == 0 {
		t.Errorf("no timed-out push was stored before its retry, or none was given up: the case was not exercised")
	}

	// A slow bus: the stream leader crashed and publishes wait for a new one. The agents give
	// up after 500 ms, then send the same bodies again.
	leader := env.nats.StreamLeader(t, "LOGS")
	if leader < 0 {
		t.Fatal("stream LOGS has no leader")
	}
	before := lastSeq()
	env.nats.Kill(leader)
	killed := time.Now()
	slow := &http.Client{Timeout: 500 * time.Millisecond}
	type retry struct {
		ids  []string
		data []byte
	}
	var again []retry
	const slowPushes = 8
	for range slowPushes {
		batch++
		ids, data := body(batch)
		st, _, err := push(slow, data)
		switch {
		case err == nil && st == http.StatusNoContent:
			record(ids, true)
		case err == nil:
			t.Fatalf("push %d with the leader down: HTTP %d", batch, st)
		default:
			record(ids, false)
			again = append(again, retry{ids, data})
		}
	}
	for _, r := range again {
		if st, _, err := push(normal, r.data); err != nil || st != http.StatusNoContent {
			t.Fatalf("retry with the leader down: %d %v", st, err)
		}
		record(r.ids, true)
	}
	stored := lastSeq() - before
	t.Logf("leader n%d killed: %d of %d pushes timed out on the client within %v and were sent again; %d bus messages for %d pushes",
		leader+1, len(again), slowPushes, time.Since(killed).Round(time.Millisecond), stored, slowPushes)
	if stored != slowPushes {
		t.Errorf("%d pushes around a leader crash, with retries after timeouts, stored %d bus messages", slowPushes, stored)
	}
	env.nats.Start(leader)
	l.batches = batch + 1
	env.nats.WaitCurrent(t, "LOGS", 30*time.Second)
	l.finish("after retries", q, ch)
}
