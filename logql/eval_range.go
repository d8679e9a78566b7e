package logql

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"sort"

	"github.com/jetlog/jetlog/logql/log"
	"github.com/jetlog/jetlog/logql/syntax"
	"github.com/jetlog/jetlog/schemas/labels"
)

// series is one labelled series over the query's steps.
type series struct {
	labels labels.Labels
	vals   []float64
	has    []bool
}

// value is an evaluated sample expression: a scalar per step, or a set of series.
type value struct {
	scalar []float64
	series []*series
	sorted bool // sort/sort_desc decided the order
}

func (ev *evaluator) newSeries(ls labels.Labels) *series {
	return &series{labels: ls, vals: make([]float64, len(ev.steps)), has: make([]bool, len(ev.steps))}
}

func (ev *evaluator) eval(ctx context.Context, expr syntax.SampleExpr) (*value, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	switch x := expr.(type) {
	case *syntax.RangeAggregationExpr:
		return ev.rangeAgg(ctx, x)
	case *syntax.VectorAggregationExpr:
		return ev.vectorAgg(ctx, x)
	case *syntax.BinOpExpr:
		return ev.binOp(ctx, x)
	case *syntax.LiteralExpr:
		v := make([]float64, len(ev.steps))
		for i := range v {
			v[i] = x.Val
		}
		return &value{scalar: v}, nil
	case *syntax.VectorExpr:
		s := ev.newSeries(labels.Labels{})
		for i := range s.vals {
			s.vals[i], s.has[i] = x.Val, true
		}
		return &value{series: []*series{s}}, nil
	case *syntax.LabelReplaceExpr:
		return ev.labelReplace(ctx, x)
	}
	return nil, NewUserError(fmt.Sprintf("unsupported expression %s", expr))
}

type sample struct {
	ts int64
	v  float64
}

// sampleMode says what each entry contributes: with an unwrap the label's value, for every
// operation (rate and absent_over_time accept one too), else a count or the line's bytes.
func sampleMode(op string, unwrap *syntax.Unwrap) log.SampleMode {
	if unwrap != nil {
		return log.UnwrapSamples
	}
	switch op {
	case syntax.OpCountOverTime, syntax.OpRate, syntax.OpAbsentOverTime:
		return log.CountSamples
	case syntax.OpBytesOverTime, syntax.OpBytesRate:
		return log.BytesSamples
	}
	return log.UnwrapSamples
}

func group(ls labels.Labels, g *syntax.Grouping) labels.Labels {
	if g == nil {
		return ls
	}
	if g.Without {
		return ls.Without(g.Labels...)
	}
	return ls.Only(g.Labels...)
}

