package store

import (
	"cmp"
	"context"
	"slices"
	"sync"

	"github.com/jetlog/jetlog/chunk"
	"github.com/jetlog/jetlog/internal/minutes"
	"github.com/jetlog/jetlog/internal/parallel"
	"github.com/jetlog/jetlog/logql"
	"github.com/jetlog/jetlog/schemas/labels"
)

const minuteNs = minutes.Nanos

// maxCountCells bounds the streams times minutes that CountMinutes holds counts for (four
// int64 each: 64 MB); past it, it says it cannot count and the engine reads the entries.
var maxCountCells = int64(2 << 20)

// streamCount is one stream's counts while CountMinutes gathers them.
type streamCount struct {
	mc     logql.MinuteCounts
	ivs    [][2]int64 // time ranges of its sources, to find overlaps
	parts  []part     // its object sources, in the counted range
	tail   []logql.RawEntry
	unsure bool
}

// CountMinutes implements logql.MinuteCounter from the index segments' per-minute counts
// (version 2: with minute starts and metadata row counts) and the bus tail. Minutes shifted
// by an Offset are counted from the objects' timestamp and size columns instead, without
// handing rows to the engine. A stream is left to be read (Rest) when an index cannot count
// it or when it has structured metadata. Where two of a stream's sources overlap in time, an
// exact duplicate could be counted twice: the rows there are read (timestamps, and lines only
// where two sources share a timestamp) and the duplicates taken off the counts.
func (s *Store) CountMinutes(ctx context.Context, p logql.CountParams) (*logql.MinuteCountResult, error) {
	sn, err := s.sharedSnapshot(ctx, p.Tenant)
	if err != nil {
		return nil, err
	}
	n := p.Through - p.From + 1
	if n <= 0 {
		return &logql.MinuteCountResult{}, nil
	}
	if n > maxCountCells {
		return nil, nil // the engine reads instead
	}
	start, end := p.From*minuteNs+p.Offset, (p.Through+1)*minuteNs+p.Offset
	// minute returns ts's minute (an index of the counts) and whether ts is its first moment.
	minute := func(ts int64) (int64, bool) {
		m := minutes.Of(ts - p.Offset)
		return m - p.From, ts == m*minuteNs+p.Offset
	}
	counts := map[uint64]*streamCount{}
	tooMany := false // streams times minutes past maxCountCells
	get := func(ls labels.Labels, h uint64) *streamCount {
		c := counts[h]
		if c == nil {
			if tooMany = tooMany || int64(len(counts)+1)*n > maxCountCells; tooMany {
				return nil
			}
			c = &streamCount{mc: logql.MinuteCounts{Labels: ls, Hash: h, Entries: make([]int64, n), Bytes: make([]int64, n),
				StartEntries: make([]int64, n), StartBytes: make([]int64, n)}}
			counts[h] = c
		}
		return c
	}
	for si := range sn.segments {
		seg := &sn.segments[si]
		if seg.idx.MaxT < start || seg.idx.MinT >= end {
			continue
		}
		for i := range seg.idx.Streams {
			st := &seg.idx.Streams[i]
			if st.MaxT < start || st.MinT >= end || !labels.MatchLabels(st.Labels, p.Matchers...) {
				continue
			}
			c := get(st.Labels, st.Fingerprint)
			if c == nil {
				return nil, nil // too many to count: the engine reads instead
			}
			c.ivs = append(c.ivs, [2]int64{max(st.MinT, start), min(st.MaxT, end-1)})
			c.parts = append(c.parts, part{seg: seg, ord: i, minT: max(st.MinT, start), maxT: min(st.MaxT, end-1)})
			if seg.idx.Version < 2 || st.MetadataRows > 0 {
				c.unsure = true
				continue
			}
			if p.Offset != 0 {
				continue // counted from its rows below
			}
			for _, m := range st.Minutes {
				if i := m[0] - p.From; i >= 0 && i < n {
					c.mc.Entries[i] += m[1]
					c.mc.Bytes[i] += m[2]
				}
			}
			for _, m := range st.MinuteStarts {
				if i := m[0] - p.From; i >= 0 && i < n {
					c.mc.StartEntries[i] += m[1]
					c.mc.StartBytes[i] += m[2]
				}
			}
		}
	}
	if s.tail != nil {
		tails := map[uint64][]logql.RawEntry{}
		orders := map[uint64]*busOrder{}
		err := s.readTail(ctx, p.Tenant, sn.after, start, end, p.Matchers, nil, func(e *tailEntry) {
			c := get(e.ls, e.hash)
			if c == nil {
				return
			}
			if len(e.md) > 0 {
				c.unsure = true
			}
			o := orders[e.hash]
			if o == nil {
				o = &busOrder{}
				orders[e.hash] = o
			}
			o.mark(e.seq, len(tails[e.hash]))
			tails[e.hash] = append(tails[e.hash], logql.RawEntry{Timestamp: e.ts, Line: e.line})
		})
		if err != nil {
			return nil, err
		}
		for h, es := range tails {
			c := counts[h]
			es = logql.SortDedup(orders[h].apply(es))
			c.tail = es
			c.ivs = append(c.ivs, [2]int64{es[0].Timestamp, es[len(es)-1].Timestamp})
			for _, e := range es {
				c.add(minute, e.Timestamp, 1, int64(len(e.Line)))
			}
		}
	}
	if tooMany {
		return nil, nil
	}
	if p.Offset != 0 {
		if err := s.countRows(ctx, p.Tenant, counts, start, end, minute); err != nil {
			return nil, err
		}
	}
	overlapping := map[*streamCount][][2]int64{} // a stream's windows held by two sources
	for _, c := range counts {
		if ws := overlapWindows(c.ivs); !c.unsure && len(ws) > 0 {
			overlapping[c] = ws
		}
	}
	if err := s.dropDuplicates(ctx, p.Tenant, overlapping, minute); err != nil {
		return nil, err
	}
	res := &logql.MinuteCountResult{}
	for h, c := range counts {
		if c.unsure {
			res.Rest = append(res.Rest, h)
			continue
		}
		res.Streams = append(res.Streams, c.mc)
	}
	s.m.countedStreams.Add(float64(len(res.Streams)))
	return res, nil
}

