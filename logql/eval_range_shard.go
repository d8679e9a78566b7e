package logql

import (
	"context"
	"runtime"
	"sync"

	"github.com/jetlog/jetlog/logql/log"
	"github.com/jetlog/jetlog/logql/syntax"
	"github.com/jetlog/jetlog/schemas/labels"
)

// acc collects one result series of a range aggregation: its samples, or, for additive
// counts, the per-step count and sum directly.
type acc struct {
	labels   labels.Labels
	samples  []sample
	cnt, sum []float64 // windowed ops only, one per step
}

// rangeShard is one worker's share of a range aggregation: it owns its stream extractors
// and accumulators, so workers never share state; mergeShards joins them.
type rangeShard struct {
	ev       *evaluator
	ra       *syntax.RangeAggregationExpr
	ext      log.SampleExtractor
	mode     log.SampleMode
	bare     bool // no pipeline stages
	windowed bool
	rng, off int64

	streams map[uint64]*shardStream
	accs    map[string]*acc
	// byRes finds the accumulator of a labels result without formatting its labels:
	// extractors return one cached *LabelsResult per distinct label set of a stream.
	byRes        map[*log.LabelsResult]*acc
	lines, bytes int64
	// err ends the query (the series bound): the shard consumes nothing after it, and
	// stop ends the read.
	err  error
	stop context.CancelFunc
}

// windowedOp reports whether op's value at a step is a count or sum of integer sample
// values, which is exact in any order: such samples are added to their steps' windows as
// they arrive, instead of being kept and sorted.
func windowedOp(op string, mode log.SampleMode) bool {
	if mode == log.UnwrapSamples {
		return false
	}
	switch op {
	case syntax.OpCountOverTime, syntax.OpRate, syntax.OpBytesOverTime, syntax.OpBytesRate:
		return true
	}
	return false
}

func (sh *rangeShard) consume(b *Batch) {
	if sh.err != nil {
		return
	}
	st := sh.streams[b.Hash]
	if st == nil {
		if sh.streams == nil {
			sh.streams = map[uint64]*shardStream{}
			sh.accs = map[string]*acc{}
			sh.byRes = map[*log.LabelsResult]*acc{}
		}
		st = &shardStream{se: sh.ext.ForStream(b.Labels)}
		sh.streams[b.Hash] = st
	}
	// Without stages, an entry without metadata always has the stream's labels and counts
	// 1 or its size: the extractor need not run for it.
	shortcut := sh.bare && sh.mode != log.UnwrapSamples
	var last *acc
	var lastRes *log.LabelsResult
	var w window
	for i := range b.Entries {
		en := &b.Entries[i]
		n := en.Len()
		sh.lines++
		sh.bytes += int64(n)
		var v float64
		var lbs *log.LabelsResult
		if shortcut && len(en.Metadata) == 0 && st.plain != nil {
			v, lbs = 1, st.plain
		} else {
			var ok bool
			v, lbs, ok = st.se.Process(en.Timestamp, en.Line, en.Metadata)
			if !ok {
				continue
			}
			if shortcut && len(en.Metadata) == 0 {
				st.plain = lbs
			}
		}
		if sh.bare && sh.mode == log.BytesSamples {
			v = float64(n) // the line may have been left out by storage
		}
		a := last
		if lbs != lastRes {
			if a = sh.byRes[lbs]; a == nil {
				if a = sh.accFor(lbs); a == nil {
					return
				}
			}
			last, lastRes = a, lbs
		}
		if sh.windowed {
			lo, hi := w.steps(sh, en.Timestamp)
			for i := lo; i <= hi; i++ {
				a.cnt[i]++
				a.sum[i] += v
			}
		} else {
			a.samples = append(a.samples, sample{en.Timestamp, v})
		}
	}
}

// shardStream is a stream's extractor in one shard, and the labels result of its entries
// without metadata when there are no stages.
type shardStream struct {
	se    log.StreamSampleExtractor
	plain *log.LabelsResult
}

// window finds the steps whose windows (t-range-offset, t-offset] hold a timestamp: those
// with ts+offset <= t < ts+offset+range. A batch's timestamps ascend, so after the first
// the bounds only move forward.
type window struct {
	set    bool
	prev   int64
	lo, hi int // steps [lo, hi]
}

