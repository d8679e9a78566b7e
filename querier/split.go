package querier

import (
	"context"
	"errors"
	"runtime"
	"sort"
	"sync"

	"github.com/jetlog/jetlog/logql"
	"github.com/jetlog/jetlog/logql/syntax"
	"github.com/jetlog/jetlog/schemas/labels"
	"github.com/jetlog/jetlog/store"
)

// Splitting a range query by time (Loki's split_queries_by_interval): the range is cut at
// multiples of the interval and the pieces run as sub-queries, a few at once, merged
// exactly:
//   - a metric query is evaluated at each step independently of the other steps, so the
//     steps are shared out among the pieces and the pieces' matrices joined by series;
//   - a log query's pieces partition [start, end); each keeps its limit entries first in
//     the direction, the merge keeps the limit first of them all. Pieces are started
//     nearest the direction's end first, and those left are cancelled once the pieces
//     before them hold limit entries, since older (or, forward, newer) entries cannot
//     make the cut.
//
// Cancellation reaches every piece through ctx: a client going away (499) or the timeout
// (504) stops them all, and the first error of a piece cancels its siblings.

// query runs p, split by time when cfg says so. The reads of one query share a snapshot
// and the bus tail (store.Share): a binary operation's sides, or the pieces of a split.
func (a *API) query(ctx context.Context, p logql.Params) (logql.Result, error) {
	whole := func() (logql.Result, error) { return a.eng.Query(store.Share(ctx), p) }
	if a.cfg.SplitQueriesByInterval <= 0 || p.Instant {
		return whole()
	}
	expr, err := syntax.ParseExpr(p.Query)
	if err != nil {
		return whole() // the engine reports it
	}
	_, isLog := expr.(*syntax.LogSelectorExpr)
	if isLog && p.Interval > 0 {
		// An interval samples entries from the start on: pieces would sample elsewhere.
		return whole()
	}
	pieces := a.split(p, isLog)
	if len(pieces) <= 1 {
		return whole()
	}
	if isLog && p.Direction == logql.Backward {
		// Newest first.
		for i, j := 0, len(pieces)-1; i < j; i, j = i+1, j-1 {
			pieces[i], pieces[j] = pieces[j], pieces[i]
		}
	}
	results, err := a.runPieces(ctx, pieces, isLog, p.Limit)
	if err != nil {
		return logql.Result{}, err
	}
	return mergePieces(results, isLog, p), nil
}

// split cuts p into sub-queries at multiples of the interval; nil when it is not split.
func (a *API) split(p logql.Params, isLog bool) []logql.Params {
	iv := a.cfg.SplitQueriesByInterval
	if !p.End.After(p.Start) || (!isLog && p.Step <= 0) {
		return nil
	}
	var out []logql.Params
	if !isLog {
		// Steps t = start + k*step, shared out by the interval t falls in.
		for t := p.Start; !t.After(p.End); {
			boundary := t.Truncate(iv).Add(iv)
			last := t
			for n := last.Add(p.Step); n.Before(boundary) && !n.After(p.End); n = n.Add(p.Step) {
				last = n
			}
			q := p
			q.Start, q.End = t, last
			out = append(out, q)
			t = last.Add(p.Step)
		}
		return out
	}
	for t := p.Start; t.Before(p.End); {
		next := t.Truncate(iv).Add(iv)
		if next.After(p.End) {
			next = p.End
		}
		q := p
		q.Start, q.End = t, next
		out = append(out, q)
		t = next
	}
	return out
}

// maxConcurrentPieces bounds the sub-queries of one query running at once: each already
// scans objects on several goroutines.
func (a *API) maxConcurrentPieces() int {
	return max(1, min(a.cfg.MaxQueryParallelism, 2*runtime.GOMAXPROCS(0)))
}

type pieceResult struct {
	res  logql.Result
	err  error
	done bool
}

