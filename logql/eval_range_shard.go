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

	streams map[uint64]log.StreamSampleExtractor
	accs    map[string]*acc
	// byRes finds the accumulator of a labels result without formatting its labels:
	// extractors return one cached *LabelsResult per distinct label set of a stream.
	byRes        map[*log.LabelsResult]*acc
	lines, bytes int64
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
	se := sh.streams[b.Hash]
	if se == nil {
		if sh.streams == nil {
			sh.streams = map[uint64]log.StreamSampleExtractor{}
			sh.accs = map[string]*acc{}
			sh.byRes = map[*log.LabelsResult]*acc{}
		}
		se = sh.ext.ForStream(b.Labels)
		sh.streams[b.Hash] = se
	}
	var last *acc
	var lastRes *log.LabelsResult
	for i := range b.Entries {
		en := &b.Entries[i]
		n := en.Len()
		sh.lines++
		sh.bytes += int64(n)
		v, lbs, ok := se.Process(en.Timestamp, en.Line, en.Metadata)
		if !ok {
			continue
		}
		if sh.bare && sh.mode == log.BytesSamples {
			v = float64(n) // the line may have been left out by storage
		}
		a := last
		if lbs != lastRes {
			if a = sh.byRes[lbs]; a == nil {
				a = sh.accFor(lbs)
			}
			last, lastRes = a, lbs
		}
		if sh.windowed {
			sh.addWindowed(a, en.Timestamp, v)
		} else {
			a.samples = append(a.samples, sample{en.Timestamp, v})
		}
	}
}

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

// addWindowed adds a sample to every step whose window (t-range-offset, t-offset] holds
// ts: the steps t with ts+offset <= t < ts+offset+range.
func (sh *rangeShard) addWindowed(a *acc, ts int64, v float64) {
	steps := sh.ev.steps
	lo, hi := 0, len(steps)-1
	if len(steps) > 1 {
		step, first := steps[1]-steps[0], steps[0]
		lo = max(lo, int(ceilDiv(ts+sh.off-first, step)))
		hi = min(hi, int(ceilDiv(ts+sh.off+sh.rng-first, step))-1)
	} else if t := steps[0]; ts+sh.off > t || ts+sh.off+sh.rng <= t {
		return
	}
	for i := lo; i <= hi; i++ {
		a.cnt[i]++
		a.sum[i] += v
	}
}

func ceilDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) == (b < 0) {
		q++
	}
	return q
}

// consumeShards hands the iterator's batches to a few workers, each with its own shard.
func (ev *evaluator) consumeShards(ctx context.Context, it BatchIterator, newShard func() *rangeShard) ([]*rangeShard, error) {
	n := max(1, min(runtime.GOMAXPROCS(0), 8))
	shards := make([]*rangeShard, n)
	ch := make(chan *Batch, 2*n)
	rel, _ := it.(BatchReleaser)
	var wg sync.WaitGroup
	for i := range shards {
		sh := newShard()
		shards[i] = sh
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
		return nil, err
	}
	if err := it.Err(); err != nil {
		return nil, err
	}
	for _, sh := range shards {
		ev.lines += sh.lines
		ev.bytes += sh.bytes
	}
	return shards, nil
}

// mergeShards joins the shards' accumulators of equal labels.
func mergeShards(shards []*rangeShard) map[string]*acc {
	out := map[string]*acc{}
	for _, sh := range shards {
		mergeAccs(out, sh.accs)
	}
	return out
}
