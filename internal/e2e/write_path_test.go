package e2e

import (
	"fmt"
	"net/url"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/jetlog/jetlog/internal/testutil"
)

// inspectRows runs `jetlog inspect` over the filesystem object store and returns the row total.
func inspectRows(t *testing.T, dataDir string) int {
	t.Helper()
	out, err := exec.Command(jetlogBin, "inspect", filepath.Join(dataDir, "objects")).CombinedOutput()
	if err != nil {
		t.Fatalf("inspect: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`total: \d+ objects, \d+ streams, (\d+) rows`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("inspect: no total line:\n%s", out)
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n
}

// allLines queries every line of job in [from, to) for tenant, forward, and returns them sorted.
func (p *proc) allLines(t *testing.T, tenant, selector string, from, to time.Time) []string {
	t.Helper()
	r := p.queryRange(t, tenant, selector, from, to, url.Values{"limit": {"5000"}, "direction": {"forward"}})
	got := r.entries(t)
	sort.Strings(got)
	return got
}

func expectLines(t *testing.T, job string, ls []line) []string {
	var want []string
	for _, l := range ls {
		want = append(want, fmt.Sprintf("%s|%d|%s", job, l.ts.UnixNano(), l.text))
	}
	sort.Strings(want)
	return want
}

func sameLines(t *testing.T, what string, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d lines, want %d", what, len(got), len(want))
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("%s: line %d = %q, want %q", what, i, got[i], want[i])
		}
	}
}

// TestPushFormatsEndToEnd pushes protobuf+snappy, JSON and gzipped JSON with structured
// metadata through the real binary, flushes, and finds exactly those entries in storage and
// through the query API, on the filesystem and on a real MinIO.
func TestPushFormatsEndToEnd(t *testing.T) {
	backends := map[string]func(t *testing.T) []string{
		"filesystem": func(t *testing.T) []string { return nil },
		"s3": func(t *testing.T) []string {
			m := testutil.StartMinIO(t)
			return []string{"-storage.backend=s3", "-s3.endpoint=" + m.Endpoint, "-s3.bucket=jetlog",
				"-s3.access-key-id=" + m.AccessKey, "-s3.secret-access-key=" + m.SecretKey, "-s3.insecure=true"}
		},
	}
	for name, extra := range backends {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			p := startJetlog(t, dir, extra(t)...)
			base := time.Now().Add(-time.Minute).Truncate(time.Millisecond)
			proto := seqLines("proto", base, 300)
			proto[0].md = map[string]string{"trace_id": "abc123"}
			p.pushProto(t, "t1", map[string][]line{`{job="proto", env="e2e"}`: proto})

			js := seqLines("json", base, 200)
			js[1].md = map[string]string{"user": "u1"}
			body := jsonBody(t, []map[string]string{{"job": "json", "env": "e2e"}}, [][]line{js})
			if st, b := do(t, "POST", p.URL+"/loki/api/v1/push", "t1", body,
				map[string]string{"Content-Type": "application/json"}); st != 204 {
				t.Fatalf("json push: %d %s", st, b)
			}
			gz := seqLines("gzip", base, 100)
			body = gzipBytes(t, jsonBody(t, []map[string]string{{"job": "gzip", "env": "e2e"}}, [][]line{gz}))
			if st, b := do(t, "POST", p.URL+"/loki/api/v1/push", "t1", body,
				map[string]string{"Content-Type": "application/json", "Content-Encoding": "gzip"}); st != 204 {
				t.Fatalf("gzip push: %d %s", st, b)
			}
			from, to := base.Add(-time.Second), base.Add(time.Minute)
			check := func(stage string) {
				for job, ls := range map[string][]line{"proto": proto, "json": js, "gzip": gz} {
					got := p.allLines(t, "t1", fmt.Sprintf(`{job=%q}`, job), from, to)
					sameLines(t, stage+" "+job, got, expectLines(t, job, ls))
				}
				// Structured metadata survives and is a result label, as in Loki.
				r := p.queryRange(t, "t1", `{job="proto"} | trace_id="abc123"`, from, to, url.Values{"limit": {"10"}})
				if n := len(r.entries(t)); n != 1 {
					t.Fatalf("%s: %d entries with trace_id, want 1", stage, n)
				}
			}
			check("before flush")
			if st, b := do(t, "POST", p.URL+"/flush", "", nil, nil); st != 204 {
				t.Fatalf("flush: %d %s", st, b)
			}
			check("after flush")
			if name == "filesystem" {
				if n := inspectRows(t, dir); n != 600 {
					t.Fatalf("inspect: %d rows stored, want 600", n)
				}
			}
		})
	}
}

