package querier

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/jetlog/jetlog/logql"
	"github.com/jetlog/jetlog/logql/syntax"
	"github.com/jetlog/jetlog/schemas/labels"
)

const encodingFlagsHeader = "X-Loki-Response-Encoding-Flags"

func (a *API) handleRangeQuery(w http.ResponseWriter, r *http.Request) error {
	tenants, lim, err := a.requestTenants(r)
	if err != nil {
		return err
	}
	p, expr, err := a.rangeParams(r, lim)
	if err != nil {
		return err
	}
	return a.runQuery(w, r, p, expr, tenants, lim)
}

func (a *API) handleInstantQuery(w http.ResponseWriter, r *http.Request) error {
	tenants, lim, err := a.requestTenants(r)
	if err != nil {
		return err
	}
	p, expr, err := a.instantParams(r, lim)
	if err != nil {
		return err
	}
	return a.runQuery(w, r, p, expr, tenants, lim)
}

// categorizeLabels reports whether the client asked for categorized labels.
func categorizeLabels(r *http.Request) bool {
	for _, v := range r.Header.Values(encodingFlagsHeader) {
		for _, f := range strings.Split(v, ",") {
			if strings.TrimSpace(f) == "categorize-labels" {
				return true
			}
		}
	}
	return false
}

// runQuery runs p for the request's tenants under the query timeout and writes the result.
func (a *API) runQuery(w http.ResponseWriter, r *http.Request, p logql.Params, expr syntax.Expr, tenants []string, lim Limits) error {
	p.CategorizeLabels = categorizeLabels(r)
	if len(tenants) > 1 {
		switch multiTenantMode(expr) {
		case once:
			tenants = tenants[:1]
		case unsupported:
			return badRequest(msgMultiTenantUnsupported)
		}
	}
	ctx, cancel := context.WithTimeout(r.Context(), lim.QueryTimeout)
	defer cancel()
	start := time.Now()
	res, err := a.queryTenants(ctx, p, tenants)
	if err != nil {
		return err
	}
	fillStats(&res, time.Since(start))
	if err := checkSeries(res, lim); err != nil {
		return err
	}
	return writeQueryResponse(w, res, p.CategorizeLabels)
}

// queryTenants runs p once per tenant. With several tenants every stream and series gets
// the __tenant_id__ label, as Loki's multi-tenant queries do, and log results are cut
// back to the limit in the query's direction. Callers check multiTenantMode first.
func (a *API) queryTenants(ctx context.Context, p logql.Params, tenants []string) (logql.Result, error) {
	if len(tenants) == 1 {
		p.Tenant = tenants[0]
		res, err := a.query(ctx, p)
		if err != nil {
			return logql.Result{}, fmt.Errorf("query tenant %s: %w", p.Tenant, err)
		}
		return res, nil
	}
	var out logql.Result
	for _, t := range tenants {
		p.Tenant = t
		res, err := a.query(ctx, p)
		if err != nil {
			return logql.Result{}, fmt.Errorf("query tenant %s: %w", t, err)
		}
		out.Stats = mergeStats(out.Stats, res.Stats)
		tl := labels.Label{Name: tenantLabel, Value: t}
		out.Type = res.Type
		switch v := res.Value.(type) {
		case logql.Streams:
			acc, _ := out.Value.(logql.Streams)
			for _, s := range v {
				s.Labels = labels.Merge(s.Labels, labels.Labels{tl})
				acc = append(acc, s)
			}
			out.Value = acc
		case logql.Matrix:
			acc, _ := out.Value.(logql.Matrix)
			for _, s := range v {
				s.Metric = labels.Merge(s.Metric, labels.Labels{tl})
				acc = append(acc, s)
			}
			out.Value = acc
		case logql.Vector:
			acc, _ := out.Value.(logql.Vector)
			for _, s := range v {
				s.Metric = labels.Merge(s.Metric, labels.Labels{tl})
				acc = append(acc, s)
			}
			out.Value = acc
		default:
			// A scalar does not depend on the data: every tenant answers the same.
			out.Value = v
		}
	}
	if ss, ok := out.Value.(logql.Streams); ok {
		out.Value = limitStreams(ss, p.Limit, p.Direction)
	}
	return out, nil
}

// fillStats completes the figures the API can know itself when the engine left them zero:
// the execution time it measured and the number of entries (log queries) or series and
// samples (metric queries) returned, which is what Loki counts.
func fillStats(res *logql.Result, took time.Duration) {
	if res.Stats.ExecTimeSeconds == 0 {
		res.Stats.ExecTimeSeconds = took.Seconds()
	}
	if res.Stats.TotalEntriesReturned != 0 {
		return
	}
	switch v := res.Value.(type) {
	case logql.Streams:
		for _, s := range v {
			res.Stats.TotalEntriesReturned += int64(len(s.Entries))
		}
	case logql.Matrix:
		res.Stats.TotalEntriesReturned = int64(len(v))
	case logql.Vector:
		res.Stats.TotalEntriesReturned = int64(len(v))
	case logql.Scalar:
		res.Stats.TotalEntriesReturned = 1
	}
}

// limitStreams keeps the limit entries first in direction across all streams.
func limitStreams(ss logql.Streams, limit int, dir logql.Direction) logql.Streams {
	total := 0
	for _, s := range ss {
		total += len(s.Entries)
	}
	if limit <= 0 || total <= limit {
		return ss
	}
	ts := make([]int64, 0, total)
	for _, s := range ss {
		for _, e := range s.Entries {
			ts = append(ts, e.Timestamp)
		}
	}
	sort.Slice(ts, func(i, j int) bool {
		if dir == logql.Forward {
			return ts[i] < ts[j]
		}
		return ts[i] > ts[j]
	})
	cut := ts[limit-1]
	// Entries exactly at the cut are kept until the limit is reached.
	atCut := 0
	for _, t := range ts[:limit] {
		if t == cut {
			atCut++
		}
	}
	out := ss[:0]
	for _, s := range ss {
		kept := s.Entries[:0]
		for _, e := range s.Entries {
			before := e.Timestamp < cut
			if dir == logql.Backward {
				before = e.Timestamp > cut
			}
			if before || (e.Timestamp == cut && atCut > 0) {
				if e.Timestamp == cut {
					atCut--
				}
				kept = append(kept, e)
			}
		}
		if len(kept) > 0 {
			s.Entries = kept
			out = append(out, s)
		}
	}
	return out
}

// checkSeries applies max_query_series to metric results.
func checkSeries(res logql.Result, lim Limits) error {
	if lim.MaxQuerySeries <= 0 {
		return nil
	}
	n := 0
	switch v := res.Value.(type) {
	case logql.Matrix:
		n = len(v)
	case logql.Vector:
		n = len(v)
	}
	if n > lim.MaxQuerySeries {
		return badRequest(fmt.Sprintf("maximum of series (%d) reached for a single query", lim.MaxQuerySeries))
	}
	return nil
}
