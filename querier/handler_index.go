package querier

import (
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/jetlog/jetlog/logql"
	"github.com/jetlog/jetlog/logql/syntax"
	"github.com/jetlog/jetlog/schemas/labels"
)

// defaultVolumeLimit is Loki's default number of volume series.
const defaultVolumeLimit = 100

// requiredMatchers parses the mandatory query= selector of index endpoints.
func requiredMatchers(r *http.Request) ([]*labels.Matcher, error) {
	q := r.Form.Get("query")
	if q == "" {
		return nil, badRequest("query parameter is required")
	}
	ms, err := syntax.ParseMatchers(q)
	if err != nil {
		return nil, badRequest(err.Error())
	}
	return ms, nil
}

// handleIndexStats answers {"streams":N,"chunks":N,"bytes":N,"entries":N}.
func (a *API) handleIndexStats(w http.ResponseWriter, r *http.Request) error {
	m, err := a.parseMeta(r)
	if err != nil {
		return err
	}
	ms, err := requiredMatchers(r)
	if err != nil {
		return err
	}
	st, err := a.streamStats(r.Context(), m, ms, 0)
	if err != nil {
		return err
	}
	var streams, chunks, bytes, entries int64
	for _, s := range st {
		if s.Entries == 0 {
			continue
		}
		streams++
		chunks += s.Chunks
		bytes += s.Bytes
		entries += s.Entries
	}
	return writeJSON(w, fmt.Appendf(nil, `{"streams":%d,"chunks":%d,"bytes":%d,"entries":%d}`, streams, chunks, bytes, entries))
}

// volumeRequest holds the volume parameters beyond the metadata ones.
type volumeRequest struct {
	metaRequest
	matchers     []*labels.Matcher
	limit        int
	targetLabels []string
	byLabels     bool // aggregateBy=labels
}

func (a *API) parseVolume(r *http.Request) (volumeRequest, error) {
	var v volumeRequest
	var err error
	if v.metaRequest, err = a.parseMeta(r); err != nil {
		return v, err
	}
	if v.matchers, err = requiredMatchers(r); err != nil {
		return v, err
	}
	v.limit = defaultVolumeLimit
	if s := r.Form.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			return v, badRequest(err.Error())
		}
		if n <= 0 {
			return v, badRequest(errNegativeLimit.Error())
		}
		v.limit = n
	}
	if s := r.Form.Get("targetLabels"); s != "" {
		for _, l := range strings.Split(s, ",") {
			if l = strings.TrimSpace(l); l != "" {
				v.targetLabels = append(v.targetLabels, l)
			}
		}
	}
	switch s := r.Form.Get("aggregateBy"); s {
	case "", "series":
	case "labels":
		v.byLabels = true
	default:
		return v, badRequest(fmt.Sprintf("invalid aggregateBy: %s", s))
	}
	return v, nil
}

// volumeKey returns the series a stream's volume is added to: with aggregateBy=series the
// stream's labels restricted to targetLabels (default: the labels named by the selector);
// with aggregateBy=labels one series per label name present, {name=""}... handled by caller.
func (v volumeRequest) seriesKey(ls labels.Labels) labels.Labels {
	names := v.targetLabels
	if len(names) == 0 {
		for _, m := range v.matchers {
			names = append(names, m.Name)
		}
	}
	return ls.Only(names...)
}

type volumeSeries struct {
	metric labels.Labels
	total  int64
	points map[int64]int64 // bucket start (ns) -> bytes
}

// aggregate groups the streams' bytes into volume series, largest first, cut to the limit.
func (v volumeRequest) aggregate(st []logql.StreamStat) []*volumeSeries {
	byKey := map[string]*volumeSeries{}
	add := func(metric labels.Labels, s logql.StreamStat) {
		k := metric.String()
		vs := byKey[k]
		if vs == nil {
			vs = &volumeSeries{metric: metric, points: map[int64]int64{}}
			byKey[k] = vs
		}
		vs.total += s.Bytes
		for _, b := range s.Buckets {
			vs.points[b.T] += b.Bytes
		}
	}
	for _, s := range st {
		if s.Entries == 0 {
			continue
		}
		if !v.byLabels {
			add(v.seriesKey(s.Labels), s)
			continue
		}
		for _, l := range s.Labels {
			if len(v.targetLabels) > 0 && !contains(v.targetLabels, l.Name) {
				continue
			}
			add(labels.Labels{{Name: l.Name}}, s)
		}
	}
	out := make([]*volumeSeries, 0, len(byKey))
	for _, vs := range byKey {
		out = append(out, vs)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].total != out[j].total {
			return out[i].total > out[j].total
		}
		return labels.Compare(out[i].metric, out[j].metric) < 0
	})
	if len(out) > v.limit {
		out = out[:v.limit]
	}
	return out
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// handleVolume answers a vector of bytes per series at the end of the range.
func (a *API) handleVolume(w http.ResponseWriter, r *http.Request) error {
	v, err := a.parseVolume(r)
	if err != nil {
		return err
	}
	st, err := a.streamStats(r.Context(), v.metaRequest, v.matchers, 0)
	if err != nil {
		return err
	}
	t := (v.end - 1) / 1e6
	var vec logql.Vector
	for _, s := range v.aggregate(st) {
		vec = append(vec, logql.Sample{Metric: s.metric, T: t, V: float64(s.total)})
	}
	return writeQueryResponse(w, logql.Result{Type: logql.ResultVector, Value: vec}, false)
}

// handleVolumeRange answers a matrix of bytes per series and step.
func (a *API) handleVolumeRange(w http.ResponseWriter, r *http.Request) error {
	v, err := a.parseVolume(r)
	if err != nil {
		return err
	}
	step := defaultStep(timeOf(v.start), timeOf(v.end-1))
	if s := r.Form.Get("step"); s != "" {
		if step, err = parseSecondsOrDuration(s); err != nil {
			return badRequest(err.Error())
		}
	}
	if step <= 0 {
		return badRequest(errZeroOrNegativeStep.Error())
	}
	if (v.end-v.start)/int64(step) > maxPoints {
		return badRequest(errStepTooSmall.Error())
	}
	st, err := a.streamStats(r.Context(), v.metaRequest, v.matchers, int64(step))
	if err != nil {
		return err
	}
	var mat logql.Matrix
	for _, s := range v.aggregate(st) {
		ser := logql.Series{Metric: s.metric}
		for t, b := range s.points {
			ser.Points = append(ser.Points, logql.Point{T: t / 1e6, V: float64(b)})
		}
		sort.Slice(ser.Points, func(i, j int) bool { return ser.Points[i].T < ser.Points[j].T })
		mat = append(mat, ser)
	}
	return writeQueryResponse(w, logql.Result{Type: logql.ResultMatrix, Value: mat}, false)
}
