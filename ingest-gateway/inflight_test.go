package gateway

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/grafana/loki/pkg/push"
	"github.com/klauspost/compress/snappy"
)

func TestInflightPushBytesBounded(t *testing.T) {
	var lines []push.Entry
	for i := range 200 {
		lines = append(lines, entry(time.Duration(i), fmt.Sprintf("line %d %s", i, strings.Repeat("x", 100))))
	}
	body := protoBody(t, push.Stream{Labels: `{app="a"}`, Entries: lines})
	plain, err := snappy.Decode(nil, body)
	if err != nil {
		t.Fatal(err)
	}
	e := newTestEnv(t, func(c *Config) { c.MaxInflightPushBytes = int64(len(plain)) * 3 / 2 })
	e.pub.gate = make(chan struct{})
	first := make(chan int, 1)
	go func() {
		st, _, _ := e.postErr("/loki/api/v1/push", body, "Content-Type", "application/x-protobuf", "X-Scope-OrgID", "t1")
		first <- st
	}()
	// The first push holds its bytes while the bus is slow: a second one does not fit.
	var st int
	var msg string
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if e.g.inflight.cur.Load() > 0 {
			st, msg = e.post(t, "/loki/api/v1/push", body, "Content-Type", "application/x-protobuf", "X-Scope-OrgID", "t2")
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if st != http.StatusServiceUnavailable || !strings.Contains(msg, "-distributor.max-inflight-push-bytes") {
		t.Fatalf("second push while the first is in flight: %d %q, want 503 naming the limit", st, msg)
	}
	close(e.pub.gate)
	if st := <-first; st != http.StatusNoContent {
		t.Fatalf("first push: %d", st)
	}
	if got := e.g.inflight.cur.Load(); got != 0 {
		t.Fatalf("%d bytes still charged after every push returned", got)
	}
	if st, msg := e.post(t, "/loki/api/v1/push", body, "Content-Type", "application/x-protobuf", "X-Scope-OrgID", "t2"); st != http.StatusNoContent {
		t.Fatalf("retried push: %d %s", st, msg)
	}
	if got := e.pub.tenants(); len(got) != 2 {
		t.Fatalf("tenants published: %v, want t1 and t2 once each", got)
	}
}
