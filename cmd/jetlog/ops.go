package main

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// mountOps adds the operator endpoints every role serves.
func (a *app) mountOps(r chi.Router) {
	r.Get("/ready", a.handleReady)
	r.Handle("/metrics", promhttp.HandlerFor(a.reg, promhttp.HandlerOpts{Registry: a.reg}))
	r.Get("/config", a.handleConfig)
	r.Post("/flush", a.handleFlush)
	r.Mount("/debug", middleware.Profiler()) // pprof, as Loki serves it
	r.Get("/loki/api/v1/status/buildinfo", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(currentBuildInfo())
	})
}

// handleReady is 200 only when every dependency of this process's roles is usable.
func (a *app) handleReady(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	if err := a.ready(ctx); err != nil {
		http.Error(w, "not ready: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	_, _ = w.Write([]byte("ready\n"))
}

func (a *app) ready(ctx context.Context) error {
	if a.bus != nil {
		if err := a.bus.Ready(ctx); err != nil {
			return err
		}
	}
	if a.bucket != nil {
		if err := a.bucket.Ping(ctx); err != nil {
			return err
		}
	}
	if a.chunker != nil {
		return a.chunker.Ready()
	}
	return nil
}

func (a *app) handleConfig(w http.ResponseWriter, _ *http.Request) {
	out, err := maskedYAML(&a.cfg)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write(out)
}

// handleFlush makes the chunker commit everything it consumed, like Loki's /flush; it returns
// once the data is durable in the object store, or 503 when it could not be done now.
func (a *app) handleFlush(w http.ResponseWriter, r *http.Request) {
	if a.chunker == nil {
		http.Error(w, "this process runs no chunker", http.StatusNotFound)
		return
	}
	if err := a.chunker.Flush(r.Context()); err != nil {
		// Only the caller going away is 499: a partition stopped under the flush (its lease
		// lapsed while the bus had no leader, say) also ends in context.Canceled. Whatever
		// kept the flush from finishing, asking again later can succeed.
		status := http.StatusServiceUnavailable
		if r.Context().Err() != nil {
			status = 499
		}
		http.Error(w, "flush: "+err.Error(), status)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
