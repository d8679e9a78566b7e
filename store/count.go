package store

import (
	"context"
	"slices"

	"github.com/jetlog/jetlog/logql"
	"github.com/jetlog/jetlog/schemas/labels"
)

const minuteNs = int64(60e9)

// streamCount is one stream's counts while CountMinutes gathers them.
type streamCount struct {
	mc     logql.MinuteCounts
	ivs    [][2]int64 // time ranges of its sources, to find overlaps
	unsure bool
}

// CountMinutes implements logql.MinuteCounter from the index segments' per-minute counts
// (version 2: with minute starts and metadata row counts) and the bus tail. A stream is left
// to be read (Rest) when an index cannot count it, when it has structured metadata, or when
// two of its sources overlap in time, since an exact duplicate could then be counted twice.
func (s *Store) CountMinutes(ctx context.Context, p logql.CountParams) (*logql.MinuteCountResult, error) {
	sn, err := s.snapshot(ctx, p.Tenant)
	if err != nil {
		return nil, err
	}
	n := p.Through - p.From + 1
	if n <= 0 || n > 1<<20 {
		return &logql.MinuteCountResult{}, nil
	}
	start, end := p.From*minuteNs, (p.Through+1)*minuteNs
	counts := map[uint64]*streamCount{}
	get := func(ls labels.Labels, h uint64) *streamCount {
		c := counts[h]
		if c == nil {
			c = &streamCount{mc: logql.MinuteCounts{Labels: ls, Hash: h, Entries: make([]int64, n), Bytes: make([]int64, n),
				StartEntries: make([]int64, n), StartBytes: make([]int64, n)}}
			counts[h] = c
		}
		return c
	}
	for _, seg := range sn.segments {
		if seg.idx.MaxT < start || seg.idx.MinT >= end {
			continue
		}
		for i := range seg.idx.Streams {
			st := &seg.idx.Streams[i]
			if st.MaxT < start || st.MinT >= end || !labels.MatchLabels(st.Labels, p.Matchers...) {
				continue
			}
			c := get(st.Labels, st.Fingerprint)
			c.ivs = append(c.ivs, [2]int64{max(st.MinT, start), min(st.MaxT, end-1)})
			if seg.idx.Version < 2 || st.MetadataRows > 0 {
				c.unsure = true
				continue
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
			c.ivs = append(c.ivs, [2]int64{es[0].Timestamp, es[len(es)-1].Timestamp})
			for _, e := range es {
				m := e.Timestamp / minuteNs
				if e.Timestamp%minuteNs < 0 {
					m-- // floor
				}
				i := m - p.From
				c.mc.Entries[i]++
				c.mc.Bytes[i] += int64(len(e.Line))
				if e.Timestamp == m*minuteNs {
					c.mc.StartEntries[i]++
					c.mc.StartBytes[i] += int64(len(e.Line))
				}
			}
		}
	}
	res := &logql.MinuteCountResult{}
	for h, c := range counts {
		if c.unsure || overlaps(c.ivs) {
			res.Rest = append(res.Rest, h)
			continue
		}
		res.Streams = append(res.Streams, c.mc)
	}
	s.m.countedStreams.Add(float64(len(res.Streams)))
	return res, nil
}

// overlaps reports whether two of the intervals share a moment.
func overlaps(ivs [][2]int64) bool {
	ivs = slices.Clone(ivs)
	slices.SortFunc(ivs, func(a, b [2]int64) int {
		switch {
		case a[0] < b[0]:
			return -1
		case a[0] > b[0]:
			return 1
		}
		return 0
	})
	for i := 1; i < len(ivs); i++ {
		if ivs[i][0] <= ivs[i-1][1] {
			return true
		}
	}
	return false
}