// rangeAgg reads every sample the steps need once, then slides each step's window over them.
// Additive counts (count_over_time, rate, bytes_*) are added to their steps as they arrive
// instead (see rangeShard). Batches are processed by a few workers at once.
func (ev *evaluator) rangeAgg(ctx context.Context, ra *syntax.RangeAggregationExpr) (*value, error) {
	lr := ra.Left
	mode := sampleMode(ra.Op, lr.Unwrap)
	var ext log.SampleExtractor
	var err error
	if ra.Grouping != nil && !ra.Grouping.Without && mode != log.UnwrapSamples {
		ext, err = log.NewGroupedSampleExtractor(lr.Left.Pipeline, mode, lr.Unwrap, ra.Grouping.Labels)
	} else {
		ext, err = log.NewSampleExtractor(lr.Left.Pipeline, mode, lr.Unwrap)
	}
	if err != nil {
		return nil, NewUserError(err.Error())
	}
	rng, off := int64(lr.Interval), int64(lr.Offset)
	first, last := ev.steps[0], ev.steps[len(ev.steps)-1]
	bare := len(lr.Left.Pipeline) == 0
	sp := SelectParams{
		Tenant: ev.p.Tenant, Start: first - rng - off + 1, End: last - off + 1,
		Matchers: lr.Left.Matchers, LineFilters: lr.Left.PushdownLineFilters(),
		Omit: rangeProjection(ra, mode),
	}
	accs := map[string]*acc{}
	read := true
	if ev.countableByMinute(ra, mode) {
		rest, counted, err := ev.countByMinute(ctx, ra, accs)
		if err != nil {
			return nil, err
		}
		if counted {
			// Streams storage could not count are read.
			sp.Streams, read = rest, len(rest) > 0
		}
	}
	if read {
		rctx, stop := context.WithCancel(ctx) // a shard past the series bound stops the read
		defer stop()
		it, err := ev.e.q.SelectLogs(rctx, sp)
		if err != nil {
			return nil, err
		}
		defer it.Close()
		shards, err := ev.consumeShards(rctx, it, func() *rangeShard {
			return &rangeShard{ev: ev, ra: ra, ext: ext, bare: bare, mode: mode,
				windowed: windowedOp(ra.Op, mode), rng: rng, off: off, stop: stop}
		})
		if err != nil {
			return nil, err
		}
		mergeAccs(accs, mergeShards(shards))
	}
	if ra.Op == syntax.OpAbsentOverTime {
		return ev.absent(lr, accs2samples(accs, func(a *acc) []sample { return a.samples })), nil
	}
	out := &value{}
	for _, a := range accs {
		s := ev.newSeries(a.labels)
		if a.cnt != nil {
			secs := float64(rng) / 1e9
			for i := range ev.steps {
				if a.cnt[i] == 0 {
					continue
				}
				s.has[i] = true
				switch ra.Op {
				case syntax.OpCountOverTime:
					s.vals[i] = a.cnt[i]
				case syntax.OpRate:
					s.vals[i] = a.cnt[i] / secs
				case syntax.OpBytesOverTime:
					s.vals[i] = a.sum[i]
				case syntax.OpBytesRate:
					s.vals[i] = a.sum[i] / secs
				}
			}
		} else {
			slices.SortStableFunc(a.samples, func(x, y sample) int { return cmp.Compare(x.ts, y.ts) })
			lo, hi := 0, 0
			for i, t := range ev.steps {
				from, to := t-rng-off, t-off // window (from, to]
				for lo < len(a.samples) && a.samples[lo].ts <= from {
					lo++
				}
				if hi < lo {
					hi = lo
				}
				for hi < len(a.samples) && a.samples[hi].ts <= to {
					hi++
				}
				if hi > lo {
					s.vals[i], s.has[i] = aggregateWindow(ra, a.samples[lo:hi], rng, from, to)
				}
			}
		}
		if err := pipelineError(s); err != nil {
			return nil, err
		}
		out.series = append(out.series, s)
	}
	return out, nil
}

// rangeProjection is what a range aggregation does not read: without a pipeline only
// timestamps and line lengths count; metadata still becomes result labels, unless the
// aggregation keeps no label at all (by ()) or only asks whether entries exist.
func rangeProjection(ra *syntax.RangeAggregationExpr, mode log.SampleMode) Projection {
	if len(ra.Left.Left.Pipeline) > 0 {
		return 0
	}
	p := OmitLine
	noLabels := ra.Grouping != nil && !ra.Grouping.Without && len(ra.Grouping.Labels) == 0
	if mode != log.UnwrapSamples && (noLabels || ra.Op == syntax.OpAbsentOverTime) {
		p |= OmitMetadata
	}
	return p
}

func accs2samples[A any](m map[string]A, f func(A) []sample) [][]sample {
	var out [][]sample
	for _, a := range m {
		out = append(out, f(a))
	}
	return out
}

// absent is 1 at every step whose window holds no sample at all, labelled with the selector's
// equality matchers, as Prometheus' absent_over_time.
func (ev *evaluator) absent(lr *syntax.LogRangeExpr, all [][]sample) *value {
	s := ev.newSeries(absentLabels(lr.Left.Matchers))
	rng, off := int64(lr.Interval), int64(lr.Offset)
	for i, t := range ev.steps {
		found := false
		for _, ss := range all {
			for _, x := range ss {
				if x.ts > t-rng-off && x.ts <= t-off {
					found = true
					break
				}
			}
		}
		if !found {
			s.vals[i], s.has[i] = 1, true
		}
	}
	return &value{series: []*series{s}}
}

