package store

import (
	"cmp"
	"context"
	"slices"
	"sync"

	"github.com/jetlog/jetlog/logql"
	"github.com/jetlog/jetlog/schemas"
	"github.com/jetlog/jetlog/schemas/labels"
)

// tailEntry is one bus entry that passed readTail's checks; line is a copy. seq is its bus
// message's.
type tailEntry struct {
	ls   labels.Labels
	hash uint64
	seq  uint64
	ts   int64
	line []byte
	md   labels.Labels
}

// readTail calls fn for every bus entry of the tenant after the snapshot's checkpoints that
// matches ms, lies in [start, end) and passes filter (nil: every line). Payloads are walked
// in place (walkPush), so a line is copied only when it passes; line is a copy the callee
// may keep. scanned counts the entries looked at.
//
// filter must pass every byte string that holds a line it passes, as prefilter's substring
// checks do: a message is then walked only when its whole payload passes. With a rare literal
// most messages are only searched, not walked (their entries are not counted as scanned, and
// damage in them goes unnoticed, which changes no answer: a damaged message is skipped whole).
//
// Bus messages are decoded concurrently (Tail.ReadTail reads parts of the tail at once),
// but the calls of fn are serialized, so fn needs no locking of its own. The entries of one
// message are handed over together, in payload order.
func (s *Store) readTail(ctx context.Context, tenant string, after func(int) uint64, start, end int64, ms []*labels.Matcher,
	filter func([]byte) bool, fn func(e *tailEntry)) error {
	var mu sync.Mutex // serializes fn
	return s.fetchTail(ctx, tenant, after, start, end, func(m schemas.TailMessage) error {
		if m.Times.Outside(start, end) {
			s.m.tailSkipped.Inc()
			return nil // no entry in the range: not even decoded
		}
		sc := tailScratches.Get().(*tailScratch)
		defer sc.release()
		var cur labels.Labels
		var hash uint64
		var scanned int
		err := walkMessage(m, &sc.buf, filter, func(lbls []byte) (bool, error) {
			ls, err := s.parseLabelBytes(lbls)
			if err != nil || !labels.MatchLabels(ls, ms...) {
				return false, nil
			}
			cur, hash = ls, ls.Hash()
			return true, nil
		}, func(ts int64, line []byte, md [][2][]byte) {
			scanned++
			if ts < start || ts >= end || (filter != nil && !filter(line)) {
				return
			}
			sc.kept = append(sc.kept, tailEntry{ls: cur, hash: hash, seq: m.Seq, ts: ts, line: append([]byte(nil), line...), md: schemas.MetadataLabels(md)})
		})
		if s.scanned(m, scanned, err) != nil || len(sc.kept) == 0 {
			return nil
		}
		mu.Lock()
		defer mu.Unlock()
		for i := range sc.kept {
			fn(&sc.kept[i])
		}
		return nil
	})
}

// tailScratch is what decoding one bus message reuses for the next, of any query: the
// decompression buffer and the kept entries.
type tailScratch struct {
	buf  []byte
	kept []tailEntry
}

var tailScratches = sync.Pool{New: func() any { return new(tailScratch) }}

// release returns sc to the pool without the entries, whose lines belong to the query.
func (sc *tailScratch) release() {
	clear(sc.kept)
	sc.kept = sc.kept[:0]
	tailScratches.Put(sc)
}

// scanned counts a bus message's entries looked at and, when its payload did not decode,
// the damage, which it logs and returns: the caller skips the whole message, as
// schemas.DecodeBatch would fail on it.
func (s *Store) scanned(m schemas.TailMessage, entries int, err error) error {
	s.m.linesScanned.Add(float64(entries))
	if err != nil {
		s.m.corrupt.Inc()
		s.logger.Warn("undecodable bus message", "seq", m.Seq, "tenant", m.Tenant, "err", err)
	}
	return err
}

// parseLabelBytes is parseLabels for a label string in a payload, without copying it when
// it is cached.
func (s *Store) parseLabelBytes(b []byte) (labels.Labels, error) {
	s.mu.Lock()
	ls, ok := s.lbls[string(b)]
	s.mu.Unlock()
	if ok {
		return ls, nil
	}
	return s.parseLabels(string(b))
}

// walkMessage is schemas.WalkPush over a bus message of any format, decompressing it into
// *buf, which is reused from message to message (the slices WalkPush hands out point into it).
// A message whose whole decompressed payload fails want (nil: none fails) is not walked.
func walkMessage(m schemas.TailMessage, buf *[]byte, want func(payload []byte) bool, stream func(labels []byte) (bool, error), entry func(ts int64, line []byte, md [][2][]byte)) error {
	b, err := schemas.PushBytes(m.Format, m.Payload, *buf)
	if err != nil {
		return err
	}
	if m.Format != schemas.FormatPushV1 && cap(b) > cap(*buf) {
		*buf = b
	}
	if want != nil && !want(b) {
		return nil
	}
	return schemas.WalkPush(b, stream, entry)
}

// busOrder puts one stream's tail entries, gathered in the order ReadTail delivered their
// messages (none in particular), back in bus order, in which they are nearly sorted by time
// already: sorting them (logql.SortDedup) is then about linear, where messages interleaved by
// concurrent readers made it O(n log n). Call mark before appending a message's entries.
type busOrder struct {
	runs     []tailRun
	unsorted bool // some run follows one of a later message
}

// tailRun is es[at:end], the entries of the message with sequence seq.
type tailRun struct {
	seq     uint64
	at, end int
}

// mark notes that the entries of the message with sequence seq start at index at, unless
// the previous entry was of the same message.
func (o *busOrder) mark(seq uint64, at int) {
	if n := len(o.runs); n > 0 {
		last := o.runs[n-1].seq
		if seq == last {
			return
		}
		o.unsorted = o.unsorted || seq < last
	}
	o.runs = append(o.runs, tailRun{seq: seq, at: at})
}

// apply returns es, whose runs mark noted, in bus order.
func (o *busOrder) apply(es []logql.RawEntry) []logql.RawEntry {
	if !o.unsorted {
		return es
	}
	for i := range o.runs {
		o.runs[i].end = len(es)
		if i+1 < len(o.runs) {
			o.runs[i].end = o.runs[i+1].at
		}
	}
	slices.SortStableFunc(o.runs, func(a, b tailRun) int { return cmp.Compare(a.seq, b.seq) })
	out := make([]logql.RawEntry, 0, len(es))
	for _, r := range o.runs {
		out = append(out, es[r.at:r.end]...)
	}
	return out
}
