// Package logqltest holds an in-memory logql.Querier that keeps the storage contract of
// logql/storage.go (matchers, time range, exact duplicates returned once), for engine tests.
package logqltest

import (
	"context"
	"slices"

	"github.com/jetlog/jetlog/internal/minutes"
	"github.com/jetlog/jetlog/logql"
	"github.com/jetlog/jetlog/schemas/labels"
)

// Querier stores streams per tenant in memory.
type Querier struct {
	tenants map[string]map[uint64]*logql.Batch
}

// New returns an empty Querier.
func New() *Querier { return &Querier{tenants: map[string]map[uint64]*logql.Batch{}} }

// Add appends entries to a tenant's stream.
func (q *Querier) Add(tenant string, ls labels.Labels, entries ...logql.RawEntry) {
	ss := q.tenants[tenant]
	if ss == nil {
		ss = map[uint64]*logql.Batch{}
		q.tenants[tenant] = ss
	}
	h := ls.Hash()
	b := ss[h]
	if b == nil {
		b = &logql.Batch{Labels: ls, Hash: h}
		ss[h] = b
	}
	b.Entries = append(b.Entries, entries...)
}

// SelectLogs implements logql.Querier.
func (q *Querier) SelectLogs(_ context.Context, p logql.SelectParams) (logql.BatchIterator, error) {
	var out []*logql.Batch
	for _, b := range q.tenants[p.Tenant] {
		if !labels.MatchLabels(b.Labels, p.Matchers...) || (len(p.Streams) > 0 && !slices.Contains(p.Streams, b.Hash)) {
			continue
		}
		es := entriesIn(b, p.Start, p.End)
		for i := range es {
			// Leave out what the engine said it will not read, as storage may, so that
			// engine tests catch a projection that drops something a query needs.
			if p.Omit&logql.OmitLine != 0 {
				es[i].Size, es[i].Line = len(es[i].Line), nil
			}
			if p.Omit&logql.OmitMetadata != 0 {
				es[i].Metadata = nil
			}
		}
		if len(es) > 0 {
			out = append(out, &logql.Batch{Labels: b.Labels, Hash: b.Hash, Entries: es})
		}
	}
	return &iter{batches: out}, nil
}

// entriesIn returns b's entries with start <= ts < end, ordered, exact duplicates once.
func entriesIn(b *logql.Batch, start, end int64) []logql.RawEntry {
	var es []logql.RawEntry
	for _, e := range b.Entries {
		if e.Timestamp >= start && e.Timestamp < end {
			es = append(es, e)
		}
	}
	return logql.SortDedup(es)
}

// CountMinutes implements logql.MinuteCounter, as storage answering from an index would:
// streams with structured metadata in the range are left to be read.
func (q *Querier) CountMinutes(_ context.Context, p logql.CountParams) (*logql.MinuteCountResult, error) {
	const minute = minutes.Nanos
	n := p.Through - p.From + 1
	res := &logql.MinuteCountResult{}
	for _, b := range q.tenants[p.Tenant] {
		if !labels.MatchLabels(b.Labels, p.Matchers...) {
			continue
		}
		es := entriesIn(b, p.From*minute+p.Offset, (p.Through+1)*minute+p.Offset)
		if len(es) == 0 {
			continue
		}
		mc := logql.MinuteCounts{Labels: b.Labels, Hash: b.Hash, Entries: make([]int64, n), Bytes: make([]int64, n),
			StartEntries: make([]int64, n), StartBytes: make([]int64, n)}
		rest := false
		for _, e := range es {
			if len(e.Metadata) > 0 {
				rest = true
				break
			}
			t := e.Timestamp - p.Offset
			i := minutes.Of(t) - p.From
			mc.Entries[i]++
			mc.Bytes[i] += int64(len(e.Line))
			if t%minute == 0 {
				mc.StartEntries[i]++
				mc.StartBytes[i] += int64(len(e.Line))
			}
		}
		if rest {
			res.Rest = append(res.Rest, b.Hash)
			continue
		}
		res.Streams = append(res.Streams, mc)
	}
	return res, nil
}

type iter struct {
	batches []*logql.Batch
	cur     *logql.Batch
}

func (it *iter) Next() bool {
	if len(it.batches) == 0 {
		return false
	}
	it.cur, it.batches = it.batches[0], it.batches[1:]
	return true
}
func (it *iter) At() *logql.Batch { return it.cur }
func (it *iter) Err() error       { return nil }
func (it *iter) Close() error     { return nil }
