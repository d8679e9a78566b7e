package testutil

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// TestNATSClusterFailover crashes the leader of an R3 stream and checks what replication
// promises: a new leader within a bounded time, every acknowledged message still there, and
// the crashed node catching up after a restart. It logs the errors clients get meanwhile.
func TestNATSClusterFailover(t *testing.T) {
	t.Parallel()
	began := time.Now()
	c := StartNATSCluster(t, 3)
	t.Logf("cluster up in %v", time.Since(began).Round(time.Millisecond))
	ctx := context.Background()
	const stream = "FAILOVER"

	js := JetStream(t, c.URLs())
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{
		Name: stream, Subjects: []string{"failover.>"}, Replicas: 3, Storage: jetstream.FileStorage,
	}); err != nil {
		t.Fatal(err)
	}
	acked := &ackedSet{m: map[uint64]string{}}
	for i := range 200 {
		if err := acked.publish(js, fmt.Sprintf("before-%d", i), time.Second); err != nil {
			t.Fatalf("publish %d: %v", i, err)
		}
	}
	old := c.WaitStreamLeader(t, stream, 5*time.Second)
	if got := c.StreamLeader(t, stream); got != old {
		t.Fatalf("StreamLeader = %d, WaitStreamLeader = %d", got, old)
	}
	survivor := (old + 1) % 3

	// Clients as a gateway would hold them: one on a node that survives, one on the leader
	// (it reconnects elsewhere after the crash).
	probes := map[string]jetstream.JetStream{
		"on survivor":      JetStream(t, c.URL(survivor)),
		"on killed leader": JetStream(t, c.URL(old)+","+c.URL(survivor), nats.DontRandomize()),
	}

	t.Logf("before the kill: stream leader %s, meta leader %s", c.nodes[old].name, metaLeader(t, c, survivor))
	c.Kill(old)
	killed := time.Now()
	if c.Running(old) {
		t.Fatalf("node %d still running after Kill", old)
	}
	gap := probeGap(t, probes, stream, acked, killed, 30*time.Second)
	name, elected := leaderSince(t, probes["on survivor"], stream)
	t.Logf("after SIGKILL of leader %s: %s elected %v after the kill (its LeaderSince); clients' first success %v after it",
		c.nodes[old].name, name, elected.Sub(killed).Round(time.Millisecond), gap.Round(time.Millisecond))
	if gap > 20*time.Second {
		t.Fatalf("clients waited %v for a new leader", gap)
	}
	leader := c.WaitStreamLeader(t, stream, time.Second)
	if leader == old {
		t.Fatalf("the killed node %d still leads", old)
	}
	checkAcked(t, probes["on survivor"], stream, acked)

	began = time.Now()
	c.Start(old)
	c.WaitCurrent(t, stream, 20*time.Second)
	t.Logf("restarted %s current after %v", c.nodes[old].name, time.Since(began).Round(time.Millisecond))

	// A graceful stop hands the leadership over; for comparison with the crash.
	leader = c.StreamLeader(t, stream)
	c.Stop(leader)
	stopped := time.Now()
	c.WaitStreamLeader(t, stream, 20*time.Second)
	name, elected = leaderSince(t, probes["on survivor"], stream)
	t.Logf("after SIGTERM of leader %s: %s elected %v after the signal", c.nodes[leader].name, name,
		elected.Sub(stopped).Round(time.Millisecond))
	if err := acked.publish(probes["on survivor"], "after-stop", 5*time.Second); err != nil {
		t.Fatalf("publish after graceful stop: %v", err)
	}
	c.Start(leader)
	c.WaitCurrent(t, stream, 20*time.Second)
	checkAcked(t, probes["on survivor"], stream, acked)
}