func (w *window) steps(sh *rangeShard, ts int64) (int, int) {
	steps := sh.ev.steps
	x := ts + sh.off
	if !w.set || len(steps) == 1 || ts < w.prev {
		w.set, w.prev = true, ts
		w.lo, w.hi = 0, len(steps)-1
		if len(steps) > 1 {
			step, first := steps[1]-steps[0], steps[0]
			w.lo = max(0, int(ceilDiv(x-first, step)))
			w.hi = min(len(steps)-1, int(ceilDiv(x+sh.rng-first, step))-1)
		} else if t := steps[0]; x > t || x+sh.rng <= t {
			w.lo, w.hi = 1, 0
		}
		return w.lo, w.hi
	}
	w.prev = ts
	for w.lo < len(steps) && steps[w.lo] < x {
		w.lo++
	}
	for w.hi+1 < len(steps) && steps[w.hi+1] < x+sh.rng {
		w.hi++
	}
	return w.lo, w.hi
}

// accFor returns the accumulator of lbs's series, nil (with sh.err set) when a new one
// would pass the engine's bound on series.
func (sh *rangeShard) accFor(lbs *log.LabelsResult) *acc {
	ls := lbs.All
	if !ls.Has(log.ErrorLabel) {
		// As in Loki, an entry with an error keeps all its labels, so that the
		// error is reported even when grouping would drop __error__.
		ls = group(ls, sh.ra.Grouping)
	}
	k := ls.String()
	a := sh.accs[k]
	if a == nil {
		if len(sh.accs) == sh.ev.e.cfg.MaxSeries {
			// The bound on the series a query builds in memory holds while they are
			// built: a query with one series per entry would otherwise grow without end.
			sh.err = seriesLimitError(sh.ev.e.cfg.MaxSeries)
			sh.stop()
			return nil
		}
		a = &acc{labels: ls.Copy()}
		if sh.windowed {
			a.cnt = make([]float64, len(sh.ev.steps))
			a.sum = make([]float64, len(sh.ev.steps))
		}
		sh.accs[k] = a
	}
	if len(sh.byRes) >= 4096 {
		clear(sh.byRes) // unique label sets per entry: the cache would only grow
	}
	sh.byRes[lbs] = a
	return a
}

func ceilDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) == (b < 0) {
		q++
	}
	return q
}

// consumeShards hands the iterator's batches to a few shards, each used by one goroutine at
// a time: the walker's own goroutines when the iterator is a BatchWalker, else a few
// workers fed from the caller's.
func (ev *evaluator) consumeShards(ctx context.Context, it BatchIterator, newShard func() *rangeShard) ([]*rangeShard, error) {
	n := max(1, min(runtime.GOMAXPROCS(0), 8))
	shards := make([]*rangeShard, n)
	for i := range shards {
		shards[i] = newShard()
	}
	var err error
	if w, ok := it.(BatchWalker); ok {
		free := make(chan *rangeShard, n)
		for _, sh := range shards {
			free <- sh
		}
		err = w.Walk(func(b *Batch) {
			sh := <-free
			sh.consume(b)
			free <- sh
		})
	} else {
		err = ev.feedShards(ctx, it, shards)
	}
	for _, sh := range shards {
		if sh.err != nil {
			return nil, sh.err // before the walk's error, which it may have caused
		}
	}
	if err == nil {
		err = ctx.Err()
	}
	if err != nil {
		return nil, err
	}
	for _, sh := range shards {
		ev.lines += sh.lines
		ev.bytes += sh.bytes
	}
	return shards, nil
}

// feedShards reads the iterator on the caller's goroutine and gives each shard a worker.
func (ev *evaluator) feedShards(ctx context.Context, it BatchIterator, shards []*rangeShard) error {
	ch := make(chan *Batch, 2*len(shards))
	rel, _ := it.(BatchReleaser)
	var wg sync.WaitGroup
	for _, sh := range shards {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range ch {
				sh.consume(b)
				if rel != nil {
					rel.Release(b)
				}
			}
		}()
	}
	var err error
	for err == nil && it.Next() {
		if err = ctx.Err(); err == nil {
			ch <- it.At()
		}
	}
	close(ch)
	wg.Wait()
	if err != nil {
		return err
	}
	return it.Err()
}

// mergeShards joins the shards' accumulators of equal labels.
func mergeShards(shards []*rangeShard) map[string]*acc {
	out := map[string]*acc{}
	for _, sh := range shards {
		mergeAccs(out, sh.accs)
	}
	return out
}
