package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// wsTail is a live tail client, as logcli --tail and Grafana's Live mode open one.
type wsTail struct {
	t    *testing.T
	conn *websocket.Conn
}

// dialTail opens /loki/api/v1/tail; on a refused handshake it returns the HTTP answer.
func (p *proc) dialTail(t *testing.T, tenant string, params url.Values) (*wsTail, int, string) {
	t.Helper()
	h := http.Header{}
	if tenant != "" {
		h.Set("X-Scope-OrgID", tenant)
	}
	d := websocket.Dialer{HandshakeTimeout: 10 * time.Second}
	conn, resp, err := d.Dial("ws://"+p.addr+"/loki/api/v1/tail?"+params.Encode(), h)
	if err != nil {
		if resp == nil {
			t.Fatalf("dial tail: %v", err)
		}
		b, _ := io.ReadAll(resp.Body)
		return nil, resp.StatusCode, string(b)
	}
	t.Cleanup(func() { conn.Close() })
	return &wsTail{t: t, conn: conn}, http.StatusSwitchingProtocols, ""
}

func (p *proc) tail(t *testing.T, tenant string, params url.Values) *wsTail {
	t.Helper()
	c, st, body := p.dialTail(t, tenant, params)
	if c == nil {
		t.Fatalf("tail %v: HTTP %d %s", params, st, body)
	}
	return c
}

// next reads frames until n entries came ("labels|ts|line", labels sorted, as Loki writes
// them), failing after timeout.
func (c *wsTail) next(n int, timeout time.Duration) []string {
	c.t.Helper()
	deadline := time.Now().Add(timeout)
	var out []string
	for len(out) < n {
		_ = c.conn.SetReadDeadline(deadline)
		_, b, err := c.conn.ReadMessage()
		if err != nil {
			c.t.Fatalf("tail: %d of %d entries %q, then %v", len(out), n, out, err)
		}
		var f struct {
			Streams []struct {
				Stream map[string]string `json:"stream"`
				Values [][2]string       `json:"values"`
			} `json:"streams"`
			Dropped []json.RawMessage `json:"dropped_entries"`
		}
		if err := json.Unmarshal(b, &f); err != nil {
			c.t.Fatalf("tail frame %s: %v", b, err)
		}
		if len(f.Dropped) > 0 {
			c.t.Fatalf("entries dropped: %s", b)
		}
		for _, s := range f.Streams {
			var kv []string
			for k, v := range s.Stream {
				kv = append(kv, k+"="+v)
			}
			sort.Strings(kv)
			for _, v := range s.Values {
				out = append(out, strings.Join(kv, ",")+"|"+v[0]+"|"+v[1])
			}
		}
	}
	return out
}

func ns(t time.Time) string { return strconv.FormatInt(t.UnixNano(), 10) }

