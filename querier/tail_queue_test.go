package querier

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jetlog/jetlog/logql"
)

func TestTailQueue(t *testing.T) {
	now := time.Unix(1795172400, 0)
	ls := lbls("app", "api")
	push := func(q *tailQueue, ts time.Time, line string) bool {
		return q.push(ls, ls.String(), logql.Entry{Timestamp: ts.UnixNano(), Line: line})
	}
	lines := func(es []tailEntry) string {
		var out []string
		for _, e := range es {
			out = append(out, e.e.Line)
		}
		return strings.Join(out, ",")
	}

	// Due entries leave in timestamp order (arrival order on ties), at most max at a time.
	q := newTailQueue(0)
	push(q, now.Add(-2*time.Second), "b")
	push(q, now.Add(-3*time.Second), "a")
	push(q, now.Add(-2*time.Second), "b2")
	push(q, now.Add(time.Second), "future")
	out, _, next := q.pop(now, 2)
	if lines(out) != "a,b" || !next.IsZero() {
		t.Fatalf("pop = %s next %v", lines(out), next)
	}
	out, _, next = q.pop(now, 10)
	if lines(out) != "b2" || !next.IsZero() {
		t.Fatalf("pop = %s next %v", lines(out), next)
	}
	// An entry is due only once now is past its timestamp plus the delay.
	out, _, next = q.pop(now, 10)
	if len(out) != 0 || !next.Equal(now.Add(time.Second)) {
		t.Fatalf("pop = %s next %v, want nothing until %v", lines(out), next, now.Add(time.Second))
	}

	q = newTailQueue(5 * time.Second)
	push(q, now.Add(-4*time.Second), "late by less than the delay")
	push(q, now.Add(-6*time.Second), "old enough")
	out, _, next = q.pop(now, 10)
	if lines(out) != "old enough" || !next.IsZero() {
		t.Fatalf("pop = %s", lines(out))
	}
	out, _, next = q.pop(now, 10)
	if len(out) != 0 || !next.Equal(now.Add(time.Second)) {
		t.Fatalf("pop = %s next %v", lines(out), next)
	}
	if out, _, _ = q.pop(now.Add(1001*time.Millisecond), 10); lines(out) != "late by less than the delay" {
		t.Fatalf("pop = %s", lines(out))
	}

	// Past its bound the queue drops, and the drops come with the next entries popped.
	q = newTailQueue(0)
	for i := 0; i < tailQueueEntries; i++ {
		if !push(q, now.Add(-time.Minute), "x") {
			t.Fatalf("entry %d dropped below the bound", i)
		}
	}
	for i := 0; i < tailDroppedEntries+10; i++ {
		if push(q, now.Add(-time.Duration(i)), "over") {
			t.Fatal("an entry past the bound was kept")
		}
	}
	out, dropped, _ := q.pop(now, 1)
	if len(out) != 1 || len(dropped) != tailDroppedEntries || dropped[0].ts != now.UnixNano() || dropped[0].labels.String() != ls.String() {
		t.Fatalf("pop: %d entries, %d dropped (first %+v)", len(out), len(dropped), dropped[0])
	}
	if _, dropped, _ = q.pop(now, 1); len(dropped) != 0 {
		t.Fatalf("drops reported twice: %d", len(dropped))
	}
	// The byte bound holds too.
	q = newTailQueue(0)
	big := strings.Repeat("y", tailQueueBytes/4)
	n := 0
	for push(q, now, big) {
		n++
	}
	if n != 3 {
		t.Fatalf("%d entries of a quarter of the byte bound kept, want 3", n)
	}
}

// TestTailFrame: frames are Loki's v1 tail response: "dropped_entries" only when some were,
// entries in order, runs of one stream's entries in one stream object.
func TestTailFrame(t *testing.T) {
	a, b := lbls("app", "a"), lbls("app", "b", "env", "x\"y")
	te := func(ls string, ts int64, line string) tailEntry {
		l := a
		if ls == "b" {
			l = b
		}
		return tailEntry{labels: l, key: l.String(), e: logql.Entry{Timestamp: ts, Line: line}}
	}
	f := func(es []tailEntry, ds []droppedEntry, want string) {
		t.Helper()
		got := string(appendTailFrame(nil, es, ds, false))
		if got != want {
			t.Fatalf("frame\n%s\nwant\n%s", got, want)
		}
		if !json.Valid([]byte(got)) {
			t.Fatalf("not JSON: %s", got)
		}
	}
	f([]tailEntry{te("a", 1, "one")}, nil, `{"streams":[{"stream":{"app":"a"},"values":[["1","one"]]}]}`)
	f([]tailEntry{te("a", 1, "one"), te("a", 2, "two"), te("b", 3, "t\n3"), te("a", 4, "four")},
		[]droppedEntry{{ts: 7, labels: b}, {ts: 8}},
		fmt.Sprint(`{"streams":[{"stream":{"app":"a"},"values":[["1","one"],["2","two"]]},`,
			`{"stream":{"app":"b","env":"x\"y"},"values":[["3","t\n3"]]},{"stream":{"app":"a"},"values":[["4","four"]]}],`,
			`"dropped_entries":[{"timestamp":"7","labels":{"app":"b","env":"x\"y"}},{"timestamp":"8"}]}`))
	f(nil, nil, `{"streams":[]}`)
}
