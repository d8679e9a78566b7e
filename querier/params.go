package querier

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/jetlog/jetlog/logql"
	"github.com/jetlog/jetlog/logql/syntax"
)

// Loki's messages for bad query parameters (pkg/loghttp).
var (
	errEndBeforeStart     = errors.New("end timestamp must not be before or equal to start time")
	errNegativeLimit      = errors.New("limit must be a positive value")
	errZeroOrNegativeStep = errors.New("zero or negative query resolution step widths are not accepted. Try a positive integer")
	errStepTooSmall       = errors.New("exceeded maximum resolution of 11,000 points per timeseries. Try increasing the value of the step parameter")
	errNegativeInterval   = errors.New("interval must be >= 0")
)

const (
	defaultLimit = 100
	// maxPoints is Prometheus' and Loki's bound on points per series of a range query.
	maxPoints = 11000
)

// form returns the request's parameters, query string and form body merged.
func form(r *http.Request) (map[string][]string, error) {
	if err := r.ParseForm(); err != nil {
		return nil, badRequest(err.Error())
	}
	return r.Form, nil
}

// bounds reads start/end (or since), defaulting to the last hour before now. As in Loki,
// since and the default start count back from end, or from now when end is in the future.
func (a *API) bounds(r *http.Request) (time.Time, time.Time, error) {
	now := a.now()
	end, err := parseTimestamp(r.Form.Get("end"), now)
	if err != nil {
		return time.Time{}, time.Time{}, badRequest(err.Error())
	}
	since := time.Hour
	if s := r.Form.Get("since"); s != "" {
		d, err := syntax.ParseDuration(s)
		if err != nil {
			return time.Time{}, time.Time{}, badRequest(fmt.Sprintf("cannot parse %q to a valid duration", s))
		}
		since = d
	}
	endOrNow := end
	if end.After(now) {
		endOrNow = now
	}
	start, err := parseTimestamp(r.Form.Get("start"), endOrNow.Add(-since))
	if err != nil {
		return time.Time{}, time.Time{}, badRequest(err.Error())
	}
	return start, end, nil
}

func parseLimit(r *http.Request) (int, error) {
	s := r.Form.Get("limit")
	if s == "" {
		return defaultLimit, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		// strconv's message, as Loki answers.
		return 0, badRequest(err.Error())
	}
	if n <= 0 {
		return 0, badRequest(errNegativeLimit.Error())
	}
	return int(n), nil
}

func parseDirection(r *http.Request) (logql.Direction, error) {
	switch s := r.Form.Get("direction"); strings.ToLower(s) {
	case "", "backward":
		return logql.Backward, nil
	case "forward":
		return logql.Forward, nil
	default:
		return 0, badRequest(fmt.Sprintf("invalid direction '%s'", s))
	}
}

// rangeParams parses a /query_range request.
func (a *API) rangeParams(r *http.Request, lim Limits) (logql.Params, syntax.Expr, error) {
	var p logql.Params
	var err error
	if p.Start, p.End, err = a.bounds(r); err != nil {
		return p, nil, err
	}
	if p.End.Before(p.Start) {
		return p, nil, badRequest(errEndBeforeStart.Error())
	}
	if p.Limit, err = parseLimit(r); err != nil {
		return p, nil, err
	}
	if p.Direction, err = parseDirection(r); err != nil {
		return p, nil, err
	}
	p.Step = defaultStep(p.Start, p.End)
	if s := r.Form.Get("step"); s != "" {
		if p.Step, err = parseSecondsOrDuration(s); err != nil {
			return p, nil, badRequest(err.Error())
		}
	}
	if p.Step <= 0 {
		return p, nil, badRequest(errZeroOrNegativeStep.Error())
	}
	if p.End.Sub(p.Start)/p.Step > maxPoints {
		return p, nil, badRequest(errStepTooSmall.Error())
	}
	if s := r.Form.Get("interval"); s != "" {
		if p.Interval, err = parseSecondsOrDuration(s); err != nil {
			return p, nil, badRequest(err.Error())
		}
		if p.Interval < 0 {
			return p, nil, badRequest(errNegativeInterval.Error())
		}
	}
	p.Query = r.Form.Get("query")
	expr, err := a.checkQuery(p, lim)
	return p, expr, err
}

// instantParams parses a /query request.
func (a *API) instantParams(r *http.Request, lim Limits) (logql.Params, syntax.Expr, error) {
	var p logql.Params
	var err error
	t, err := parseTimestamp(r.Form.Get("time"), a.now())
	if err != nil {
		return p, nil, badRequest(err.Error())
	}
	p.Start, p.End, p.Instant = t, t, true
	if p.Limit, err = parseLimit(r); err != nil {
		return p, nil, err
	}
	if p.Direction, err = parseDirection(r); err != nil {
		return p, nil, err
	}
	p.Query = r.Form.Get("query")
	expr, err := a.checkQuery(p, lim)
	if err != nil {
		return p, nil, err
	}
	if _, ok := expr.(*syntax.LogSelectorExpr); ok {
		return p, nil, badRequest("log queries are not supported as an instant query type, please change your query to a range query type")
	}
	return p, expr, nil
}

// checkQuery parses the query and applies the limits that need only the parameters.
func (a *API) checkQuery(p logql.Params, lim Limits) (syntax.Expr, error) {
	expr, err := syntax.ParseExpr(p.Query)
	if err != nil {
		return nil, badRequest(err.Error())
	}
	if _, ok := expr.(*syntax.LogSelectorExpr); ok && lim.MaxEntriesLimitPerQuery > 0 && p.Limit > lim.MaxEntriesLimitPerQuery {
		return nil, badRequest(fmt.Sprintf("max entries limit per query exceeded, limit > max_entries_limit_per_query (%d > %d)", p.Limit, lim.MaxEntriesLimitPerQuery))
	}
	if err := checkLength(p.Start, p.End, lim); err != nil {
		return nil, err
	}
	return expr, nil
}

// checkLength applies max_query_length to [start, end].
func checkLength(start, end time.Time, lim Limits) error {
	if l := end.Sub(start); lim.MaxQueryLength > 0 && l > lim.MaxQueryLength {
		return badRequest(fmt.Sprintf("the query time range exceeds the limit (query length: %s, limit: %s)", l.Truncate(time.Second), syntax.FormatDuration(lim.MaxQueryLength)))
	}
	return nil
}
