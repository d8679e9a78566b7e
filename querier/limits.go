package querier

import (
	"fmt"
	"time"
)

// Limits are the query limits that may differ per tenant, with Loki's limits_config keys.
// Zero disables a limit, as in Loki (the query timeout cannot be disabled).
type Limits struct {
	MaxEntriesLimitPerQuery int           `yaml:"max_entries_limit_per_query"`
	MaxQuerySeries          int           `yaml:"max_query_series"`
	MaxQueryLength          time.Duration `yaml:"max_query_length"`
	QueryTimeout            time.Duration `yaml:"query_timeout"`
	// MaxConcurrentTailRequests bounds a tenant's live tails open at once on this querier.
	MaxConcurrentTailRequests int `yaml:"max_concurrent_tail_requests"`
}

// TenantLimits overrides some limits for one tenant (Loki's runtime "overrides" block); a
// nil field keeps the default.
type TenantLimits struct {
	MaxEntriesLimitPerQuery   *int           `yaml:"max_entries_limit_per_query"`
	MaxQuerySeries            *int           `yaml:"max_query_series"`
	MaxQueryLength            *time.Duration `yaml:"max_query_length"`
	QueryTimeout              *time.Duration `yaml:"query_timeout"`
	MaxConcurrentTailRequests *int           `yaml:"max_concurrent_tail_requests"`
}

func (l Limits) validate(prefix string) []error {
	var errs []error
	if l.MaxEntriesLimitPerQuery < 0 {
		errs = append(errs, fmt.Errorf("%smax_entries_limit_per_query must be >= 0, got %d", prefix, l.MaxEntriesLimitPerQuery))
	}
	if l.MaxQuerySeries < 0 {
		errs = append(errs, fmt.Errorf("%smax_query_series must be >= 0, got %d", prefix, l.MaxQuerySeries))
	}
	if l.MaxQueryLength < 0 {
		errs = append(errs, fmt.Errorf("%smax_query_length must be >= 0, got %s", prefix, l.MaxQueryLength))
	}
	if l.MaxConcurrentTailRequests < 0 {
		errs = append(errs, fmt.Errorf("%smax_concurrent_tail_requests must be >= 0, got %d", prefix, l.MaxConcurrentTailRequests))
	}
	if l.QueryTimeout <= 0 {
		errs = append(errs, fmt.Errorf("%squery_timeout must be > 0, got %s", prefix, l.QueryTimeout))
	}
	return errs
}

// apply returns l with o's fields set.
func (o TenantLimits) apply(l Limits) Limits {
	if o.MaxEntriesLimitPerQuery != nil {
		l.MaxEntriesLimitPerQuery = *o.MaxEntriesLimitPerQuery
	}
	if o.MaxQuerySeries != nil {
		l.MaxQuerySeries = *o.MaxQuerySeries
	}
	if o.MaxQueryLength != nil {
		l.MaxQueryLength = *o.MaxQueryLength
	}
	if o.QueryTimeout != nil {
		l.QueryTimeout = *o.QueryTimeout
	}
	if o.MaxConcurrentTailRequests != nil {
		l.MaxConcurrentTailRequests = *o.MaxConcurrentTailRequests
	}
	return l
}

// limitsFor returns the limits of a request for tenants. For several tenants each limit is
// the smallest enabled one among them, as Loki combines them for multi-tenant queries.
func (a *API) limitsFor(tenants []string) Limits {
	var out Limits
	for i, t := range tenants {
		l := a.cfg.Limits
		if o, ok := a.cfg.Overrides[t]; ok {
			l = o.apply(l)
		}
		if i == 0 {
			out = l
			continue
		}
		out.MaxEntriesLimitPerQuery = smallestEnabled(out.MaxEntriesLimitPerQuery, l.MaxEntriesLimitPerQuery)
		out.MaxQuerySeries = smallestEnabled(out.MaxQuerySeries, l.MaxQuerySeries)
		out.MaxQueryLength = smallestEnabled(out.MaxQueryLength, l.MaxQueryLength)
		out.QueryTimeout = smallestEnabled(out.QueryTimeout, l.QueryTimeout)
		out.MaxConcurrentTailRequests = smallestEnabled(out.MaxConcurrentTailRequests, l.MaxConcurrentTailRequests)
	}
	return out
}

// smallestEnabled is the smaller of a and b ignoring zero (disabled).
func smallestEnabled[T int | time.Duration](a, b T) T {
	switch {
	case a == 0:
		return b
	case b == 0:
		return a
	default:
		return min(a, b)
	}
}
