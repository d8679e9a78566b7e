// Package querier serves Loki's HTTP query API: /loki/api/v1/query, query_range, labels,
// label values, series, index stats and volume, detected fields and labels, format_query,
// patterns and buildinfo, the live tail (a websocket, handler_tail.go), plus the legacy
// /api/prom aliases Grafana still calls.
//
// It owns parameter parsing, defaults and limits (with Loki's exact messages), tenancy, the
// JSON envelopes and their encoding, and request metrics. Query evaluation belongs to an
// Engine (package logql), label/series/stats questions to a logql.MetadataQuerier and new
// entries for the live tail to a Follower; the package knows nothing of storage or the bus.
package querier

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/klauspost/compress/gzhttp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/jetlog/jetlog/logql"
)

// Engine evaluates one LogQL query.
type Engine interface {
	Query(ctx context.Context, p logql.Params) (logql.Result, error)
}

// Config holds the query limits and tenancy settings. Names follow Loki's limits_config and
// querier blocks.
type Config struct {
	// Limits are the defaults of every tenant; Overrides changes them per tenant.
	Limits                    `yaml:",inline"`
	Overrides                 map[string]TenantLimits `yaml:"overrides"`
	MultiTenantQueriesEnabled bool                    `yaml:"multi_tenant_queries_enabled"`
	// AuthEnabled requires X-Scope-OrgID; without it every request is tenant "fake", as Loki.
	// It is Loki's process-wide auth_enabled / -auth.enabled, which the gateway shares:
	// RegisterFlags sets the default (true) but leaves the flag to the binary, which copies
	// its value here, so that one FlagSet can hold every component's flags.
	AuthEnabled bool `yaml:"auth_enabled"`
	// MaxDetectedFieldsLogLines bounds the log query run by detected_fields/detected_labels.
	MaxDetectedFieldsLogLines int `yaml:"detected_fields_max_lines"`
	// CompressResponses gzips responses for clients that accept it (Grafana does): log
	// results are text that compresses several times over.
	CompressResponses bool `yaml:"compress_responses"`
	// SplitQueriesByInterval cuts range queries into sub-queries at multiples of it (0: no
	// splitting); at most MaxQueryParallelism (and twice the cores) of one query run at
	// once. See split.go.
	SplitQueriesByInterval time.Duration `yaml:"split_queries_by_interval"`
	MaxQueryParallelism    int           `yaml:"max_query_parallelism"`
	// TailMaxDuration ends a live tail after it has run this long, as Loki does.
	TailMaxDuration time.Duration `yaml:"tail_max_duration"`
}

// RegisterFlags registers the flags and sets defaults (Loki's).
func (c *Config) RegisterFlags(f *flag.FlagSet) {
	f.IntVar(&c.MaxEntriesLimitPerQuery, "validation.max-entries-limit", 5000, "Maximum number of log entries that will be returned for a query.")
	f.IntVar(&c.MaxQuerySeries, "querier.max-query-series", 500, "Limit the maximum of unique series that is returned by a metric query.")
	f.DurationVar(&c.MaxQueryLength, "store.max-query-length", 721*time.Hour, "The limit to length of chunk store queries. 0 to disable.")
	f.DurationVar(&c.QueryTimeout, "querier.query-timeout", time.Minute, "Timeout when querying backends (ingesters or storage) during the execution of a query request.")
	f.BoolVar(&c.MultiTenantQueriesEnabled, "querier.multi-tenant-queries-enabled", false, "When true, allow queries to span multiple tenants.")
	c.AuthEnabled = true
	f.IntVar(&c.MaxDetectedFieldsLogLines, "querier.detected-fields-max-lines", 1000, "Log lines sampled by detected_fields and detected_labels.")
	f.BoolVar(&c.CompressResponses, "querier.compress-http-responses", true, "Compress HTTP responses.")
	f.DurationVar(&c.SplitQueriesByInterval, "querier.split-queries-by-interval", time.Hour, "Split range queries by this interval and run the pieces in parallel, on one snapshot and one fetch of the bus tail (0 disables).")
	f.IntVar(&c.MaxQueryParallelism, "querier.max-query-parallelism", 32, "Maximum number of sub-queries of one query run at once (further bounded by twice the cores).")
	f.DurationVar(&c.TailMaxDuration, "querier.tail-max-duration", time.Hour, "How long one live tail may stay open before the server ends it.")
	f.IntVar(&c.MaxConcurrentTailRequests, "querier.max-concurrent-tail-requests", 10, "Live tails one tenant may have open at once on one querier (0: no limit).")
}

