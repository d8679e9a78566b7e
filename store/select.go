package store

import (
	"bytes"
	"context"
	"fmt"
	"slices"

	"github.com/jetlog/jetlog/chunk"
	"github.com/jetlog/jetlog/logql"
	"github.com/jetlog/jetlog/logql/syntax"
	"github.com/jetlog/jetlog/schemas"
	"github.com/jetlog/jetlog/schemas/labels"
)

// streamAcc gathers one stream's entries from every source.
type streamAcc struct {
	labels  labels.Labels
	entries []logql.RawEntry
}

type collector struct {
	p       logql.SelectParams
	streams map[uint64]*streamAcc
	filter  func([]byte) bool
	lines   int64
	bytes   int64
}

func (c *collector) add(ls labels.Labels, hash uint64, ts int64, line []byte, md labels.Labels) {
	c.lines++
	c.bytes += int64(len(line))
	if c.filter != nil && !c.filter(line) {
		return
	}
	acc := c.streams[hash]
	if acc == nil {
		acc = &streamAcc{labels: ls}
		c.streams[hash] = acc
	}
	acc.entries = append(acc.entries, logql.RawEntry{Timestamp: ts, Line: bytes.Clone(line), Metadata: md})
}

// SelectLogs returns the tenant's entries matching p, exactly once each.
func (s *Store) SelectLogs(ctx context.Context, p logql.SelectParams) (logql.BatchIterator, error) {
	c := &collector{p: p, streams: map[uint64]*streamAcc{}, filter: prefilter(p.LineFilters)}
	if err := s.scan(ctx, p.Tenant, p.Start, p.End, p.Matchers, c.add); err != nil {
		return nil, err
	}
	s.m.linesScanned.Add(float64(c.lines))
	s.m.bytesScanned.Add(float64(c.bytes))
	batches := make([]*logql.Batch, 0, len(c.streams))
	for h, acc := range c.streams {
		es := acc.entries
		slices.SortFunc(es, func(a, b logql.RawEntry) int {
			if a.Timestamp != b.Timestamp {
				if a.Timestamp < b.Timestamp {
					return -1
				}
				return 1
			}
			return bytes.Compare(a.Line, b.Line)
		})
		// Exact duplicates (same stream, timestamp, line) are returned once, as Loki does.
		es = slices.CompactFunc(es, func(a, b logql.RawEntry) bool {
			return a.Timestamp == b.Timestamp && bytes.Equal(a.Line, b.Line)
		})
		batches = append(batches, &logql.Batch{Labels: acc.labels, Hash: h, Entries: es})
	}
	return &sliceIter{batches: batches}, nil
}

// scan calls fn for every entry of the tenant's streams matching ms with start <= ts < end,
// from visible objects and the bus tail after the checkpoints.
func (s *Store) scan(ctx context.Context, tenant string, start, end int64, ms []*labels.Matcher,
	fn func(ls labels.Labels, hash uint64, ts int64, line []byte, md labels.Labels)) error {
	sn, err := s.snapshot(ctx, tenant)
	if err != nil {
		return err
	}
	for _, seg := range sn.segments {
		if seg.idx.MaxT < start || seg.idx.MinT >= end {
			continue
		}
		var ords []int
		for i, st := range seg.idx.Streams {
			if st.MaxT >= start && st.MinT < end && labels.MatchLabels(st.Labels, ms...) {
				ords = append(ords, i)
			}
		}
		if len(ords) == 0 {
			continue
		}
		data, err := s.bucket.Get(ctx, schemas.DataKey(tenant, seg.id))
		if err != nil {
			return fmt.Errorf("read object %s: %w", seg.id, err)
		}
		s.m.objectsRead.Inc()
		s.m.objectBytes.Add(float64(len(data)))
		idx := seg.idx
		err = chunk.Read(data, idx, ords, start, end, func(ord int, ts int64, line []byte, md labels.Labels) error {
			st := &idx.Streams[ord]
			fn(st.Labels, st.Fingerprint, ts, line, md)
			return nil
		})
		if err != nil {
			s.m.corrupt.Inc()
			return fmt.Errorf("object %s: %w", seg.id, err)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	if s.tail == nil {
		return nil
	}
	return s.tail.ReadTail(ctx, tenant, sn.after, func(m schemas.TailMessage) error {
		req, err := schemas.DecodeBatch(m.Payload)
		if err != nil {
			s.m.corrupt.Inc()
			s.logger.Warn("undecodable bus message in tail", "seq", m.Seq, "err", err)
			return nil
		}
		for _, st := range req.Streams {
			ls, err := s.parseLabels(st.Labels)
			if err != nil || !labels.MatchLabels(ls, ms...) {
				continue
			}
			h := ls.Hash()
			for _, e := range st.Entries {
				ts := e.Timestamp.UnixNano()
				if ts < start || ts >= end {
					continue
				}
				var md labels.Labels
				if len(e.StructuredMetadata) > 0 {
					md = make(labels.Labels, len(e.StructuredMetadata))
					for i, l := range e.StructuredMetadata {
						md[i] = labels.Label{Name: l.Name, Value: l.Value}
					}
					md = labels.New(md...)
				}
				fn(ls, h, ts, []byte(e.Line), md)
			}
		}
		return nil
	})
}

// prefilter turns leading |= filters (plain substrings) into a cheap scan-time check. It may
// only drop lines that the engine's pipeline would drop too.
func prefilter(fs []syntax.LineFilter) func([]byte) bool {
	var needles [][][]byte
	for _, f := range fs {
		if f.Op != syntax.LineContains || f.IP || len(f.Values) == 0 {
			continue
		}
		var alts [][]byte
		for _, v := range f.Values {
			alts = append(alts, []byte(v))
		}
		needles = append(needles, alts)
	}
	if len(needles) == 0 {
		return nil
	}
	return func(line []byte) bool {
		for _, alts := range needles {
			ok := false
			for _, a := range alts {
				if bytes.Contains(line, a) {
					ok = true
					break
				}
			}
			if !ok {
				return false
			}
		}
		return true
	}
}

type sliceIter struct {
	batches []*logql.Batch
	i       int
}

func (it *sliceIter) Next() bool {
	if it.i >= len(it.batches) {
		return false
	}
	it.i++
	return true
}
func (it *sliceIter) At() *logql.Batch { return it.batches[it.i-1] }
func (it *sliceIter) Err() error       { return nil }
func (it *sliceIter) Close() error     { it.batches = nil; return nil }
