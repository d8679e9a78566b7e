package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"

	"github.com/jetlog/jetlog/chunk"
	"github.com/jetlog/jetlog/internal/parallel"
	"github.com/jetlog/jetlog/logql"
	"github.com/jetlog/jetlog/logql/syntax"
	"github.com/jetlog/jetlog/schemas"
	"github.com/jetlog/jetlog/schemas/labels"
)

// part is one stream's rows in one visible object.
type part struct {
	seg        *segment
	ord        int
	minT, maxT int64
}

// streamPlan is everything one stream contributes to a query.
type streamPlan struct {
	labels labels.Labels
	hash   uint64
	parts  []part
	tail   []logql.RawEntry // from the bus, after the checkpoints
	order  busOrder         // of tail while it is read
	// merge is set when the stream's sources overlap in time: then exact duplicates may sit in
	// two sources, and the stream is read whole, sorted and de-duplicated before it is emitted.
	// Otherwise each source is emitted as it is read (objects are de-duplicated when built).
	merge bool
}

// SelectLogs returns the tenant's entries matching p, exactly once each. Objects are read in
// bounded batches, so memory does not grow with the range scanned: by a producer goroutine
// for Next, or by Walk's own workers.
func (s *Store) SelectLogs(ctx context.Context, p logql.SelectParams) (logql.BatchIterator, error) {
	plans, err := s.plan(ctx, p)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	pool := newBatchPool()
	return &selectIter{ctx: ctx, cancel: cancel, pool: pool, done: make(chan struct{}),
		run: func(ctx context.Context, emit func(*logql.Batch) error) error {
			return s.produce(ctx, p, plans, pool, emit)
		}}, nil
}

// plan reads the snapshot, picks the stream parts that can match, and reads the bus tail.
func (s *Store) plan(ctx context.Context, p logql.SelectParams) (map[uint64]*streamPlan, error) {
	sn, err := s.sharedSnapshot(ctx, p.Tenant)
	if err != nil {
		return nil, err
	}
	plans := map[uint64]*streamPlan{}
	var only map[uint64]bool // p.Streams
	if len(p.Streams) > 0 {
		only = map[uint64]bool{}
		for _, h := range p.Streams {
			only[h] = true
		}
	}
	get := func(ls labels.Labels, h uint64) *streamPlan {
		sp := plans[h]
		if sp == nil {
			sp = &streamPlan{labels: ls, hash: h}
			plans[h] = sp
		}
		return sp
	}
	for i := range sn.segments {
		seg := &sn.segments[i]
		if seg.idx.MaxT < p.Start || seg.idx.MinT >= p.End {
			continue
		}
		for ord, st := range seg.idx.Streams {
			if st.MaxT >= p.Start && st.MinT < p.End && (only == nil || only[st.Fingerprint]) && labels.MatchLabels(st.Labels, p.Matchers...) {
				sp := get(st.Labels, st.Fingerprint)
				sp.parts = append(sp.parts, part{seg: seg, ord: ord, minT: st.MinT, maxT: st.MaxT})
			}
		}
	}
	if sn.objectsDown != nil {
		n := 0
		for _, sp := range plans {
			n += len(sp.parts)
		}
		if n > 0 {
			return nil, fmt.Errorf("the query needs %d stored stream parts: %w", n, sn.objectsDown)
		}
	}
	filter := prefilter(literals(p.LineFilters))
	if s.tail != nil {
		err := s.readTail(ctx, p.Tenant, sn.after, p.Start, p.End, p.Matchers, filter, func(e *tailEntry) {
			if only != nil && !only[e.hash] {
				return
			}
			sp := get(e.ls, e.hash)
			sp.order.mark(e.seq, len(sp.tail))
			sp.tail = append(sp.tail, logql.RawEntry{Timestamp: e.ts, Line: e.line, Metadata: e.md})
		})
		if err != nil {
			return nil, err
		}
	}
	for _, sp := range plans {
		sp.tail, sp.order = sp.order.apply(sp.tail), busOrder{}
		sp.merge = overlapping(sp)
	}
	return plans, nil
}

// overlapping reports whether any two of a stream's sources share a moment.
func overlapping(sp *streamPlan) bool {
	var ivs [][2]int64
	for _, pt := range sp.parts {
		ivs = append(ivs, [2]int64{pt.minT, pt.maxT})
	}
	if len(sp.tail) > 0 {
		lo, hi := sp.tail[0].Timestamp, sp.tail[0].Timestamp
		for _, e := range sp.tail {
			lo, hi = min(lo, e.Timestamp), max(hi, e.Timestamp)
		}
		ivs = append(ivs, [2]int64{lo, hi})
	}
	return len(overlapWindows(ivs)) > 0
}

