package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/grafana/loki/pkg/push"
	"github.com/klauspost/compress/s2"

	"github.com/jetlog/jetlog/internal/testutil"
	"github.com/jetlog/jetlog/logql"
	"github.com/jetlog/jetlog/schemas"
	"github.com/jetlog/jetlog/schemas/labels"
	"github.com/jetlog/jetlog/store"
)

// TestFollowLogs: FollowLogs delivers the new entries of the matching streams of one tenant,
// with their metadata, in push order, and skips an undecodable message whole.
func TestFollowLogs(t *testing.T) {
	e := newEnv(t)
	e.publish(t, "t1", `{app="api"}`, entry(1, "before the follow"))
	var mu sync.Mutex
	var got []string
	ctx, cancel := context.WithCancel(context.Background())
	follow, err := e.store.FollowLogs(ctx, "t1", []*labels.Matcher{labels.MustNewMatcher(labels.MatchRegexp, "app", "api|web")}, func(b *logql.Batch) error {
		mu.Lock()
		defer mu.Unlock()
		for _, en := range b.Entries {
			got = append(got, fmt.Sprintf("%s %d %s %s", b.Labels, en.Timestamp, en.Line, en.Metadata))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- follow() }()
	e.publish(t, "t1", `{app="api"}`, entry(5, "one"), push.Entry{Timestamp: time.Unix(0, 3), Line: "two",
		StructuredMetadata: push.LabelsAdapter{{Name: "trace", Value: "x"}}})
	e.publish(t, "t1", `{app="db"}`, entry(6, "not matched"))
	e.publish(t, "t2", `{app="api"}`, entry(7, "other tenant"))
	// A message that does not decode: a matching stream, then a truncated field. None of it
	// may be delivered.
	p := schemas.Partition("t1", `{app="api"}`, e.bus.Partitions())
	bad, _, err := schemas.EncodeBatch("t1", p, []push.Stream{{Labels: `{app="api"}`, Entries: []push.Entry{entry(4, "in a damaged message")}}})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := schemas.PushBytes(schemas.FormatPushSnappy, bad, nil)
	if err != nil {
		t.Fatal(err)
	}
	bad = s2.EncodeSnappy(nil, append(raw, 0x0a, 0x7f))
	if _, err := schemas.DecodeBatch(schemas.FormatPushSnappy, bad); err == nil {
		t.Fatal("the damaged payload decodes")
	}
	if err := e.bus.PublishAll(context.Background(), []schemas.Message{{Subject: schemas.Subject("t1", p), MsgID: "bad", Tenant: "t1", Partition: p, Payload: bad}}); err != nil {
		t.Fatal(err)
	}
	e.publish(t, "t1", `{app="web"}`, entry(2, "three"))
	want := fmt.Sprint([]string{`{app="api"} 5 one {}`, `{app="api"} 3 two {trace="x"}`, `{app="web"} 2 three {}`})
	testutil.Eventually(t, 10*time.Second, "three entries", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(got) >= 3
	})
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("follow: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if fmt.Sprint(got) != want {
		t.Fatalf("followed\n%s\nwant\n%s", fmt.Sprint(got), want)
	}
}

// TestFollowLogsNeedsBus: a store without a bus to follow says so.
func TestFollowLogsNeedsBus(t *testing.T) {
	st := newStore(t, tempBucket(t), testutil.Bus(t, 1), nil, nil)
	if _, err := st.FollowLogs(context.Background(), "t", nil, func(*logql.Batch) error { return nil }); !errors.Is(err, store.ErrNoFollower) {
		t.Fatalf("err = %v, want ErrNoFollower", err)
	}
}
