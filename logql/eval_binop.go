package logql

import (
	"context"
	"errors"
	"math"

	"github.com/jetlog/jetlog/logql/syntax"
	"github.com/jetlog/jetlog/schemas/labels"
)

// sides evaluates both sides of b, at once when both read storage: their reads then start
// together, so that under store.Share they take one snapshot and one fetch of the bus
// tail, and the two sides see the same entries. The first error stops the other side.
func (ev *evaluator) sides(ctx context.Context, b *syntax.BinOpExpr) (l, r *value, err error) {
	_, lit := b.LHS.(*syntax.LiteralExpr)
	_, rit := b.RHS.(*syntax.LiteralExpr)
	if lit || rit {
		if l, err = ev.eval(ctx, b.LHS); err == nil {
			r, err = ev.eval(ctx, b.RHS)
		}
		return l, r, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	rev := &evaluator{e: ev.e, p: ev.p, steps: ev.steps} // the right side's stats
	var rerr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		if r, rerr = rev.eval(ctx, b.RHS); rerr != nil {
			cancel()
		}
	}()
	if l, err = ev.eval(ctx, b.LHS); err != nil {
		cancel()
	}
	<-done
	ev.lines += rev.lines
	ev.bytes += rev.bytes
	if err == nil || errors.Is(err, context.Canceled) && rerr != nil {
		err = rerr // the side that failed first, not the one it stopped
	}
	return l, r, err
}

func (ev *evaluator) binOp(ctx context.Context, b *syntax.BinOpExpr) (*value, error) {
	l, r, err := ev.sides(ctx, b)
	if err != nil {
		return nil, err
	}
	n := len(ev.steps)
	switch {
	case l.scalar != nil && r.scalar != nil:
		out := make([]float64, n)
		for i := range out {
			v, keep := arith(b.Op, l.scalar[i], r.scalar[i], true)
			if !keep {
				v = math.NaN()
			}
			out[i] = v
		}
		return &value{scalar: out}, nil
	case l.scalar != nil || r.scalar != nil:
		vec, sc, scalarLeft := r, l.scalar, true
		if r.scalar != nil {
			vec, sc, scalarLeft = l, r.scalar, false
		}
		out := &value{}
		for _, s := range vec.series {
			o := ev.newSeries(s.labels) // Loki ignores matching against a literal
			for i := range ev.steps {
				if !s.has[i] {
					continue
				}
				a, c := s.vals[i], sc[i]
				if scalarLeft {
					a, c = c, a
				}
				v, keep := arith(b.Op, a, c, b.Opts.ReturnBool)
				if !keep {
					continue
				}
				if isComparison(b.Op) && !b.Opts.ReturnBool {
					v = s.vals[i] // a filtering comparison keeps the vector's value
				}
				o.vals[i], o.has[i] = v, true
			}
			out.series = append(out.series, o)
		}
		return out, nil
	}
	switch b.Op {
	case syntax.OpAnd, syntax.OpOr, syntax.OpUnless:
		return ev.setOp(b, l, r), nil
	}
	return ev.vectorMatch(b, l, r)
}

func isComparison(op string) bool {
	switch op {
	case syntax.OpEq, syntax.OpNe, syntax.OpGt, syntax.OpGe, syntax.OpLt, syntax.OpLe:
		return true
	}
	return false
}

// arith applies op; for comparisons keep reports whether the sample survives (always, as
// 0/1, with bool).
func arith(op string, a, b float64, returnBool bool) (float64, bool) {
	switch op {
	case syntax.OpAdd:
		return a + b, true
	case syntax.OpSub:
		return a - b, true
	case syntax.OpMul:
		return a * b, true
	case syntax.OpDiv:
		if b == 0 {
			return math.NaN(), true // Loki's answer, where Prometheus gives ±Inf
		}
		return a / b, true
	case syntax.OpMod:
		return math.Mod(a, b), true
	case syntax.OpPow:
		return math.Pow(a, b), true
	}
	var t bool
	switch op {
	case syntax.OpEq:
		t = a == b
	case syntax.OpNe:
		t = a != b
	case syntax.OpGt:
		t = a > b
	case syntax.OpGe:
		t = a >= b
	case syntax.OpLt:
		t = a < b
	case syntax.OpLe:
		t = a <= b
	}
	if returnBool {
		if t {
			return 1, true
		}
		return 0, true
	}
	return a, t
}

// signature is the part of a series' labels that vector matching compares.
func signature(ls labels.Labels, m *syntax.VectorMatching) string {
	if m == nil {
		return ls.String()
	}
	if m.On {
		return ls.Only(m.Labels...).String()
	}
	return ls.Without(m.Labels...).String()
}

