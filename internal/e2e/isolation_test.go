package e2e

import (
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestRetriedPushStoredOnce: an agent that retries the same push (after a timeout it could not
// tell from a failure) gets its lines stored and returned once, before and after a flush.
func TestRetriedPushStoredOnce(t *testing.T) {
	p := startJetlog(t, t.TempDir(), "-chunker.max-chunk-age=1h", "-chunker.idle-period=1h")
	base := time.Now().Add(-time.Minute).Truncate(time.Millisecond)
	ls := seqLines("retry", base, 100)
	for i := 0; i < 3; i++ {
		p.pushProto(t, "r", map[string][]line{`{job="retry"}`: ls})
	}
	from, to := base.Add(-time.Second), base.Add(time.Minute)
	want := expectLines(t, "retry", ls)
	sameLines(t, "before flush", p.allLines(t, "r", `{job="retry"}`, from, to), want)
	if st, b := do(t, "POST", p.URL+"/flush", "", nil, nil); st != 204 {
		t.Fatalf("flush: %d %s", st, b)
	}
	sameLines(t, "after flush", p.allLines(t, "r", `{job="retry"}`, from, to), want)
	if got := p.instantCount(t, "r", `{job="retry"}`); got != 100 {
		t.Fatalf("count_over_time = %d, want 100", got)
	}
}

// TestTenantIsolationOnEveryEndpoint: tenant B sees nothing of tenant A on any query endpoint,
// the live tail included, whether A's data is on the bus or in storage.
func TestTenantIsolationOnEveryEndpoint(t *testing.T) {
	p := startJetlog(t, t.TempDir())
	base := time.Now().Add(-time.Minute)
	p.pushProto(t, "tenant-a", map[string][]line{`{job="secret", team="a"}`: seqLines("confidential", base, 10)})
	p.pushProto(t, "tenant-b", map[string][]line{`{job="public"}`: seqLines("open", base, 1)})
	start := strconv.FormatInt(base.Add(-time.Hour).UnixNano(), 10)
	end := strconv.FormatInt(base.Add(time.Hour).UnixNano(), 10)
	rng := url.Values{"start": {start}, "end": {end}}
	with := func(v url.Values, kv ...string) string {
		out := url.Values{}
		for k, vs := range v {
			out[k] = vs
		}
		for i := 0; i < len(kv); i += 2 {
			out.Set(kv[i], kv[i+1])
		}
		return out.Encode()
	}
	endpoints := []string{
		"/loki/api/v1/query_range?" + with(rng, "query", `{job=~".+"}`),
		"/loki/api/v1/query_range?" + with(rng, "query", `sum by (job, team) (count_over_time({job=~".+"}[1h]))`, "step", "60"),
		"/loki/api/v1/query?" + with(url.Values{"time": {end}}, "query", `sum by (job, team) (count_over_time({job=~".+"}[2h]))`),
		"/loki/api/v1/labels?" + rng.Encode(),
		"/loki/api/v1/label/job/values?" + rng.Encode(),
		"/loki/api/v1/label/team/values?" + rng.Encode(),
		"/loki/api/v1/series?" + with(rng, "match[]", `{job=~".+"}`),
		"/loki/api/v1/index/stats?" + with(rng, "query", `{job=~".+"}`),
		"/loki/api/v1/index/volume?" + with(rng, "query", `{job=~".+"}`),
		"/loki/api/v1/detected_labels?" + with(rng, "query", `{job=~".+"}`),
		"/loki/api/v1/detected_fields?" + with(rng, "query", `{job=~".+"}`),
	}
	check := func(stage string) {
		for _, ep := range endpoints {
			st, body := do(t, "GET", p.URL+ep, "tenant-b", nil, nil)
			if st != 200 {
				t.Fatalf("%s %s: HTTP %d %s", stage, ep, st, body)
			}
			for _, leak := range []string{"secret", "confidential", `"team"`} {
				if strings.Contains(string(body), leak) {
					t.Fatalf("%s: tenant-b sees %q of tenant-a on %s:\n%s", stage, leak, ep, body)
				}
			}
			if strings.Contains(ep, "query_range?") && !strings.Contains(string(body), "public") {
				t.Fatalf("%s: tenant-b does not see its own data on %s: %s", stage, ep, body)
			}
		}
	}
	// The live tail: tenant-b's backfill and new entries are its own only.
	checkTail := func(stage string) {
		c := p.tail(t, "tenant-b", url.Values{"query": {`{job=~".+"}`}, "start": {start}})
		got := c.next(1, 10*time.Second)
		now := time.Now()
		p.pushProto(t, "tenant-a", map[string][]line{`{job="secret", team="a"}`: {{ts: now, text: "confidential live " + stage}}})
		p.pushProto(t, "tenant-b", map[string][]line{`{job="public"}`: {{ts: now.Add(time.Millisecond), text: "open live " + stage}}})
		for !strings.Contains(got[len(got)-1], "open live "+stage) {
			got = append(got, c.next(1, 10*time.Second)...)
		}
		for _, e := range got {
			for _, leak := range []string{"secret", "confidential", "team="} {
				if strings.Contains(e, leak) {
					t.Fatalf("%s: tenant-b's tail sees %q of tenant-a: %q", stage, leak, got)
				}
			}
		}
		if !strings.Contains(got[0], "open-000000") {
			t.Fatalf("%s: tenant-b's tail does not see its own entries: %q", stage, got)
		}
		c.conn.Close()
	}
	check("on the bus")
	checkTail("on the bus")
	if st, b := do(t, "POST", p.URL+"/flush", "", nil, nil); st != 204 {
		t.Fatalf("flush: %d %s", st, b)
	}
	check("in storage")
	checkTail("in storage")
}
