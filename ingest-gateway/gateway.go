package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
)

// Deps are the gateway's collaborators.
type Deps struct {
	// Publisher sends bus messages; required.
	Publisher Publisher
	// Partitions is the bus partition count P (schemas.Partition); must match the chunkers'.
	Partitions int
	Logger     *slog.Logger
	// Registerer receives the gateway's metrics; nil means unregistered.
	Registerer prometheus.Registerer
	// Now is the clock for timestamp validation and rate limits; nil means time.Now.
	Now func() time.Time
}

// Gateway serves Loki's push API and publishes accepted streams on the bus.
type Gateway struct {
	cfg        Config
	pub        Publisher
	partitions int
	log        *slog.Logger
	now        func() time.Time
	m          *metrics
	overrides  *Overrides
	limiters   *limiters
	cache      *labelCache
	inflight   inflightBytes

	mu     sync.RWMutex // guards closed against wg.Add
	closed bool
	wg     sync.WaitGroup
}

// labelCacheSize bounds the parsed-label cache (distinct label strings).
const labelCacheSize = 100000

// New validates cfg and builds a gateway; it loads the runtime config file once.
func New(cfg Config, d Deps) (*Gateway, error) {
	var errs []error
	if err := cfg.Validate(); err != nil {
		errs = append(errs, err)
	}
	if d.Publisher == nil {
		errs = append(errs, errors.New("gateway: a Publisher is required"))
	}
	if d.Partitions <= 0 {
		errs = append(errs, fmt.Errorf("gateway: partitions must be positive, got %d", d.Partitions))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	m, err := newMetrics(d.Registerer)
	if err != nil {
		return nil, err
	}
	ov, err := NewOverrides(cfg.Limits, cfg.RuntimeConfig.File, cfg.RuntimeConfig.ReloadPeriod, d.Logger)
	if err != nil {
		return nil, fmt.Errorf("gateway: %w", err)
	}
	return &Gateway{
		cfg: cfg, pub: d.Publisher, partitions: d.Partitions, log: d.Logger, now: d.Now, m: m,
		overrides: ov, limiters: newLimiters(), cache: newLabelCache(labelCacheSize),
		inflight: inflightBytes{max: cfg.MaxInflightPushBytes},
	}, nil
}

// Routes mounts the push endpoints.
func (g *Gateway) Routes(r chi.Router) {
	r.Post("/loki/api/v1/push", g.handlePush)
	r.Post("/api/prom/push", g.handlePush)
}

// Run reloads the runtime overrides and forgets idle tenants' limiter state until ctx ends.
func (g *Gateway) Run(ctx context.Context) error {
	done := make(chan error, 1)
	go func() { done <- g.overrides.Run(ctx) }()
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return <-done
		case now := <-t.C:
			g.limiters.sweep(now)
		}
	}
}

// Close stops accepting pushes (new ones get 503) and waits for those in flight to finish,
// so that every 2xx already promised is backed by a bus acknowledgement.
func (g *Gateway) Close() error {
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
	g.wg.Wait()
	return nil
}

// enter registers an in-flight push; false once Close has begun.
func (g *Gateway) enter() bool {
	g.mu.RLock()
	defer g.mu.RUnlock()
	if g.closed {
		return false
	}
	g.wg.Add(1)
	return true
}