// produce emits every planned stream: merged streams whole, the rest object by object.
// emit may be called from several goroutines at once.
func (s *Store) produce(ctx context.Context, p logql.SelectParams, plans map[uint64]*streamPlan, pool *batchPool, emit func(*logql.Batch) error) error {
	lits := literals(p.LineFilters)
	filter := prefilter(lits)
	cols := columns(p, filter)
	bySeg := map[*segment][]int{}
	var segOrder []*segment
	for _, sp := range plans {
		if sp.merge {
			if err := s.emitMerged(ctx, p, sp, filter, emit); err != nil {
				return err
			}
			continue
		}
		for _, pt := range sp.parts {
			if _, ok := bySeg[pt.seg]; !ok {
				segOrder = append(segOrder, pt.seg)
			}
			bySeg[pt.seg] = append(bySeg[pt.seg], pt.ord)
		}
		if len(sp.tail) > 0 {
			for _, b := range splitBatches(sp.labels, sp.hash, logql.SortDedup(sp.tail)) {
				if err := emit(b); err != nil {
					return err
				}
			}
		}
	}
	// Objects are read by a few workers at once; each emits its own batches, so batches of
	// different objects interleave, which the iterator contract allows.
	return parallel.ForEach(ctx, segOrder, scanWorkers, func(ctx context.Context, seg *segment) error {
		bb := &batcher{emit: emit, pool: pool}
		sc := chunk.Scan{Ordinals: bySeg[seg], Start: p.Start, End: p.End, Columns: cols, Contains: lits}
		err := s.readObject(ctx, p.Tenant, seg, sc, filter, func(row *chunk.Row) error {
			st := &seg.idx.Streams[row.Ord]
			return bb.add(st.Labels, st.Fingerprint, row)
		})
		if err != nil {
			return err
		}
		return bb.flush()
	})
}

// scanWorkers is how many objects one query reads at once.
var scanWorkers = max(2, runtime.GOMAXPROCS(0))

func (s *Store) emitMerged(ctx context.Context, p logql.SelectParams, sp *streamPlan, filter func([]byte) bool, emit func(*logql.Batch) error) error {
	all := slices.Clone(sp.tail)
	for _, pt := range sp.parts {
		// Exact duplicates are found by their lines: a merged stream always reads them.
		sc := chunk.Scan{Ordinals: []int{pt.ord}, Start: p.Start, End: p.End, Columns: columns(p, filter) | chunk.ColLine, Contains: literals(p.LineFilters)}
		err := s.readObject(ctx, p.Tenant, pt.seg, sc, filter, func(row *chunk.Row) error {
			all = append(all, logql.RawEntry{Timestamp: row.Ts, Line: bytes.Clone(row.Line), Metadata: row.Metadata})
			return nil
		})
		if err != nil {
			return err
		}
	}
	for _, b := range splitBatches(sp.labels, sp.hash, logql.SortDedup(all)) {
		if err := emit(b); err != nil {
			return err
		}
	}
	return nil
}

// readObject scans one visible object; filter, when set, drops the rows whose lines the
// query's line filters would drop.
func (s *Store) readObject(ctx context.Context, tenant string, seg *segment, sc chunk.Scan, filter func([]byte) bool,
	fn func(row *chunk.Row) error) error {
	key := schemas.DataKey(tenant, seg.id)
	obj, err := s.openObject(ctx, key, seg.idx)
	if err != nil {
		return s.objectErr(ctx, seg.id, err)
	}
	s.m.objectsRead.Inc()
	rr := &rangeReader{ctx: ctx, bucket: s.bucket, key: key, size: obj.Size()}
	defer rr.release()
	ranges, err := obj.Ranges(sc)
	if err == nil {
		err = rr.fetch(ranges...)
	}
	var lines, n int64
	if err == nil {
		err = obj.Scan(rr, sc, func(row *chunk.Row) error {
			lines++
			n += int64(row.Size)
			if filter != nil && !filter(row.Line) {
				return nil
			}
			return fn(row)
		})
	}
	s.m.objectBytes.Add(float64(rr.fetched))
	s.m.linesScanned.Add(float64(lines))
	s.m.bytesScanned.Add(float64(n))
	if err != nil {
		return s.objectErr(ctx, seg.id, err)
	}
	return nil
}

// objectErr classifies a failure to read object id: the query's end, corrupt bytes (counted),
// or else the object store not answering (*UnavailableError, a 503).
func (s *Store) objectErr(ctx context.Context, id string, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if errors.Is(err, chunk.ErrCorrupt) {
		s.m.corrupt.Inc()
		return fmt.Errorf("object %s: %w", id, err)
	}
	return &UnavailableError{fmt.Errorf("object %s: %w", id, err)}
}

// columns is what a scan must decode for p: a line filter needs lines.
func columns(p logql.SelectParams, filter func([]byte) bool) chunk.Columns {
	cols := chunk.AllColumns
	if p.Omit&logql.OmitLine != 0 && filter == nil {
		cols &^= chunk.ColLine
	}
	if p.Omit&logql.OmitMetadata != 0 {
		cols &^= chunk.ColMetadata
	}
	return cols
}

// literals are the strings of the leading |= filters (plain substrings): every line the
// pipeline keeps contains, for each element, one of its strings.
func literals(fs []syntax.LineFilter) [][]string {
	var out [][]string
	for _, f := range fs {
		if f.Op != syntax.LineContains || f.IP || len(f.Values) == 0 {
			continue
		}
		out = append(out, f.Values)
	}
	return out
}

// prefilter turns the literals into a cheap scan-time check. It may only drop lines that
// the engine's pipeline would drop too. It passes every byte string that holds a line it
// passes, which lets readTail check a whole bus payload first.
func prefilter(lits [][]string) func([]byte) bool {
	if len(lits) == 0 {
		return nil
	}
	var needles [][][]byte
	for _, alts := range lits {
		var bs [][]byte
		for _, v := range alts {
			bs = append(bs, []byte(v))
		}
		needles = append(needles, bs)
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
