package logql

import (
	"container/heap"
	"context"
	"sort"

	"github.com/jetlog/jetlog/logql/syntax"
	"github.com/jetlog/jetlog/schemas/labels"
)

// evaluator is the state of one query evaluation.
type evaluator struct {
	e     *Engine
	p     Params
	steps []int64
	lines int64
	bytes int64
}

type candidate struct {
	ts      int64
	seq     int
	line    string
	key     string
	stream  labels.Labels
	md, prs labels.Labels
}

// topHeap keeps the limit entries first in the query's direction: its root is the entry that
// would be dropped next.
type topHeap struct {
	items    []candidate
	backward bool
}

func (h *topHeap) Len() int { return len(h.items) }
func (h *topHeap) Less(i, j int) bool {
	a, b := h.items[i], h.items[j]
	if a.ts != b.ts {
		if h.backward {
			return a.ts < b.ts
		}
		return a.ts > b.ts
	}
	return a.seq > b.seq
}
func (h *topHeap) Swap(i, j int) { h.items[i], h.items[j] = h.items[j], h.items[i] }
func (h *topHeap) Push(x any)    { h.items = append(h.items, x.(candidate)) }
func (h *topHeap) Pop() any {
	x := h.items[len(h.items)-1]
	h.items = h.items[:len(h.items)-1]
	return x
}

// worse reports whether an entry at ts would be dropped before the heap's root.
func (h *topHeap) worse(ts int64) bool {
	r := h.items[0].ts
	if h.backward {
		return ts <= r
	}
	return ts >= r
}

func (ev *evaluator) logs(ctx context.Context, sel *syntax.LogSelectorExpr) (Streams, error) {
	pl, err := newPipeline(sel)
	if err != nil {
		return nil, err
	}
	limit := ev.p.Limit
	if limit <= 0 {
		limit = 100
	}
	it, err := ev.e.q.SelectLogs(ctx, SelectParams{
		Tenant: ev.p.Tenant, Start: ev.p.Start.UnixNano(), End: ev.p.End.UnixNano(),
		Matchers: sel.Matchers, LineFilters: sel.PushdownLineFilters(),
		Direction: ev.p.Direction, Limit: limit,
	})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	rel, _ := it.(BatchReleaser)
	h := &topHeap{backward: ev.p.Direction == Backward}
	seq := 0
	for it.Next() {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		b := it.At()
		sp := pl.ForStream(b.Labels)
		for _, en := range b.Entries {
			ev.lines++
			ev.bytes += int64(len(en.Line))
			if h.Len() >= limit && h.worse(en.Timestamp) {
				continue
			}
			out, lbs, keep := sp.Process(en.Timestamp, en.Line, en.Metadata)
			if !keep {
				continue
			}
			seq++
			c := candidate{ts: en.Timestamp, seq: seq, line: string(out)}
			c.stream, c.md, c.prs = entryLabels(lbs, ev.p.CategorizeLabels)
			c.key = c.stream.String()
			if h.Len() < limit {
				heap.Push(h, c)
			} else {
				h.items[0] = c
				heap.Fix(h, 0)
			}
		}
		if rel != nil {
			rel.Release(b) // candidates hold copies
		}
	}
	if err := it.Err(); err != nil {
		return nil, err
	}
	byKey := map[string]*Stream{}
	for _, c := range h.items {
		s := byKey[c.key]
		if s == nil {
			s = &Stream{Labels: c.stream}
			byKey[c.key] = s
		}
		s.Entries = append(s.Entries, Entry{Timestamp: c.ts, Line: c.line, StructuredMetadata: c.md, Parsed: c.prs})
	}
	out := make(Streams, 0, len(byKey))
	for _, s := range byKey {
		es := s.Entries
		sort.SliceStable(es, func(i, j int) bool {
			if h.backward {
				return es[i].Timestamp > es[j].Timestamp
			}
			return es[i].Timestamp < es[j].Timestamp
		})
		out = append(out, *s)
	}
	sort.Slice(out, func(i, j int) bool { return labels.Compare(out[i].Labels, out[j].Labels) < 0 })
	return out, nil
}