// TestNATSClusterMisuse checks that a bad node index fails the test instead of panicking.
func TestNATSClusterMisuse(t *testing.T) {
	c := &NATSCluster{}
	f := func(what string, call func(c *NATSCluster)) {
		t.Helper()
		rec := &fatalRecorder{}
		c.t = rec
		if panicked := rec.run(func() { call(c) }); panicked != nil {
			t.Fatalf("%s panicked: %v", what, panicked)
		}
		if !strings.Contains(rec.msg, "no node") {
			t.Fatalf("%s: fatal %q, want one about the missing node", what, rec.msg)
		}
	}
	f("Kill(3)", func(c *NATSCluster) { c.Kill(3) })
	f("Kill(-1)", func(c *NATSCluster) { c.Kill(-1) })
	f("Stop(0)", func(c *NATSCluster) { c.Stop(0) })
	f("Start(1)", func(c *NATSCluster) { c.Start(1) })
	f("URL(0)", func(c *NATSCluster) { _ = c.URL(0) })
	f("Running(2)", func(c *NATSCluster) { _ = c.Running(2) })

	rec := &fatalRecorder{}
	if panicked := rec.run(func() { StartNATSCluster(rec, 1) }); panicked != nil || rec.msg == "" {
		t.Fatalf("StartNATSCluster(1): panic %v, fatal %q; want a fatal", panicked, rec.msg)
	}
}

// fatalRecorder is a testing.TB whose Fatal ends the calling goroutine, as the real one
// does, and keeps the message. Other methods are not expected to be called.
type fatalRecorder struct {
	testing.TB
	msg string
}

func (f *fatalRecorder) Helper() {}
func (f *fatalRecorder) Fatal(args ...any) {
	f.msg = fmt.Sprint(args...)
	runtime.Goexit()
}
func (f *fatalRecorder) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// run calls fn on its own goroutine and returns what it panicked with, if anything.
func (f *fatalRecorder) run(fn func()) (panicked any) {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer func() { panicked = recover() }()
		fn()
	}()
	wg.Wait()
	return panicked
}

// ackedSet is every acknowledged publish: sequence -> payload.
type ackedSet struct {
	mu sync.Mutex
	m  map[uint64]string
}

func (a *ackedSet) publish(js jetstream.JetStream, payload string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	ack, err := js.Publish(ctx, "failover.x", []byte(payload))
	if err == nil {
		a.mu.Lock()
		a.m[ack.Sequence] = payload
		a.mu.Unlock()
	}
	return err
}

// publishAsync publishes as the bus does (PublishMsgAsync, waiting on the future).
func (a *ackedSet) publishAsync(js jetstream.JetStream, stream, payload string, timeout time.Duration) error {
	f, err := js.PublishMsgAsync(&nats.Msg{Subject: "failover.x", Data: []byte(payload)}, jetstream.WithExpectStream(stream))
	if err != nil {
		return err
	}
	select {
	case ack := <-f.Ok():
		a.mu.Lock()
		a.m[ack.Sequence] = payload
		a.mu.Unlock()
		return nil
	case err := <-f.Err():
		return err
	case <-time.After(timeout):
		return fmt.Errorf("no ack or error within %v", timeout)
	}
}

// probeGap runs stream info, publish and async publish through every client, each in its own
// loop with a 1 s timeout, until each has succeeded once, and logs the errors seen. It
// returns when the last of them first succeeded, measured from since to the start of that
// attempt (a request sent before the election is lost, however long it waits).
func probeGap(t *testing.T, probes map[string]jetstream.JetStream, stream string, acked *ackedSet,
	since time.Time, limit time.Duration) time.Duration {
	t.Helper()
	ops := map[string]func(js jetstream.JetStream) error{
		"stream info": func(js jetstream.JetStream) error {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			s, err := js.Stream(ctx, stream)
			if err == nil && (s.CachedInfo().Cluster == nil || s.CachedInfo().Cluster.Leader == "") {
				err = errors.New("stream info without a leader")
			}
			return err
		},
		"publish": func(js jetstream.JetStream) error {
			return acked.publish(js, "gap", time.Second)
		},
		"async publish": func(js jetstream.JetStream) error {
			return acked.publishAsync(js, stream, "gap-async", time.Second)
		},
	}
	seen := newErrorLog()
	var (
		mu    sync.Mutex
		worst time.Duration
		wg    sync.WaitGroup
	)
	for pname, js := range probes {
		for oname, op := range ops {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for time.Since(since) < limit {
					sent := time.Since(since)
					err := op(js)
					if err == nil {
						mu.Lock()
						worst = max(worst, sent)
						mu.Unlock()
						t.Logf("  %s %s: first success sent %v after the kill", oname, pname, sent.Round(time.Millisecond))
						return
					}
					seen.add(oname+" "+pname, sent, err)
					time.Sleep(50 * time.Millisecond)
				}
				mu.Lock()
				worst = limit + 1
				mu.Unlock()
			}()
		}
	}
	wg.Wait()
	seen.log(t)
	return worst
}