// add counts n entries of size bytes at ts (n < 0 takes them off), by minute's index.
func (c *streamCount) add(minute func(int64) (int64, bool), ts, n, size int64) {
	i, first := minute(ts)
	c.mc.Entries[i] += n
	c.mc.Bytes[i] += n * size
	if first {
		c.mc.StartEntries[i] += n
		c.mc.StartBytes[i] += n * size
	}
}

// overlapWindows returns the moments that two or more of the intervals (both ends included)
// hold, as disjoint intervals, ascending.
func overlapWindows(ivs [][2]int64) [][2]int64 {
	ivs = slices.Clone(ivs)
	slices.SortFunc(ivs, func(a, b [2]int64) int { return cmp.Compare(a[0], b[0]) })
	var out [][2]int64
	var reach int64 // the furthest end of the intervals before i
	for i, iv := range ivs {
		if i == 0 {
			reach = iv[1]
			continue
		}
		lo, hi := iv[0], min(iv[1], reach)
		reach = max(reach, iv[1])
		if lo > hi {
			continue
		}
		if k := len(out) - 1; k >= 0 && lo <= out[k][1]+1 {
			out[k][1] = max(out[k][1], hi)
			continue
		}
		out = append(out, [2]int64{lo, hi})
	}
	return out
}

// dropDuplicates takes the exact duplicates of each stream off its counts. A duplicate has
// its copies in two sources (objects are de-duplicated when built, the tail when read) at
// one timestamp, which lies where the sources overlap: the timestamps there are read from
// each object, and lines only for a timestamp that two sources have.
func (s *Store) dropDuplicates(ctx context.Context, tenant string, wins map[*streamCount][][2]int64, minute func(int64) (int64, bool)) error {
	if len(wins) == 0 {
		return nil
	}
	type key struct {
		c  *streamCount
		ts int64
	}
	var overlaps windowReads
	for c, ws := range wins {
		for _, pt := range c.parts {
			for _, w := range ws {
				if w[1] >= pt.minT && w[0] <= pt.maxT {
					overlaps.add(c, pt, w[0], w[1]+1)
				}
			}
		}
	}
	// Which sources have each timestamp of the overlaps: objects by segment, the tail as nil.
	var mu sync.Mutex
	sources := map[key][]*segment{}
	add := func(k key, seg *segment) {
		if !slices.Contains(sources[k], seg) {
			sources[k] = append(sources[k], seg)
		}
	}
	for c, ws := range wins {
		for _, e := range c.tail {
			if inWindows(ws, e.Timestamp) {
				add(key{c, e.Timestamp}, nil)
			}
		}
	}
	err := s.readWindows(ctx, tenant, &overlaps, 0, func(seg *segment) (func(*streamCount, *chunk.Row), func()) {
		return func(c *streamCount, row *chunk.Row) {
			mu.Lock()
			add(key{c, row.Ts}, seg)
			mu.Unlock()
		}, nil
	})
	if err != nil {
		return err
	}
	// Lines of the timestamps that two sources have.
	lines := map[key]map[string]int{} // line -> sources holding it
	var shared windowReads
	for k, ss := range sources {
		if len(ss) < 2 {
			continue
		}
		lines[k] = map[string]int{}
		for _, seg := range ss {
			if seg == nil {
				for _, e := range k.c.tail {
					if e.Timestamp == k.ts {
						lines[k][string(e.Line)]++
					}
				}
				continue
			}
			for _, pt := range k.c.parts {
				if pt.seg == seg {
					shared.add(k.c, pt, k.ts, k.ts+1)
				}
			}
		}
	}
	err = s.readWindows(ctx, tenant, &shared, chunk.ColLine, func(*segment) (func(*streamCount, *chunk.Row), func()) {
		return func(c *streamCount, row *chunk.Row) {
			mu.Lock()
			lines[key{c, row.Ts}][string(row.Line)]++
			mu.Unlock()
		}, nil
	})
	if err != nil {
		return err
	}
	for k, ls := range lines {
		for line, n := range ls {
			if n > 1 {
				k.c.add(minute, k.ts, -int64(n-1), int64(len(line)))
			}
		}
	}
	return nil
}