// TestTail: logcli's and Grafana's live tail against the binary. A tail first sends the last
// limit matching entries since start, oldest first, then exactly the new entries of its own
// tenant that pass the query's line filter and json/logfmt stages, with the parsed labels, in
// order. Refusals are Loki's HTTP errors; closed tails release their followers; SIGTERM
// closes open tails with "going away" and the process exits 0.
func TestTail(t *testing.T) {
	p := startJetlog(t, t.TempDir())
	base := time.Now().Add(-5 * time.Minute).Truncate(time.Millisecond)
	at := func(i int) time.Time { return base.Add(time.Duration(i) * time.Millisecond) }
	p.pushProto(t, "team-a", map[string][]line{`{job="api", env="prod"}`: {
		{ts: at(0), text: `{"level":"error","msg":"old 1"}`},
		{ts: at(1), text: `{"level":"info","msg":"old info"}`},
		{ts: at(2), text: `{"level":"error","msg":"old 2"}`},
		{ts: at(3), text: `{"level":"error","msg":"old 3"}`},
	}})
	p.pushProto(t, "team-b", map[string][]line{`{job="api", env="prod"}`: {{ts: at(4), text: `{"level":"error","msg":"b's old"}`}}})

	start := ns(base.Add(-time.Minute))
	jsonQ := `{job="api"} |= "error" | json | level="error"`
	a := p.tail(t, "team-a", url.Values{"query": {jsonQ}, "limit": {"2"}, "start": {start}})
	want := []string{
		`env=prod,job=api,level=error,msg=old 2,service_name=api|` + ns(at(2)) + `|{"level":"error","msg":"old 2"}`,
		`env=prod,job=api,level=error,msg=old 3,service_name=api|` + ns(at(3)) + `|{"level":"error","msg":"old 3"}`,
	}
	if got := a.next(2, 10*time.Second); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("backfill:\n%q\nwant\n%q", got, want)
	}
	logfmt := p.tail(t, "team-a", url.Values{"query": {`{job="worker"} | logfmt | status >= 500`}})
	b := p.tail(t, "team-b", url.Values{"query": {`{job=~".+"}`}, "start": {start}})
	if got := b.next(1, 10*time.Second); len(got) != 1 || !strings.Contains(got[0], "b's old") {
		t.Fatalf("team-b backfill %q", got)
	}
	if v := metricValue(t, p, "loki_querier_tail_active"); v != 3 {
		t.Fatalf("loki_querier_tail_active = %v, want 3", v)
	}
	if v := metricValue(t, p, "jetlog_bus_followers"); v != 3 {
		t.Fatalf("jetlog_bus_followers = %v, want 3", v)
	}

	now := time.Now()
	nt := func(i int) time.Time { return now.Add(time.Duration(i) * time.Millisecond) }
	p.pushProto(t, "team-a", map[string][]line{`{job="api", env="prod"}`: {
		{ts: nt(0), text: `{"level":"error","msg":"new 1"}`},
		{ts: nt(1), text: `{"level":"info","msg":"error in the text, not the level"}`},
		{ts: nt(2), text: `no json error`},
		{ts: nt(3), text: `{"level":"error","msg":"new 2"}`},
	}})
	p.pushProto(t, "team-b", map[string][]line{`{job="api", env="prod"}`: {{ts: nt(4), text: `{"level":"error","msg":"b's new"}`}}})
	p.pushProto(t, "team-a", map[string][]line{
		`{job="worker"}`:             {{ts: nt(5), text: `status=503 path=/a`}, {ts: nt(6), text: `status=200 path=/b`}, {ts: nt(7), text: `status=500 path=/c`}},
		`{job="api", env="staging"}`: {{ts: nt(8), text: `{"level":"error","msg":"new 3"}`}},
	})
	want = []string{
		`env=prod,job=api,level=error,msg=new 1,service_name=api|` + ns(nt(0)) + `|{"level":"error","msg":"new 1"}`,
		`env=prod,job=api,level=error,msg=new 2,service_name=api|` + ns(nt(3)) + `|{"level":"error","msg":"new 2"}`,
		`env=staging,job=api,level=error,msg=new 3,service_name=api|` + ns(nt(8)) + `|{"level":"error","msg":"new 3"}`,
	}
	if got := a.next(3, 10*time.Second); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("team-a json tail:\n%q\nwant\n%q", got, want)
	}
	want = []string{
		`job=worker,path=/a,service_name=worker,status=503|` + ns(nt(5)) + `|status=503 path=/a`,
		`job=worker,path=/c,service_name=worker,status=500|` + ns(nt(7)) + `|status=500 path=/c`,
	}
	if got := logfmt.next(2, 10*time.Second); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("team-a logfmt tail:\n%q\nwant\n%q", got, want)
	}
	if got := b.next(1, 10*time.Second); len(got) != 1 || got[0] != `env=prod,job=api,service_name=api|`+ns(nt(4))+`|{"level":"error","msg":"b's new"}` {
		t.Fatalf("team-b tail %q", got)
	}

	refuse := func(tenant string, params url.Values, status int, body string) {
		t.Helper()
		c, st, got := p.dialTail(t, tenant, params)
		if c != nil || st != status || got != body {
			t.Fatalf("tail %v as %q: HTTP %d %q, want %d %q", params, tenant, st, got, status, body)
		}
	}
	refuse("team-a", url.Values{"query": {jsonQ}, "delay_for": {"6"}}, 400, "delay_for can't be greater than 5")
	refuse("team-a", url.Values{"query": {`count_over_time({job="api"}[1m])`}}, 400, "only log selector is supported")
	refuse("team/a", url.Values{"query": {jsonQ}}, 400, "tenant ID 'team/a' contains unsupported character '/'")
	refuse("", url.Values{"query": {jsonQ}}, 401, "no org id")

	_ = logfmt.conn.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""))
	logfmt.conn.Close()
	b.conn.Close()
	deadline := time.Now().Add(10 * time.Second)
	for metricValue(t, p, "loki_querier_tail_active") != 1 || metricValue(t, p, "jetlog_bus_followers") != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("closed tails not released: %v tails, %v followers", metricValue(t, p, "loki_querier_tail_active"), metricValue(t, p, "jetlog_bus_followers"))
		}
		time.Sleep(50 * time.Millisecond)
	}

	// The next thing team-a's tail gets is the close at SIGTERM: no entry came that it
	// should not have seen.
	p.term() // fails unless the process exits 0 in time
	_ = a.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, b, err := a.conn.ReadMessage(); !websocket.IsCloseError(err, websocket.CloseGoingAway) {
		t.Fatalf("open tail at SIGTERM: frame %s, error %v; want a going-away close", b, err)
	}
}