// runPieces runs the pieces in order with bounded concurrency. For log queries, pieces
// after a finished prefix holding limit entries are cancelled and left out.
func (a *API) runPieces(ctx context.Context, pieces []logql.Params, isLog bool, limit int) ([]logql.Result, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// One snapshot for all pieces, and one fetch of the bus tail (see store.Share), which
	// cancel stops too.
	ctx = store.Share(ctx)
	results := make([]pieceResult, len(pieces))
	cancels := make([]context.CancelFunc, len(pieces))
	var mu sync.Mutex
	enough := len(pieces) // pieces [enough:] are not needed
	sem := make(chan struct{}, a.maxConcurrentPieces())
	var wg sync.WaitGroup
	var firstErr error
	for i := range pieces {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		mu.Lock()
		stop := i >= enough || firstErr != nil || ctx.Err() != nil
		var pctx context.Context
		if !stop {
			pctx, cancels[i] = context.WithCancel(ctx)
		}
		mu.Unlock()
		if stop {
			break
		}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			res, err := a.eng.Query(pctx, pieces[i])
			mu.Lock()
			defer mu.Unlock()
			if i >= enough {
				return // cancelled on purpose: its entries cannot make the cut
			}
			results[i] = pieceResult{res: res, err: err, done: true}
			if err != nil {
				if firstErr == nil {
					firstErr = err
				}
				cancel()
				return
			}
			if !isLog || limit <= 0 {
				return
			}
			// The finished prefix: once it holds limit entries, later pieces are not needed.
			n := 0
			for j := 0; j < len(results) && results[j].done; j++ {
				n += entries(results[j].res)
				if n >= limit && j+1 < enough {
					enough = j + 1
					for k := enough; k < len(cancels); k++ {
						if cancels[k] != nil {
							cancels[k]()
						}
					}
					break
				}
			}
		}(i)
	}
	wg.Wait()
	for _, c := range cancels {
		if c != nil {
			c()
		}
	}
	if firstErr != nil {
		return nil, firstErr
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := make([]logql.Result, 0, enough)
	for i := 0; i < enough; i++ {
		if !results[i].done {
			return nil, errors.New("query piece did not run")
		}
		out = append(out, results[i].res)
	}
	return out, nil
}

func entries(r logql.Result) int {
	n := 0
	if ss, ok := r.Value.(logql.Streams); ok {
		for _, s := range ss {
			n += len(s.Entries)
		}
	}
	return n
}

// mergePieces joins the pieces' results as the unsplit query would have answered.
func mergePieces(rs []logql.Result, isLog bool, p logql.Params) logql.Result {
	var out logql.Result
	for _, r := range rs {
		out.Stats = mergeStats(out.Stats, r.Stats)
		if out.Type == "" {
			out.Type = r.Type
		}
	}
	if isLog {
		var parts [][]logql.Stream
		for _, r := range rs {
			ss, _ := r.Value.(logql.Streams)
			parts = append(parts, ss)
		}
		ss := logql.Streams(joinByLabels(parts, func(s *logql.Stream) labels.Labels { return s.Labels },
			func(dst, src *logql.Stream) { dst.Entries = append(dst.Entries, src.Entries...) }))
		for _, s := range ss {
			sort.SliceStable(s.Entries, func(i, j int) bool {
				if p.Direction == logql.Forward {
					return s.Entries[i].Timestamp < s.Entries[j].Timestamp
				}
				return s.Entries[i].Timestamp > s.Entries[j].Timestamp
			})
		}
		out.Value = limitStreams(ss, p.Limit, p.Direction)
		out.Stats.TotalEntriesReturned = int64(entries(logql.Result{Value: out.Value}))
		return out
	}
	var parts [][]logql.Series
	for _, r := range rs {
		m, _ := r.Value.(logql.Matrix)
		parts = append(parts, m)
	}
	out.Value = logql.Matrix(joinByLabels(parts, func(s *logql.Series) labels.Labels { return s.Metric },
		func(dst, src *logql.Series) { dst.Points = append(dst.Points, src.Points...) }))
	out.Type = logql.ResultMatrix
	return out
}

// joinByLabels joins the items of the parts that have equal labels (join appends src's
// contents to dst, the first one seen) and returns them ordered by labels.
func joinByLabels[T any](parts [][]T, lbls func(*T) labels.Labels, join func(dst, src *T)) []T {
	var out []T
	at := map[string]int{}
	for _, part := range parts {
		for i := range part {
			k := lbls(&part[i]).String()
			j, ok := at[k]
			if !ok {
				at[k] = len(out)
				out = append(out, part[i])
				continue
			}
			join(&out[j], &part[i])
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return labels.Compare(lbls(&out[i]), lbls(&out[j])) < 0 })
	return out
}
