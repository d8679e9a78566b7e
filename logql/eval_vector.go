package logql

import (
	"context"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strings"

	"github.com/jetlog/jetlog/logql/syntax"
	"github.com/jetlog/jetlog/schemas/labels"
)

func (ev *evaluator) vectorAgg(ctx context.Context, va *syntax.VectorAggregationExpr) (*value, error) {
	if ra, ok := pushableSum(va); ok {
		// sum by (x) of an additive range aggregation equals the range aggregation over the
		// samples pooled by x: the extractor then keeps only x (and what filters need)
		// instead of one series per distinct full label set.
		pushed := *ra
		pushed.Grouping = va.Grouping
		if pushed.Grouping == nil {
			pushed.Grouping = &syntax.Grouping{} // sum() keeps no label: by ()
		}
		return ev.rangeAgg(ctx, &pushed)
	}
	in, err := ev.eval(ctx, va.Left)
	if err != nil {
		return nil, err
	}
	if in.scalar != nil {
		return nil, NewUserError("vector aggregation over a scalar is not supported")
	}
	switch va.Op {
	case syntax.OpTopK, syntax.OpBottomK:
		return ev.topk(in, va), nil
	case syntax.OpSort, syntax.OpSortDesc:
		return ev.sortVec(in, va.Op == syntax.OpSortDesc), nil
	}
	type grp struct {
		s     *series
		n     []float64
		mean  []float64
		m2    []float64
		order int
	}
	groups := map[string]*grp{}
	var order []*grp
	for _, s := range in.series {
		ls := group(s.labels, va.Grouping)
		if va.Grouping == nil {
			ls = labels.Labels{}
		}
		k := ls.String()
		g := groups[k]
		if g == nil {
			n := len(ev.steps)
			g = &grp{s: ev.newSeries(ls), n: make([]float64, n), mean: make([]float64, n), m2: make([]float64, n)}
			groups[k] = g
			order = append(order, g)
		}
		for i := range ev.steps {
			if !s.has[i] {
				continue
			}
			v := s.vals[i]
			first := !g.s.has[i]
			g.s.has[i] = true
			g.n[i]++
			delta := v - g.mean[i]
			g.mean[i] += delta / g.n[i]
			g.m2[i] += delta * (v - g.mean[i])
			switch va.Op {
			case syntax.OpSum, syntax.OpAvg:
				g.s.vals[i] += v
			case syntax.OpMin:
				if first || v < g.s.vals[i] || math.IsNaN(g.s.vals[i]) {
					g.s.vals[i] = v
				}
			case syntax.OpMax:
				if first || v > g.s.vals[i] || math.IsNaN(g.s.vals[i]) {
					g.s.vals[i] = v
				}
			case syntax.OpCount:
				g.s.vals[i]++
			}
		}
	}
	out := &value{}
	for _, g := range order {
		for i := range ev.steps {
			if !g.s.has[i] {
				continue
			}
			switch va.Op {
			case syntax.OpAvg:
				g.s.vals[i] = g.mean[i]
			case syntax.OpStdvar:
				g.s.vals[i] = g.m2[i] / g.n[i]
			case syntax.OpStddev:
				g.s.vals[i] = math.Sqrt(g.m2[i] / g.n[i])
			}
		}
		out.series = append(out.series, g.s)
	}
	return out, nil
}

// topk keeps, per step and group, the k largest (or smallest) series values.
func (ev *evaluator) topk(in *value, va *syntax.VectorAggregationExpr) *value {
	outBy := map[*series]*series{}
	var order []*series
	for i := range ev.steps {
		groups := map[string][]*series{}
		for _, s := range in.series {
			if s.has[i] {
				k := group(s.labels, va.Grouping).String()
				if va.Grouping == nil {
					k = ""
				}
				groups[k] = append(groups[k], s)
			}
		}
		for _, ss := range groups {
			sort.SliceStable(ss, func(a, b int) bool {
				if va.Op == syntax.OpTopK {
					return ss[a].vals[i] > ss[b].vals[i]
				}
				return ss[a].vals[i] < ss[b].vals[i]
			})
			for _, s := range ss[:min(va.Param, len(ss))] {
				o := outBy[s]
				if o == nil {
					o = ev.newSeries(s.labels)
					outBy[s] = o
					order = append(order, o)
				}
				o.vals[i], o.has[i] = s.vals[i], true
			}
		}
	}
	return &value{series: order}
}

func (ev *evaluator) sortVec(in *value, desc bool) *value {
	ss := append([]*series(nil), in.series...)
	last := len(ev.steps) - 1
	sort.SliceStable(ss, func(a, b int) bool {
		if desc {
			return ss[a].vals[last] > ss[b].vals[last]
		}
		return ss[a].vals[last] < ss[b].vals[last]
	})
	return &value{series: ss, sorted: true}
}

// labelReplaceSlack: label_replace may make a value at most twice as long as its source plus
// this many bytes (line_format templates have the same bound). "$1" written 60,000 times over a
// label extracted from a long line would otherwise ask for gigabytes, and an allocation that
// fails kills the process.
const labelReplaceSlack = 64 << 10

func (ev *evaluator) labelReplace(ctx context.Context, x *syntax.LabelReplaceExpr) (*value, error) {
	in, err := ev.eval(ctx, x.Left)
	if err != nil {
		return nil, err
	}
	re, err := regexp.Compile("^(?s:" + x.Regex + ")$")
	if err != nil {
		return nil, NewUserError("invalid regular expression in label_replace(): " + x.Regex)
	}
	if in.scalar != nil {
		return in, nil
	}
	// Expanding against empty groups leaves the literal part of the replacement; each $
	// reference adds at most the whole source value.
	literal := len(re.ExpandString(nil, x.Replacement, "", make([]int, 2*(re.NumSubexp()+1))))
	refs := strings.Count(x.Replacement, "$")
	out := &value{}
	for _, s := range in.series {
		src := s.labels.Get(x.Src)
		idx := re.FindStringSubmatchIndex(src)
		if idx == nil {
			out.series = append(out.series, s)
			continue
		}
		if n, limit := literal+refs*len(src), labelReplaceSlack+2*len(src); n > limit {
			return nil, NewUserError(fmt.Sprintf("label_replace(): the replacement would build a value of up to %d bytes from the %d bytes of label %s, over the limit of %d bytes", n, len(src), x.Src, limit))
		}
		v := string(re.ExpandString(nil, x.Replacement, src, idx))
		ls := s.labels.Without(x.Dst)
		if v != "" {
			ls = labels.Merge(ls, labels.Labels{{Name: x.Dst, Value: v}})
		}
		ns := *s
		ns.labels = ls
		out.series = append(out.series, &ns)
	}
	return out, nil
}

// pushableSum reports whether va is sum by (...) directly over an additive range aggregation
// that has no grouping of its own.
func pushableSum(va *syntax.VectorAggregationExpr) (*syntax.RangeAggregationExpr, bool) {
	if va.Op != syntax.OpSum || va.Grouping != nil && va.Grouping.Without {
		return nil, false
	}
	ra, ok := va.Left.(*syntax.RangeAggregationExpr)
	if !ok || ra.Grouping != nil {
		return nil, false
	}
	switch ra.Op {
	case syntax.OpCountOverTime, syntax.OpRate, syntax.OpBytesOverTime, syntax.OpBytesRate, syntax.OpSumOverTime:
		return ra, true
	}
	return nil, false
}
