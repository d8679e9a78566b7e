package store

import (
	"context"
	"sort"
	"sync"

	"github.com/jetlog/jetlog/logql"
	"github.com/jetlog/jetlog/schemas"
	"github.com/jetlog/jetlog/schemas/labels"
)

type statAcc struct {
	st      logql.StreamStat
	buckets map[int64]*logql.StatBucket
}

// StreamStats answers label, series, stats and volume questions from the index's per-minute
// counts (minute resolution) and the bus tail (exact), without reading log lines.
func (s *Store) StreamStats(ctx context.Context, p logql.StreamStatsParams) ([]logql.StreamStat, error) {
	sn, err := s.sharedSnapshot(ctx, p.Tenant)
	if err != nil {
		return nil, err
	}
	accs := map[uint64]*statAcc{}
	get := func(ls labels.Labels, h uint64) *statAcc {
		a := accs[h]
		if a == nil {
			a = &statAcc{st: logql.StreamStat{Labels: ls}, buckets: map[int64]*logql.StatBucket{}}
			accs[h] = a
		}
		return a
	}
	add := func(a *statAcc, ts, entries, bytes int64) {
		a.st.Entries += entries
		a.st.Bytes += bytes
		if p.Step > 0 {
			t := ts - mod(ts, p.Step)
			b := a.buckets[t]
			if b == nil {
				b = &logql.StatBucket{T: t}
				a.buckets[t] = b
			}
			b.Entries += entries
			b.Bytes += bytes
		}
	}
	for _, seg := range sn.segments {
		if seg.idx.MaxT < p.Start || seg.idx.MinT >= p.End {
			continue
		}
		for _, st := range seg.idx.Streams {
			if st.MaxT < p.Start || st.MinT >= p.End || !labels.MatchLabels(st.Labels, p.Matchers...) {
				continue
			}
			a := get(st.Labels, st.Fingerprint)
			a.st.Chunks++
			for _, m := range st.Minutes {
				ts := m[0] * minuteNs
				if ts+minuteNs <= p.Start || ts >= p.End {
					continue
				}
				add(a, max(ts, p.Start), m[1], m[2])
			}
		}
	}
	if s.tail != nil {
		// ReadTail makes concurrent calls: each decodes its message alone, then updates the
		// accumulators under mu.
		var mu sync.Mutex
		seen := map[uint64]bool{}
		err := s.tail.ReadTail(ctx, p.Tenant, sn.after, func(m schemas.TailMessage) error {
			req, err := m.Decode()
			if err != nil {
				return nil
			}
			mu.Lock()
			defer mu.Unlock()
			clear(seen)
			for _, st := range req.Streams {
				ls, err := s.parseLabels(st.Labels)
				if err != nil || !labels.MatchLabels(ls, p.Matchers...) {
					continue
				}
				h := ls.Hash()
				var a *statAcc
				for _, e := range st.Entries {
					ts := e.Timestamp.UnixNano()
					if ts < p.Start || ts >= p.End {
						continue
					}
					if a == nil {
						a = get(ls, h)
						if !seen[h] {
							a.st.Chunks++
							seen[h] = true
						}
					}
					add(a, ts, 1, int64(len(e.Line)))
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	out := make([]logql.StreamStat, 0, len(accs))
	for _, a := range accs {
		for _, b := range a.buckets {
			a.st.Buckets = append(a.st.Buckets, *b)
		}
		sort.Slice(a.st.Buckets, func(i, j int) bool { return a.st.Buckets[i].T < a.st.Buckets[j].T })
		out = append(out, a.st)
	}
	sort.Slice(out, func(i, j int) bool { return labels.Compare(out[i].Labels, out[j].Labels) < 0 })
	return out, nil
}

func mod(a, b int64) int64 {
	m := a % b
	if m < 0 {
		m += b
	}
	return m
}