// Validate reports every invalid setting at once.
func (c *Config) Validate() error {
	errs := c.Limits.validate("")
	for _, t := range slices.Sorted(maps.Keys(c.Overrides)) {
		if err := validTenant(t); err != nil {
			errs = append(errs, fmt.Errorf("overrides: %w", err))
		}
		errs = append(errs, c.Overrides[t].apply(c.Limits).validate("overrides["+t+"]: ")...)
	}
	if c.SplitQueriesByInterval < 0 {
		errs = append(errs, fmt.Errorf("split_queries_by_interval must be >= 0, got %s", c.SplitQueriesByInterval))
	}
	if c.SplitQueriesByInterval > 0 && c.MaxQueryParallelism <= 0 {
		errs = append(errs, fmt.Errorf("max_query_parallelism must be > 0, got %d", c.MaxQueryParallelism))
	}
	if c.TailMaxDuration <= 0 {
		errs = append(errs, fmt.Errorf("tail_max_duration must be > 0, got %s", c.TailMaxDuration))
	}
	if c.MaxDetectedFieldsLogLines <= 0 {
		errs = append(errs, fmt.Errorf("detected_fields_max_lines must be > 0, got %d", c.MaxDetectedFieldsLogLines))
	}
	return errors.Join(errs...)
}

// API is the HTTP query API. It is safe for concurrent use.
type API struct {
	cfg     Config
	eng     Engine
	meta    logql.MetadataQuerier
	log     *slog.Logger
	metrics *metrics
	now     func() time.Time // the clock for default times; tests replace it
	tails   *tails           // live tail, when EnableTail was called
}

// New returns an API answering with eng and meta.
func New(cfg Config, eng Engine, meta logql.MetadataQuerier, logger *slog.Logger, reg prometheus.Registerer) (*API, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("querier config: %w", err)
	}
	if eng == nil || meta == nil {
		return nil, errors.New("querier: engine and metadata querier are required")
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	m, err := newMetrics(reg)
	if err != nil {
		return nil, fmt.Errorf("querier metrics: %w", err)
	}
	return &API{cfg: cfg, eng: eng, meta: meta, log: logger, metrics: m, now: time.Now}, nil
}

// Routes mounts every endpoint on r. Query endpoints accept GET and POST with a form body;
// the live tail (GET) is mounted when EnableTail was called before.
func (a *API) Routes(r chi.Router) {
	handle := func(route string, h handlerFunc) {
		wrapped := a.instrument(route, h)
		if a.cfg.CompressResponses {
			wrapped = gzhttp.GzipHandler(wrapped)
		}
		r.Get(route, wrapped)
		r.Post(route, wrapped)
	}
	handle("/loki/api/v1/query", a.handleInstantQuery)
	handle("/loki/api/v1/query_range", a.handleRangeQuery)
	handle("/loki/api/v1/labels", a.handleLabels)
	handle("/loki/api/v1/label", a.handleLabels)
	handle("/loki/api/v1/label/{name}/values", a.handleLabelValues)
	handle("/loki/api/v1/series", a.handleSeries)
	handle("/loki/api/v1/index/stats", a.handleIndexStats)
	handle("/loki/api/v1/index/volume", a.handleVolume)
	handle("/loki/api/v1/index/volume_range", a.handleVolumeRange)
	handle("/loki/api/v1/detected_fields", a.handleDetectedFields)
	handle("/loki/api/v1/detected_field/{name}/values", a.handleDetectedFieldValues)
	handle("/loki/api/v1/detected_labels", a.handleDetectedLabels)
	handle("/loki/api/v1/format_query", a.handleFormatQuery)
	handle("/loki/api/v1/patterns", a.handlePatterns)
	handle("/loki/api/v1/status/buildinfo", a.handleBuildInfo)
	if a.tails != nil {
		// A websocket: neither compressed nor wrapped (the upgrade needs the connection).
		r.Get("/loki/api/v1/tail", a.handleTail)
	}
	// Legacy aliases Grafana's Loki data source may still call.
	handle("/api/prom/label", a.handleLegacyLabels)
	handle("/api/prom/label/{name}/values", a.handleLegacyLabelValues)
}

// handlerFunc is an endpoint: it writes a successful response itself and returns an error
// for instrument to translate into Loki's status code and text body.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error
