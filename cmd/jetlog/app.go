package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/KimMachineGun/automemlimit/memlimit"
	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/jetlog/jetlog/bus"
	"github.com/jetlog/jetlog/chunker"
	gateway "github.com/jetlog/jetlog/ingest-gateway"
	"github.com/jetlog/jetlog/logql"
	"github.com/jetlog/jetlog/objstore"
	"github.com/jetlog/jetlog/objstore/filesystem"
	"github.com/jetlog/jetlog/objstore/s3"
	"github.com/jetlog/jetlog/querier"
	"github.com/jetlog/jetlog/store"
)

// Main is the command: NewMain().Run(ctx, args).
type Main struct {
	Stdout, Stderr io.Writer
	// MemoryLimit sets the process's soft memory limit from its container's (main sets it;
	// tests running several servers in one process leave it unset).
	MemoryLimit bool
}

// NewMain returns a Main writing to the process's standard streams.
func NewMain() *Main { return &Main{Stdout: os.Stdout, Stderr: os.Stderr} }

// Run parses args and runs the server (or a subcommand) until ctx is cancelled.
func (m *Main) Run(ctx context.Context, args []string) error {
	if len(args) > 0 && args[0] == "inspect" {
		return m.inspect(ctx, args[1:])
	}
	var cfg Config
	fs := flag.NewFlagSet("jetlog", flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	if err := loadConfig(&cfg, fs, args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("invalid configuration:\n%w", err)
	}
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	logger := slog.New(slog.NewJSONHandler(m.Stderr, &slog.HandlerOptions{Level: level}))
	if m.MemoryLimit {
		setMemoryLimit(logger, memlimit.FromCgroup)
	}
	a := &app{cfg: cfg, logger: logger}
	return a.run(ctx)
}

// app is one running process: the roles it was asked for and what they share.
type app struct {
	cfg    Config
	logger *slog.Logger
	reg    *prometheus.Registry

	embedded *bus.Embedded
	bus      *bus.Bus
	bucket   objstore.Bucket
	gateway  *gateway.Gateway
	chunker  *chunker.Chunker
	querier  *querier.API
}

func (a *app) run(ctx context.Context) (err error) {
	a.reg = prometheus.NewRegistry()
	a.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	defer a.closeAll()

	if err := a.startBus(ctx); err != nil {
		return err
	}
	if a.cfg.runs(TargetChunker) || a.cfg.runs(TargetQuerier) {
		if a.bucket, err = a.openBucket(ctx); err != nil {
			return err
		}
	}
	r := chi.NewRouter()
	if err := a.mountRoles(ctx, r); err != nil {
		return err
	}
	a.mountOps(r)

	ln, err := net.Listen("tcp", a.cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", a.cfg.HTTPAddr, err)
	}
	srv := &http.Server{Handler: r, ReadHeaderTimeout: 10 * time.Second}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	a.logger.Info("jetlog started", "target", a.cfg.Target, "http", ln.Addr().String(), "nats", a.cfg.Bus.URL)

	select {
	case <-ctx.Done():
	case err := <-serveErr:
		return fmt.Errorf("http server: %w", err)
	}
	return a.shutdown(srv)
}

// shutdown drains in the order that loses nothing: refuse new pushes and wait for those in
// flight (their data is acknowledged by then), stop HTTP, then let the chunker flush everything
// it consumed before the bus connection goes.
func (a *app) shutdown(srv *http.Server) error {
	a.logger.Info("shutting down")
	if a.gateway != nil {
		a.gateway.Close()
	}
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		a.logger.Warn("http shutdown", "err", err)
	}
	if a.querier != nil {
		// Shutdown does not wait for hijacked connections: end the live tails (their
		// clients get a "going away" close frame) before the bus goes.
		a.querier.Close(5 * time.Second)
	}
	if a.chunker != nil {
		if err := a.chunker.Close(); err != nil {
			return fmt.Errorf("chunker: final flush: %w", err)
		}
		a.chunker = nil
	}
	a.logger.Info("shutdown complete")
	return nil
}

