package logql

import (
	"context"

	"github.com/jetlog/jetlog/internal/minutes"
	"github.com/jetlog/jetlog/logql/log"
	"github.com/jetlog/jetlog/logql/syntax"
)

const minute = minutes.Nanos

// countableByMinute reports whether ra's windows can be summed from per-minute counts: an
// additive count without pipeline, range, offset and step whole minutes. With minutes
// shifted to start where the first step's minute does (CountParams.Offset), a window
// (t-range-offset, t-offset] is then the minutes [t-range-offset, t-offset) without the
// entries at the first instant plus those at the last.
func (ev *evaluator) countableByMinute(ra *syntax.RangeAggregationExpr, mode log.SampleMode) bool {
	lr := ra.Left
	if len(lr.Left.Pipeline) > 0 || !windowedOp(ra.Op, mode) {
		return false
	}
	rng, off := int64(lr.Interval), int64(lr.Offset)
	if rng <= 0 || rng%minute != 0 || off%minute != 0 {
		return false
	}
	return len(ev.steps) == 1 || (ev.steps[1]-ev.steps[0])%minute == 0
}

// countByMinute fills accumulators from storage's per-minute counts. It returns the label
// hashes of the streams storage could not count (to be read instead), and false when
// storage cannot count at all.
func (ev *evaluator) countByMinute(ctx context.Context, ra *syntax.RangeAggregationExpr, accs map[string]*acc) ([]uint64, bool, error) {
	mc, ok := ev.e.q.(MinuteCounter)
	if !ok {
		return nil, false, nil
	}
	rng, off := int64(ra.Left.Interval), int64(ra.Left.Offset)
	// Every window starts and ends this far into a minute; minute m stands for the
	// shifted minute [m*minute+shift, (m+1)*minute+shift).
	shift := ev.steps[0] - minutes.Of(ev.steps[0])*minute
	from := minutes.Of(ev.steps[0] - rng - off)
	through := minutes.Of(ev.steps[len(ev.steps)-1] - off)
	res, err := mc.CountMinutes(ctx, CountParams{Tenant: ev.p.Tenant, Matchers: ra.Left.Left.Matchers, From: from, Through: through, Offset: shift})
	if err != nil || res == nil {
		return nil, false, err
	}
	n := int(through - from + 1)
	pe, pb := make([]int64, n+1), make([]int64, n+1) // prefix sums
	for _, st := range res.Streams {
		if len(st.Entries) != n || len(st.Bytes) != n || len(st.StartEntries) != n || len(st.StartBytes) != n {
			return nil, false, nil
		}
		for i := 0; i < n; i++ {
			pe[i+1], pb[i+1] = pe[i]+st.Entries[i], pb[i]+st.Bytes[i]
		}
		ev.lines += pe[n]
		ev.bytes += pb[n]
		ls := group(st.Labels, ra.Grouping)
		k := ls.String()
		a := accs[k]
		if a == nil {
			a = &acc{labels: ls.Copy(), cnt: make([]float64, len(ev.steps)), sum: make([]float64, len(ev.steps))}
			accs[k] = a
		}
		for i, t := range ev.steps {
			lo, hi := int(minutes.Of(t-rng-off)-from), int(minutes.Of(t-off)-from)
			a.cnt[i] += float64(pe[hi] - pe[lo] - st.StartEntries[lo] + st.StartEntries[hi])
			a.sum[i] += float64(pb[hi] - pb[lo] - st.StartBytes[lo] + st.StartBytes[hi])
		}
	}
	return res.Rest, true, nil
}

// mergeAccs adds src's accumulators into dst.
func mergeAccs(dst, src map[string]*acc) {
	for k, a := range src {
		o := dst[k]
		if o == nil {
			dst[k] = a
			continue
		}
		o.samples = append(o.samples, a.samples...)
		for i := range a.cnt {
			o.cnt[i] += a.cnt[i]
			o.sum[i] += a.sum[i]
		}
	}
}
