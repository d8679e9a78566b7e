package logql

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"time"

	"github.com/jetlog/jetlog/logql/syntax"
	"github.com/jetlog/jetlog/schemas/labels"
)

// EngineConfig bounds what one query may hold in memory. The user-facing, per-tenant limits
// (max_query_series and friends) are the querier's; this is the process's safety net.
type EngineConfig struct {
	MaxSeries int `yaml:"max_series"`
}

// RegisterFlags sets defaults and registers flags.
func (c *EngineConfig) RegisterFlags(f *flag.FlagSet) {
	f.IntVar(&c.MaxSeries, "engine.max-series", 100000, "Most series one metric query may build in memory (the per-tenant result limit is -querier.max-query-series).")
}

// Validate reports every problem.
func (c *EngineConfig) Validate() error {
	if c.MaxSeries <= 0 {
		return errors.New("-engine.max-series must be positive")
	}
	return nil
}

// Engine evaluates LogQL over a Querier: log queries keep the limit entries first in the
// query's direction with a bounded heap; metric queries read every sample the steps need once
// and slide each step's window over them (evaluation files: eval_log.go, eval_range.go,
// eval_vector.go, eval_binop.go).
type Engine struct {
	cfg    EngineConfig
	q      Querier
	logger *slog.Logger
}

// NewEngine returns an engine reading from q.
func NewEngine(cfg EngineConfig, q Querier, logger *slog.Logger) *Engine {
	if logger == nil {
		logger = slog.Default()
	}
	return &Engine{cfg: cfg, q: q, logger: logger}
}

// Query parses and evaluates one query.
func (e *Engine) Query(ctx context.Context, p Params) (Result, error) {
	start := time.Now()
	expr, err := syntax.ParseExpr(p.Query)
	if err != nil {
		return Result{}, err
	}
	ev := &evaluator{e: e, p: p}
	var res Result
	switch x := expr.(type) {
	case *syntax.LogSelectorExpr:
		if p.Instant {
			return Result{}, NewUserError("log queries are not supported as an instant query type, please change your query to a range query type")
		}
		streams, err := ev.logs(ctx, x)
		if err != nil {
			return Result{}, err
		}
		res = Result{Type: ResultStreams, Value: streams}
		for _, s := range streams {
			res.Stats.TotalEntriesReturned += int64(len(s.Entries))
		}
	case syntax.SampleExpr:
		ev.steps = steps(p)
		v, err := ev.eval(ctx, x)
		if err != nil {
			return Result{}, err
		}
		if res, err = ev.result(v); err != nil {
			return Result{}, err
		}
	default:
		return Result{}, NewUserError(fmt.Sprintf("unsupported query %q", p.Query))
	}
	res.Stats.TotalLinesProcessed = ev.lines
	res.Stats.TotalBytesProcessed = ev.bytes
	res.Stats.ExecTimeSeconds = time.Since(start).Seconds()
	return res, nil
}

// steps lists the evaluation times (Unix ns): start..end by step, or start alone.
func steps(p Params) []int64 {
	s, e := p.Start.UnixNano(), p.End.UnixNano()
	if p.Instant || p.Step <= 0 {
		return []int64{e}
	}
	var out []int64
	for t := s; t <= e; t += int64(p.Step) {
		out = append(out, t)
	}
	return out
}

func seriesLimitError(n int) error {
	return NewUserError(fmt.Sprintf("maximum of series (%d) reached for a single query", n))
}

// result turns a value over steps into the API's result shape.
func (ev *evaluator) result(v *value) (Result, error) {
	if v.scalar != nil {
		i := len(ev.steps) - 1
		if ev.p.Instant {
			return Result{Type: ResultScalar, Value: Scalar{T: ev.steps[i] / 1e6, V: v.scalar[i]}}, nil
		}
		s := Series{}
		for i, t := range ev.steps {
			s.Points = append(s.Points, Point{T: t / 1e6, V: v.scalar[i]})
		}
		return Result{Type: ResultMatrix, Value: Matrix{s}}, nil
	}
	if len(v.series) > ev.e.cfg.MaxSeries {
		return Result{}, seriesLimitError(ev.e.cfg.MaxSeries)
	}
	for _, s := range v.series {
		if err := pipelineError(s); err != nil {
			return Result{}, err
		}
	}
	series := append([]*series(nil), v.series...)
	if ev.p.Instant {
		vec := Vector{}
		for _, s := range series {
			if s.has[0] {
				vec = append(vec, Sample{Metric: s.labels, T: ev.steps[0] / 1e6, V: s.vals[0]})
			}
		}
		if !v.sorted {
			sort.SliceStable(vec, func(i, j int) bool { return labels.Compare(vec[i].Metric, vec[j].Metric) < 0 })
		}
		return Result{Type: ResultVector, Value: vec}, nil
	}
	sort.SliceStable(series, func(i, j int) bool { return labels.Compare(series[i].labels, series[j].labels) < 0 })
	m := Matrix{}
	for k := 0; k < len(series); {
		// Series with equal labels are one series of the matrix, as Loki joins step
		// vectors by labels: `x or vector(0)` fills x's gaps within one series.
		n := k + 1
		for n < len(series) && labels.Compare(series[n].labels, series[k].labels) == 0 {
			n++
		}
		out := Series{Metric: series[k].labels}
		for i, t := range ev.steps {
			for _, s := range series[k:n] {
				if s.has[i] {
					out.Points = append(out.Points, Point{T: t / 1e6, V: s.vals[i]})
					break
				}
			}
		}
		if len(out.Points) > 0 {
			m = append(m, out)
		}
		k = n
	}
	return Result{Type: ResultMatrix, Value: m}, nil
}

// pipelineError is Loki's error for a series that carries __error__ at some step: errors
// are not allowed in metrics unless a label filter or drop removed them.
func pipelineError(s *series) error {
	e := s.labels.Get("__error__")
	if e == "" || !slices.Contains(s.has, true) {
		return nil
	}
	return NewUserError(fmt.Sprintf("pipeline error: '%s' for series: '%s'.\nUse a label filter to intentionally skip this error. (e.g | __error__!=\"%s\").\nTo skip all potential errors you can match empty errors.(e.g __error__=\"\")\nThe label filter can also be specified after unwrap. (e.g | unwrap latency | __error__=\"\" )\n", e, s.labels, e))
}
