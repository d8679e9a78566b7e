package store

import (
	"context"

	"github.com/jetlog/jetlog/schemas"
	"github.com/jetlog/jetlog/schemas/labels"
)

// readTail calls fn for every bus entry of the tenant after the snapshot's checkpoints that
// matches ms and lies in [start, end). line is a copy the callee may keep.
func (s *Store) readTail(ctx context.Context, tenant string, after func(int) uint64, start, end int64, ms []*labels.Matcher,
	fn func(ls labels.Labels, hash uint64, ts int64, line []byte, md labels.Labels)) error {
	return s.tail.ReadTail(ctx, tenant, after, func(m schemas.TailMessage) error {
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
			for i := range st.Entries {
				e := &st.Entries[i]
				ts := e.Timestamp.UnixNano()
				if ts < start || ts >= end {
					continue
				}
				fn(ls, h, ts, []byte(e.Line), schemas.EntryMetadata(e))
			}
		}
		return nil
	})
}
