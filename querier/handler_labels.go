package querier

import (
	"context"
	"fmt"
	"net/http"
	"sort"

	"github.com/go-chi/chi/v5"

	"github.com/jetlog/jetlog/logql"
	"github.com/jetlog/jetlog/logql/syntax"
	"github.com/jetlog/jetlog/schemas/labels"
)

// metaRequest is the common part of label, series, stats and volume requests.
type metaRequest struct {
	tenants    []string
	limits     Limits
	start, end int64 // Unix nanoseconds, end exclusive
}

func (a *API) parseMeta(r *http.Request) (metaRequest, error) {
	var m metaRequest
	var err error
	if m.tenants, m.limits, err = a.requestTenants(r); err != nil {
		return m, err
	}
	start, end, err := a.bounds(r)
	if err != nil {
		return m, err
	}
	if end.Before(start) {
		return m, badRequest(errEndBeforeStart.Error())
	}
	if err := checkLength(start, end, m.limits); err != nil {
		return m, err
	}
	// The end second is inclusive for metadata, as for Loki's index lookups.
	m.start, m.end = start.UnixNano(), end.UnixNano()+1
	return m, nil
}

// optionalMatchers parses the optional query= selector of labels and label values.
func optionalMatchers(r *http.Request, param string) ([]*labels.Matcher, error) {
	q := r.Form.Get(param)
	if q == "" {
		return nil, nil
	}
	ms, err := syntax.ParseMatchers(q)
	if err != nil {
		return nil, badRequest(err.Error())
	}
	return ms, nil
}

// streamStats asks every tenant of m for the streams matching ms.
func (a *API) streamStats(ctx context.Context, m metaRequest, ms []*labels.Matcher, step int64) ([]logql.StreamStat, error) {
	ctx, cancel := context.WithTimeout(ctx, m.limits.QueryTimeout)
	defer cancel()
	var out []logql.StreamStat
	for _, t := range m.tenants {
		st, err := a.meta.StreamStats(ctx, logql.StreamStatsParams{Tenant: t, Start: m.start, End: m.end, Matchers: ms, Step: step})
		if err != nil {
			return nil, fmt.Errorf("stream stats of tenant %s: %w", t, err)
		}
		out = append(out, st...)
	}
	return out, nil
}

func (a *API) labelNames(r *http.Request) ([]string, error) {
	m, err := a.parseMeta(r)
	if err != nil {
		return nil, err
	}
	ms, err := optionalMatchers(r, "query")
	if err != nil {
		return nil, err
	}
	st, err := a.streamStats(r.Context(), m, ms, 0)
	if err != nil {
		return nil, err
	}
	set := map[string]struct{}{}
	for _, s := range st {
		for _, l := range s.Labels {
			set[l.Name] = struct{}{}
		}
	}
	return sortedKeys(set), nil
}

func (a *API) labelValues(r *http.Request) ([]string, error) {
	m, err := a.parseMeta(r)
	if err != nil {
		return nil, err
	}
	ms, err := optionalMatchers(r, "query")
	if err != nil {
		return nil, err
	}
	name := chi.URLParam(r, "name")
	st, err := a.streamStats(r.Context(), m, ms, 0)
	if err != nil {
		return nil, err
	}
	set := map[string]struct{}{}
	for _, s := range st {
		if v := s.Labels.Get(name); v != "" {
			set[v] = struct{}{}
		}
	}
	return sortedKeys(set), nil
}

func (a *API) handleLabels(w http.ResponseWriter, r *http.Request) error {
	names, err := a.labelNames(r)
	if err != nil {
		return err
	}
	return writeStrings(w, `{"status":"success","data":`, names)
}

func (a *API) handleLabelValues(w http.ResponseWriter, r *http.Request) error {
	vals, err := a.labelValues(r)
	if err != nil {
		return err
	}
	return writeStrings(w, `{"status":"success","data":`, vals)
}

// handleLegacyLabels serves /api/prom/label in the pre-v1 shape {"values":[...]}.
func (a *API) handleLegacyLabels(w http.ResponseWriter, r *http.Request) error {
	names, err := a.labelNames(r)
	if err != nil {
		return err
	}
	return writeStrings(w, `{"values":`, names)
}

func (a *API) handleLegacyLabelValues(w http.ResponseWriter, r *http.Request) error {
	vals, err := a.labelValues(r)
	if err != nil {
		return err
	}
	return writeStrings(w, `{"values":`, vals)
}

// handleSeries answers the union of the streams matching each match[] selector.
func (a *API) handleSeries(w http.ResponseWriter, r *http.Request) error {
	m, err := a.parseMeta(r)
	if err != nil {
		return err
	}
	selectors := append(r.Form["match[]"], r.Form["match"]...)
	if len(selectors) == 0 {
		selectors = []string{""}
	}
	seen := map[uint64][]labels.Labels{}
	var out []labels.Labels
	for _, sel := range selectors {
		var ms []*labels.Matcher
		if sel != "" {
			if ms, err = syntax.ParseMatchers(sel); err != nil {
				return badRequest(err.Error())
			}
		}
		st, err := a.streamStats(r.Context(), m, ms, 0)
		if err != nil {
			return err
		}
		for _, s := range st {
			h := s.Labels.Hash()
			dup := false
			for _, o := range seen[h] {
				if labels.Equal(o, s.Labels) {
					dup = true
					break
				}
			}
			if !dup {
				seen[h] = append(seen[h], s.Labels)
				out = append(out, s.Labels)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return labels.Compare(out[i], out[j]) < 0 })
	buf := []byte(`{"status":"success","data":[`)
	for i, ls := range out {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = appendLabels(buf, ls)
	}
	buf = append(buf, "]}"...)
	return writeJSON(w, buf)
}

func sortedKeys(set map[string]struct{}) []string {
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// writeStrings writes prefix, the JSON array of ss and a closing brace.
func writeStrings(w http.ResponseWriter, prefix string, ss []string) error {
	buf := append([]byte(prefix), '[')
	for i, s := range ss {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = appendString(buf, s)
	}
	buf = append(buf, "]}"...)
	return writeJSON(w, buf)
}

func writeJSON(w http.ResponseWriter, body []byte) error {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_, err := w.Write(body)
	return err
}