// TestKillBeforeFlushLosesNothing acknowledges pushes, SIGKILLs the process before any flush,
// restarts it and finds every acknowledged line exactly once, in queries and in storage.
func TestKillBeforeFlushLosesNothing(t *testing.T) {
	dir := t.TempDir()
	p := startJetlog(t, dir, "-chunker.max-chunk-age=1h", "-chunker.idle-period=1h")
	base := time.Now().Add(-time.Minute).Truncate(time.Millisecond)
	var all []line
	for i := 0; i < 20; i++ {
		ls := seqLines(fmt.Sprintf("kill%02d", i), base.Add(time.Duration(i)*time.Second), 100)
		p.pushProto(t, "t1", map[string][]line{`{job="kill"}`: ls})
		all = append(all, ls...)
	}
	p.kill()
	if n := inspectRowsOrZero(t, dir); n != 0 {
		t.Fatalf("%d rows stored before any flush; the test needs the data to be only on the bus", n)
	}
	p.restart()
	from, to := base.Add(-time.Second), base.Add(time.Minute)
	want := expectLines(t, "kill", all)
	sameLines(t, "after restart", p.allLines(t, "t1", `{job="kill"}`, from, to), want)
	if st, b := do(t, "POST", p.URL+"/flush", "", nil, nil); st != 204 {
		t.Fatalf("flush: %d %s", st, b)
	}
	sameLines(t, "after flush", p.allLines(t, "t1", `{job="kill"}`, from, to), want)
	p.term()
	if n := inspectRows(t, dir); n != len(all) {
		t.Fatalf("stored %d rows, want %d", n, len(all))
	}
}

func inspectRowsOrZero(t *testing.T, dataDir string) int {
	t.Helper()
	out, err := exec.Command(jetlogBin, "inspect", filepath.Join(dataDir, "objects")).CombinedOutput()
	if err != nil {
		return 0 // no objects directory yet
	}
	m := regexp.MustCompile(`(\d+) rows`).FindSubmatch(out)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n
}

// TestSIGTERMFlushesEverything: after SIGTERM the objects hold exactly the acknowledged lines.
func TestSIGTERMFlushesEverything(t *testing.T) {
	dir := t.TempDir()
	p := startJetlog(t, dir, "-chunker.max-chunk-age=1h", "-chunker.idle-period=1h")
	base := time.Now().Add(-time.Minute).Truncate(time.Millisecond)
	n := 0
	for i := 0; i < 10; i++ {
		p.pushProto(t, "t2", map[string][]line{
			fmt.Sprintf(`{job="term", pod="p%d"}`, i%3): seqLines(fmt.Sprintf("term%02d", i), base.Add(time.Duration(i)*time.Second), 250),
		})
		n += 250
	}
	p.term()
	if got := inspectRows(t, dir); got != n {
		t.Fatalf("stored %d rows after SIGTERM, want %d", got, n)
	}
}

// TestStartsWhileObjectStoreDown starts jetlog while MinIO is down: it waits for the object
// store instead of exiting, becomes ready once MinIO is back, and stores what it is sent.
func TestStartsWhileObjectStoreDown(t *testing.T) {
	m := testutil.StartMinIO(t)
	m.Stop()
	restarted := make(chan struct{})
	go func() {
		defer close(restarted)
		time.Sleep(3 * time.Second)
		m.Start()
	}()
	p := startJetlog(t, t.TempDir(), "-storage.backend=s3", "-s3.endpoint="+m.Endpoint, "-s3.bucket=jetlog",
		"-s3.access-key-id="+m.AccessKey, "-s3.secret-access-key="+m.SecretKey, "-s3.insecure=true")
	<-restarted
	if !contains(p.log.String(), "object store unreachable") {
		t.Fatalf("jetlog became ready without waiting for the object store:\n%s", p.log)
	}
	base := time.Now().Add(-time.Minute).Truncate(time.Millisecond)
	ls := seqLines("late", base, 50)
	p.pushProto(t, "t1", map[string][]line{`{job="late"}`: ls})
	if st, b := do(t, "POST", p.URL+"/flush", "", nil, nil); st != 204 {
		t.Fatalf("flush: %d %s", st, b)
	}
	sameLines(t, "after the flush", p.allLines(t, "t1", `{job="late"}`, base.Add(-time.Second), base.Add(time.Minute)), expectLines(t, "late", ls))
}
