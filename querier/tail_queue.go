package querier

import (
	"container/heap"
	"sync"
	"time"

	"github.com/jetlog/jetlog/logql"
	"github.com/jetlog/jetlog/schemas/labels"
)

// Bounds of one live tail, after Loki's querier (pkg/querier/tail): a frame holds at most
// 100 entries, and at most 1000 dropped entries are reported with the next frame (further
// drops are only counted). jetlog holds up to tailQueueEntries entries or tailQueueBytes of
// lines waiting to be sent: that covers delay_for at a few thousand lines a second, and a
// client that cannot keep up loses entries (reported in dropped_entries) instead of this
// process's memory growing.
const (
	tailFrameEntries   = 100
	tailDroppedEntries = 1000
	tailQueueEntries   = 10000
	tailQueueBytes     = 16 << 20
)

// tailEntry is one entry waiting to be sent, with the labels it is sent under.
type tailEntry struct {
	labels labels.Labels
	key    string // labels.String(): groups frames and names dropped entries
	e      logql.Entry
	seq    uint64 // arrival order, which breaks timestamp ties
}

func (e *tailEntry) size() int { return len(e.e.Line) + len(e.key) }

// droppedEntry is what Loki reports of an entry it could not send: time and labels.
type droppedEntry struct {
	ts     int64
	labels labels.Labels
}

// tailQueue holds a tail's entries until they are due: an entry is due once it is older than
// the tail's delay (now > timestamp + delay, Loki's rule), and due entries leave in timestamp
// order, so entries that arrive late by less than the delay are sent in order. push and pop
// may be called from different goroutines.
type tailQueue struct {
	delay time.Duration
	wake  chan struct{} // signalled by push, capacity 1

	mu      sync.Mutex
	h       entryHeap
	bytes   int
	seq     uint64
	dropped []droppedEntry // to report with the next frame
}

func newTailQueue(delay time.Duration) *tailQueue {
	return &tailQueue{delay: delay, wake: make(chan struct{}, 1)}
}

// push adds an entry, or drops it when the queue is full; it reports whether it was kept.
func (q *tailQueue) push(ls labels.Labels, key string, e logql.Entry) bool {
	q.mu.Lock()
	te := tailEntry{labels: ls, key: key, e: e, seq: q.seq}
	q.seq++
	kept := q.h.Len() < tailQueueEntries && q.bytes+te.size() <= tailQueueBytes
	if kept {
		heap.Push(&q.h, te)
		q.bytes += te.size()
	} else if len(q.dropped) < tailDroppedEntries {
		q.dropped = append(q.dropped, droppedEntry{ts: e.Timestamp, labels: ls})
	}
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
	return kept
}

// pop removes up to max due entries, in timestamp order, and returns them with the drops
// recorded since the last pop that returned entries. When nothing is due, next is when the
// first waiting entry will be (zero when none waits).
func (q *tailQueue) pop(now time.Time, max int) (out []tailEntry, dropped []droppedEntry, next time.Time) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(out) < max && q.h.Len() > 0 {
		top := &q.h.items[0]
		if due := time.Unix(0, top.e.Timestamp).Add(q.delay); !now.After(due) {
			next = due
			break
		}
		te := heap.Pop(&q.h).(tailEntry)
		q.bytes -= te.size()
		out = append(out, te)
	}
	if len(out) > 0 {
		dropped, q.dropped = q.dropped, nil
		next = time.Time{}
	}
	return out, dropped, next
}

type entryHeap struct{ items []tailEntry }

func (h *entryHeap) Len() int { return len(h.items) }
func (h *entryHeap) Less(i, j int) bool {
	a, b := &h.items[i], &h.items[j]
	if a.e.Timestamp != b.e.Timestamp {
		return a.e.Timestamp < b.e.Timestamp
	}
	return a.seq < b.seq
}
func (h *entryHeap) Swap(i, j int) { h.items[i], h.items[j] = h.items[j], h.items[i] }
func (h *entryHeap) Push(x any)    { h.items = append(h.items, x.(tailEntry)) }
func (h *entryHeap) Pop() any {
	n := len(h.items) - 1
	x := h.items[n]
	h.items[n] = tailEntry{}
	h.items = h.items[:n]
	return x
}