// metaLeader is the JetStream meta leader's name as node i's /jsz reports it.
func metaLeader(t *testing.T, c *NATSCluster, i int) string {
	t.Helper()
	var jsz struct {
		Meta struct {
			Leader string `json:"leader"`
		} `json:"meta_cluster"`
	}
	if err := c.monitorJSON(i, "/jsz", &jsz); err != nil {
		t.Fatal(err)
	}
	return jsz.Meta.Leader
}

// leaderSince is the stream leader's name and when it was elected.
func leaderSince(t *testing.T, js jetstream.JetStream, stream string) (string, time.Time) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := js.Stream(ctx, stream)
	if err != nil {
		t.Fatal(err)
	}
	ci := s.CachedInfo().Cluster
	if ci == nil || ci.LeaderSince == nil {
		t.Fatalf("stream %s: no leader election time in %+v", stream, ci)
	}
	return ci.Leader, *ci.LeaderSince
}

// checkAcked reads every acknowledged message back by sequence.
func checkAcked(t *testing.T, js jetstream.JetStream, stream string, acked *ackedSet) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s, err := js.Stream(ctx, stream)
	if err != nil {
		t.Fatal(err)
	}
	acked.mu.Lock()
	defer acked.mu.Unlock()
	for seq, want := range acked.m {
		msg, err := s.GetMsg(ctx, seq)
		if err != nil {
			t.Fatalf("acknowledged message %d: %v", seq, err)
		}
		if string(msg.Data) != want {
			t.Fatalf("message %d = %q, want %q", seq, msg.Data, want)
		}
	}
	t.Logf("all %d acknowledged messages readable", len(acked.m))
}

// errorLog counts the distinct errors of each operation and when they were first and last seen.
type errorLog struct {
	mu sync.Mutex
	m  map[string]*errorSeen
}

type errorSeen struct {
	n           int
	first, last time.Duration
}

func newErrorLog() *errorLog { return &errorLog{m: map[string]*errorSeen{}} }

func (l *errorLog) add(op string, at time.Duration, err error) {
	key := op + ": " + describeErr(err)
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.m[key]
	if e == nil {
		e = &errorSeen{first: at}
		l.m[key] = e
	}
	e.n++
	e.last = at
}

func (l *errorLog) log(t *testing.T) {
	l.mu.Lock()
	defer l.mu.Unlock()
	keys := make([]string, 0, len(l.m))
	for k := range l.m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		e := l.m[k]
		t.Logf("  %dx from %v to %v: %s", e.n, e.first.Round(time.Millisecond), e.last.Round(time.Millisecond), k)
	}
}

// describeErr is the error's text and type, and which well-known values it matches.
func describeErr(err error) string {
	var is []string
	for _, k := range []struct {
		name string
		err  error
	}{
		{"jetstream.ErrNoStreamResponse", jetstream.ErrNoStreamResponse},
		{"jetstream.ErrStreamNotFound", jetstream.ErrStreamNotFound},
		{"nats.ErrNoResponders", nats.ErrNoResponders},
		{"nats.ErrTimeout", nats.ErrTimeout},
		{"nats.ErrConnectionClosed", nats.ErrConnectionClosed},
		{"nats.ErrConnectionReconnecting", nats.ErrConnectionReconnecting},
		{"context.DeadlineExceeded", context.DeadlineExceeded},
	} {
		if errors.Is(err, k.err) {
			is = append(is, k.name)
		}
	}
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) {
		is = append(is, fmt.Sprintf("APIError{Code: %d, ErrorCode: %d}", apiErr.Code, apiErr.ErrorCode))
	}
	slices.Sort(is)
	return fmt.Sprintf("%q (%T; is %s)", err.Error(), err, strings.Join(is, ", "))
}

// TestNATSClusterPortTaken: when a port picked for a node is taken before the node binds it,
// StartNATSCluster tries other ports instead of failing the test.
func TestNATSClusterPortTaken(t *testing.T) {
	taken, calls := takeFirstPick(t) // the last is a monitoring port
	c := StartNATSCluster(t, 2)
	if *calls != 2 {
		t.Fatalf("%d picks of ports, want 2", *calls)
	}
	for _, u := range strings.Split(c.URLs(), ",") {
		if strings.HasSuffix(u, fmt.Sprintf(":%d", taken)) {
			t.Fatalf("a node listens on the taken port: %s", c.URLs())
		}
	}
}