// countRows adds the object rows of the counted streams in [start, end) to their counts,
// reading only timestamps and sizes.
func (s *Store) countRows(ctx context.Context, tenant string, counts map[uint64]*streamCount, start, end int64, minute func(int64) (int64, bool)) error {
	var reads windowReads
	for _, c := range counts {
		if c.unsure {
			continue
		}
		for _, pt := range c.parts {
			reads.add(c, pt, start, end)
		}
	}
	// Rows are added under the lock a few thousand at a time.
	type counted struct {
		c     *streamCount
		ts    int64
		bytes int
	}
	var mu sync.Mutex
	bufs := sync.Pool{New: func() any { return new([]counted) }}
	flush := func(buf *[]counted) {
		mu.Lock()
		defer mu.Unlock()
		for _, r := range *buf {
			r.c.add(minute, r.ts, 1, int64(r.bytes))
		}
		*buf = (*buf)[:0]
	}
	return s.readWindows(ctx, tenant, &reads, chunk.ColSize, func(*segment) (func(*streamCount, *chunk.Row), func()) {
		buf := bufs.Get().(*[]counted)
		return func(c *streamCount, row *chunk.Row) {
				if *buf = append(*buf, counted{c, row.Ts, row.Size}); len(*buf) == 4096 {
					flush(buf)
				}
			}, func() {
				flush(buf)
				bufs.Put(buf)
			}
	})
}

// windowReads are the time windows of stream parts that a count reads, by object.
type windowReads struct {
	segs    []*segment
	windows map[*segment][]chunk.Window
	streams map[*segment][]*streamCount // by stream ordinal
}

func (r *windowReads) add(c *streamCount, pt part, start, end int64) {
	if r.windows == nil {
		r.windows, r.streams = map[*segment][]chunk.Window{}, map[*segment][]*streamCount{}
	}
	if _, ok := r.windows[pt.seg]; !ok {
		r.segs = append(r.segs, pt.seg)
		r.streams[pt.seg] = make([]*streamCount, len(pt.seg.idx.Streams))
	}
	r.windows[pt.seg] = append(r.windows[pt.seg], chunk.Window{Ord: pt.ord, Start: start, End: end})
	r.streams[pt.seg][pt.ord] = c
}

// readWindows scans the windows of every object, a few objects at once, decoding cols
// besides timestamps. Each object's scan calls open for a function that gets its rows (with
// their streams) and, unless nil, one to call once they are all read.
func (s *Store) readWindows(ctx context.Context, tenant string, r *windowReads, cols chunk.Columns,
	open func(seg *segment) (row func(*streamCount, *chunk.Row), done func())) error {
	return parallel.ForEach(ctx, r.segs, scanWorkers, func(ctx context.Context, seg *segment) error {
		fn, done := open(seg)
		if done != nil {
			defer done()
		}
		byOrd := r.streams[seg]
		return s.readObject(ctx, tenant, seg, chunk.Scan{Windows: r.windows[seg], Columns: cols}, nil, func(row *chunk.Row) error {
			fn(byOrd[row.Ord], row)
			return nil
		})
	})
}

func inWindows(ws [][2]int64, ts int64) bool {
	for _, w := range ws {
		if ts >= w[0] && ts <= w[1] {
			return true
		}
	}
	return false
}
