package querier

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strconv"

	"github.com/go-chi/chi/v5"

	"github.com/jetlog/jetlog/logql"
)

// defaultFieldLimit is Loki's default number of detected fields returned.
const defaultFieldLimit = 1000

// detectFields runs the request's log query (bounded by line_limit and the configured
// maximum) and detects the fields of the returned lines.
func (a *API) detectFields(r *http.Request) (*fieldDetector, int, error) {
	tenants, lim, err := a.requestTenants(r)
	if err != nil {
		return nil, 0, err
	}
	start, end, err := a.bounds(r)
	if err != nil {
		return nil, 0, err
	}
	if end.Before(start) {
		return nil, 0, badRequest(errEndBeforeStart.Error())
	}
	lines := a.cfg.MaxDetectedFieldsLogLines
	if s := r.Form.Get("line_limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			return nil, 0, badRequest(fmt.Sprintf("invalid line_limit %q: must be a positive integer", s))
		}
		lines = min(n, lines)
	}
	limit := defaultFieldLimit
	for _, name := range []string{"field_limit", "limit"} {
		if s := r.Form.Get(name); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n <= 0 {
				return nil, 0, badRequest(fmt.Sprintf("invalid %s %q: must be a positive integer", name, s))
			}
			limit = n
			break
		}
	}
	p := logql.Params{Query: r.Form.Get("query"), Start: start, End: end, Limit: lines,
		Direction: logql.Backward, Step: defaultStep(start, end), CategorizeLabels: true}
	if p.Query == "" {
		return nil, 0, badRequest("query parameter is required")
	}
	if _, err := a.checkQuery(p, Limits{MaxQueryLength: lim.MaxQueryLength}); err != nil {
		return nil, 0, err
	}
	ctx, cancel := context.WithTimeout(r.Context(), lim.QueryTimeout)
	defer cancel()
	res, err := a.queryTenants(ctx, p, tenants)
	if err != nil {
		return nil, 0, err
	}
	ss, ok := res.Value.(logql.Streams)
	if !ok {
		return nil, 0, badRequest("detected fields need a log query, not a metric query")
	}
	d := newFieldDetector()
	for _, s := range ss {
		d.nextStream()
		for _, e := range s.Entries {
			d.addEntry(e)
		}
	}
	return d, limit, nil
}

// handleDetectedFields answers {"fields":[{"label","type","cardinality","parsers"[,"jsonPath"]}],"limit":N}.
func (a *API) handleDetectedFields(w http.ResponseWriter, r *http.Request) error {
	d, limit, err := a.detectFields(r)
	if err != nil {
		return err
	}
	fields := d.sorted()
	if len(fields) > limit {
		fields = fields[:limit]
	}
	buf := []byte(`{"fields":[`)
	for i, f := range fields {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, `{"label":`...)
		buf = appendString(buf, f.name)
		buf = append(buf, `,"type":`...)
		buf = appendString(buf, f.typ)
		buf = append(buf, `,"cardinality":`...)
		buf = strconv.AppendInt(buf, int64(len(f.values)), 10)
		buf = append(buf, `,"parsers":`...)
		if len(f.parsers) == 0 {
			buf = append(buf, "null"...)
		} else {
			ps := make([]string, 0, len(f.parsers))
			for p := range f.parsers {
				ps = append(ps, p)
			}
			sort.Strings(ps)
			buf = appendStringArray(buf, ps)
		}
		if len(f.path) > 0 {
			buf = append(buf, `,"jsonPath":`...)
			buf = appendStringArray(buf, f.path)
		}
		buf = append(buf, '}')
	}
	buf = append(buf, `],"limit":`...)
	buf = strconv.AppendInt(buf, int64(limit), 10)
	return writeJSON(w, append(buf, '}'))
}

// handleDetectedFieldValues answers {"values":[...],"limit":N} for one field.
func (a *API) handleDetectedFieldValues(w http.ResponseWriter, r *http.Request) error {
	d, limit, err := a.detectFields(r)
	if err != nil {
		return err
	}
	var vals []string
	if f := d.fields[chi.URLParam(r, "name")]; f != nil {
		vals = sortedKeys(f.values)
	}
	if len(vals) > limit {
		vals = vals[:limit]
	}
	buf := []byte(`{"values":`)
	buf = appendStringArray(buf, vals)
	buf = append(buf, `,"limit":`...)
	buf = strconv.AppendInt(buf, int64(limit), 10)
	return writeJSON(w, append(buf, '}'))
}

// handleDetectedLabels answers {"detectedLabels":[{"label","cardinality"}]} from the stream
// labels of the range (query= optional selector), leaving out ID-like labels as Loki does.
func (a *API) handleDetectedLabels(w http.ResponseWriter, r *http.Request) error {
	m, err := a.parseMeta(r)
	if err != nil {
		return err
	}
	ms, err := optionalMatchers(r, "query")
	if err != nil {
		return err
	}
	st, err := a.streamStats(r.Context(), m, ms, 0)
	if err != nil {
		return err
	}
	values := map[string]map[string]struct{}{}
	for _, s := range st {
		for _, l := range s.Labels {
			if values[l.Name] == nil {
				values[l.Name] = map[string]struct{}{}
			}
			values[l.Name][l.Value] = struct{}{}
		}
	}
	names := make([]string, 0, len(values))
	for n, vs := range values {
		if staticLabels[n] || !rejectLabel(sortedKeys(vs)) {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	buf := []byte(`{"detectedLabels":[`)
	for i, n := range names {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, `{"label":`...)
		buf = appendString(buf, n)
		buf = append(buf, `,"cardinality":`...)
		buf = strconv.AppendInt(buf, int64(len(values[n])), 10)
		buf = append(buf, '}')
	}
	return writeJSON(w, append(buf, "]}"...))
}

func appendStringArray(dst []byte, ss []string) []byte {
	dst = append(dst, '[')
	for i, s := range ss {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendString(dst, s)
	}
	return append(dst, ']')
}