// resultLabels are the labels of a vector-vector result, as Loki's resultMetric makes them
// (comparisons included): the "many" side's labels, reduced to the on() labels or without
// the ignoring() ones for one-to-one matching, with group_x(labels) copied from the "one"
// side (removed where that side lacks them).
func resultLabels(many, one labels.Labels, m *syntax.VectorMatching) labels.Labels {
	if m == nil {
		return many
	}
	ls := many
	if m.Card == syntax.OneToOne {
		if m.On {
			ls = ls.Only(m.Labels...)
		} else {
			ls = ls.Without(m.Labels...)
		}
	}
	if len(m.Include) == 0 {
		return ls
	}
	ls = ls.Without(m.Include...)
	return labels.Merge(ls, one.Only(m.Include...))
}

// vectorMatch pairs the samples of two vectors step by step, with Loki's errors when a
// signature is not unique where it must be.
func (ev *evaluator) vectorMatch(b *syntax.BinOpExpr, l, r *value) (*value, error) {
	m := b.Opts.Matching
	grouped := m != nil && m.Card != syntax.OneToOne
	one, many, swapped := r, l, false // one side is indexed by signature
	if m != nil && m.Card == syntax.OneToMany {
		one, many, swapped = l, r, true
	}
	oneSigs, manySigs := signatures(one.series, m), signatures(many.series, m)
	out := &value{}
	byLabels := map[string]*series{}
	for i := range ev.steps {
		idx := map[string]*series{}
		for j, s := range one.series {
			if !s.has[i] {
				continue
			}
			if idx[oneSigs[j]] != nil {
				side := "right"
				if swapped {
					side = "left"
				}
				return nil, NewUserError("found duplicate series on the " + side + " hand-side;many-to-many matching not allowed: matching labels must be unique on one side")
			}
			idx[oneSigs[j]] = s
		}
		matched := map[string]bool{}
		for j, s := range many.series {
			o := idx[manySigs[j]]
			if !s.has[i] || o == nil {
				continue
			}
			ls := resultLabels(s.labels, o.labels, m)
			key, k := manySigs[j], ls.String()
			if grouped {
				key += k
			}
			if matched[key] {
				if grouped {
					return nil, NewUserError("multiple matches for labels: grouping labels must ensure unique matches")
				}
				return nil, NewUserError("multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)")
			}
			matched[key] = true
			a, c := s.vals[i], o.vals[i]
			if swapped {
				a, c = c, a
			}
			v, keep := arith(b.Op, a, c, b.Opts.ReturnBool)
			if !keep {
				continue
			}
			res := byLabels[k]
			if res == nil {
				res = ev.newSeries(ls)
				byLabels[k] = res
				out.series = append(out.series, res)
			}
			res.vals[i], res.has[i] = v, true
		}
	}
	return out, nil
}

func signatures(ss []*series, m *syntax.VectorMatching) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = signature(s.labels, m)
	}
	return out
}

func (ev *evaluator) setOp(b *syntax.BinOpExpr, l, r *value) *value {
	m := b.Opts.Matching
	present := make([]map[string]bool, len(ev.steps))
	for i := range present {
		present[i] = map[string]bool{}
	}
	for _, s := range r.series {
		sig := signature(s.labels, m)
		for i := range ev.steps {
			if s.has[i] {
				present[i][sig] = true
			}
		}
	}
	out := &value{}
	lsigs := make([]map[string]bool, len(ev.steps))
	for i := range lsigs {
		lsigs[i] = map[string]bool{}
	}
	for _, s := range l.series {
		sig := signature(s.labels, m)
		o := ev.newSeries(s.labels)
		for i := range ev.steps {
			if !s.has[i] {
				continue
			}
			lsigs[i][sig] = true
			keep := true
			switch b.Op {
			case syntax.OpAnd:
				keep = present[i][sig]
			case syntax.OpUnless:
				keep = !present[i][sig]
			}
			if keep {
				o.vals[i], o.has[i] = s.vals[i], true
			}
		}
		out.series = append(out.series, o)
	}
	if b.Op == syntax.OpOr {
		for _, s := range r.series {
			sig := signature(s.labels, m)
			o := ev.newSeries(s.labels)
			for i := range ev.steps {
				if s.has[i] && !lsigs[i][sig] {
					o.vals[i], o.has[i] = s.vals[i], true
				}
			}
			out.series = append(out.series, o)
		}
	}
	return out
}