func (a *app) closeAll() {
	if a.querier != nil {
		a.querier.Close(5 * time.Second)
	}
	if a.chunker != nil {
		_ = a.chunker.Close()
	}
	if a.bus != nil {
		a.bus.Close()
	}
	if a.embedded != nil {
		a.embedded.Shutdown()
	}
	if a.bucket != nil {
		_ = a.bucket.Close()
	}
}

// startBus starts the embedded NATS server when no -nats.url is given, then connects.
func (a *app) startBus(ctx context.Context) error {
	if a.cfg.Bus.URL == "" {
		e, err := bus.StartEmbedded(bus.EmbeddedConfig{
			DataDir:      filepath.Join(a.cfg.DataDir, "nats"),
			Host:         "127.0.0.1",
			Port:         -1,
			SyncInterval: a.cfg.Bus.SyncInterval,
		}, a.logger)
		if err != nil {
			return fmt.Errorf("start embedded NATS: %w", err)
		}
		a.embedded = e
		a.cfg.Bus.URL = e.ClientURL()
	}
	b, err := bus.Connect(ctx, a.cfg.Bus, a.logger, a.reg)
	if err != nil {
		return fmt.Errorf("connect to NATS: %w", err)
	}
	a.bus = b
	return nil
}

// openBucket opens the object store. An S3 server that cannot be reached yet (MinIO
// restarting, say) is waited for, with backoff, until ctx ends; a refusal (bad credentials,
// a bad bucket name) fails at once.
func (a *app) openBucket(ctx context.Context) (objstore.Bucket, error) {
	if a.cfg.Storage.Backend != "s3" {
		return filesystem.New(filepath.Join(a.cfg.DataDir, "objects"))
	}
	delay := 250 * time.Millisecond
	for {
		b, err := s3.New(ctx, a.cfg.Storage.S3)
		if err == nil || !s3.Unreachable(err) || ctx.Err() != nil {
			return b, err
		}
		a.logger.Warn("object store unreachable, waiting for it", "endpoint", a.cfg.Storage.S3.Endpoint, "err", err, "retry_in", delay)
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(delay):
		}
		delay = min(2*delay, 5*time.Second)
	}
}

func (a *app) mountRoles(ctx context.Context, r chi.Router) error {
	if a.cfg.runs(TargetGateway) {
		g, err := gateway.New(a.cfg.Gateway, gateway.Deps{
			Publisher:  a.bus,
			Partitions: a.cfg.Bus.Partitions,
			Logger:     a.logger.With("component", "gateway"),
			Registerer: a.reg,
		})
		if err != nil {
			return fmt.Errorf("gateway: %w", err)
		}
		a.gateway = g
		g.Routes(r)
		go g.Run(ctx)
	}
	if a.cfg.runs(TargetChunker) {
		if a.cfg.Chunker.InstanceID == "" {
			// Stable across restarts, so a restarted chunker reclaims its partitions at once.
			host, _ := os.Hostname()
			_, port, _ := net.SplitHostPort(a.cfg.HTTPAddr)
			a.cfg.Chunker.InstanceID = host + "-" + port
		}
		a.cfg.Chunker.SharesCPU = a.cfg.runs(TargetGateway)
		c, err := chunker.New(a.cfg.Chunker, chunker.Deps{
			Bus:        a.bus,
			Bucket:     a.bucket,
			Logger:     a.logger.With("component", "chunker"),
			Registerer: a.reg,
		})
		if err != nil {
			return fmt.Errorf("chunker: %w", err)
		}
		a.chunker = c
		go func() {
			if err := c.Run(ctx); err != nil && ctx.Err() == nil {
				a.logger.Error("chunker stopped", "err", err)
			}
		}()
	}
	if a.cfg.runs(TargetQuerier) {
		st, err := store.New(store.Config{}, a.bucket, a.bus.Checkpoints(), a.bus, a.logger.With("component", "store"), a.reg)
		if err != nil {
			return fmt.Errorf("store: %w", err)
		}
		eng := logql.NewEngine(a.cfg.Engine, st, a.logger.With("component", "engine"))
		api, err := querier.New(a.cfg.Querier, eng, st, a.logger.With("component", "querier"), a.reg)
		if err != nil {
			return fmt.Errorf("querier: %w", err)
		}
		api.EnableTail(st)
		api.Routes(r)
		a.querier = api
	}
	return nil
}