func aggregateWindow(ra *syntax.RangeAggregationExpr, w []sample, rng, from, to int64) (float64, bool) {
	secs := float64(rng) / 1e9
	n := float64(len(w))
	sum := 0.0
	for _, x := range w {
		sum += x.v
	}
	switch ra.Op {
	case syntax.OpCountOverTime:
		return n, true
	case syntax.OpRate:
		if ra.Left.Unwrap != nil {
			return sum / secs, true
		}
		return n / secs, true
	case syntax.OpBytesOverTime, syntax.OpSumOverTime:
		return sum, true
	case syntax.OpBytesRate:
		return sum / secs, true
	case syntax.OpAvgOverTime:
		return sum / n, true
	case syntax.OpMinOverTime:
		m := math.Inf(1)
		for _, x := range w {
			m = math.Min(m, x.v)
		}
		return m, true
	case syntax.OpMaxOverTime:
		m := math.Inf(-1)
		for _, x := range w {
			m = math.Max(m, x.v)
		}
		return m, true
	case syntax.OpStdvarOverTime, syntax.OpStddevOverTime:
		mean := sum / n
		var sq float64
		for _, x := range w {
			sq += (x.v - mean) * (x.v - mean)
		}
		if ra.Op == syntax.OpStdvarOverTime {
			return sq / n, true
		}
		return math.Sqrt(sq / n), true
	case syntax.OpQuantileOverTime:
		q := 0.0
		if ra.Param != nil {
			q = *ra.Param
		}
		vs := make([]float64, len(w))
		for i, x := range w {
			vs[i] = x.v
		}
		return quantile(q, vs), true
	case syntax.OpFirstOverTime:
		return w[0].v, true
	case syntax.OpLastOverTime:
		return w[len(w)-1].v, true
	case syntax.OpRateCounter:
		return counterRate(w, from, to), true
	}
	return 0, false
}

// quantile is Prometheus' φ-quantile with linear interpolation.
func quantile(q float64, vs []float64) float64 {
	if len(vs) == 0 || math.IsNaN(q) {
		return math.NaN()
	}
	if q < 0 {
		return math.Inf(-1)
	}
	if q > 1 {
		return math.Inf(1)
	}
	sort.Float64s(vs)
	rank := q * float64(len(vs)-1)
	lo := math.Floor(rank)
	hi := math.Ceil(rank)
	w := rank - lo
	return vs[int(lo)]*(1-w) + vs[int(hi)]*w
}

// counterRate is Prometheus' extrapolated rate of a counter over the window (from, to].
func counterRate(w []sample, from, to int64) float64 {
	if len(w) < 2 {
		return 0
	}
	delta := w[len(w)-1].v - w[0].v
	for i := 1; i < len(w); i++ {
		if w[i].v < w[i-1].v {
			delta += w[i-1].v // counter reset
		}
	}
	first, last := float64(w[0].ts)/1e9, float64(w[len(w)-1].ts)/1e9
	start, end := float64(from)/1e9, float64(to)/1e9
	sampled := last - first
	avg := sampled / float64(len(w)-1)
	toStart, toEnd := first-start, end-last
	if delta > 0 && w[0].v >= 0 {
		// A counter is never negative: extrapolate backwards no further than where the
		// slope reaches zero (Prometheus and Loki both cap it so).
		toStart = math.Min(toStart, sampled*(w[0].v/delta))
	}
	ext := sampled
	if toStart < avg*1.1 {
		ext += toStart
	} else {
		ext += avg / 2
	}
	if toEnd < avg*1.1 {
		ext += toEnd
	} else {
		ext += avg / 2
	}
	if sampled == 0 {
		return 0
	}
	return delta * (ext / sampled) / (end - start)
}

// absentLabels are the labels of absent_over_time's series: one per label name matched
// only once and by equality. A name that another matcher also constrains ({app="a",
// app!="b"}) gets no label, as in Loki, since no single value is implied.
func absentLabels(ms []*labels.Matcher) labels.Labels {
	eq := map[string]string{}
	ambiguous := map[string]bool{}
	for _, m := range ms {
		if _, seen := eq[m.Name]; m.Type == labels.MatchEqual && !seen {
			eq[m.Name] = m.Value
			continue
		}
		ambiguous[m.Name] = true
	}
	var ls []labels.Label
	for n, v := range eq {
		if !ambiguous[n] {
			ls = append(ls, labels.Label{Name: n, Value: v})
		}
	}
	return labels.New(ls...)
}
