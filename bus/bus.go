package bus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/jetlog/jetlog/schemas"
)

// Bus is a connection to NATS with the log stream ensured.
type Bus struct {
	cfg    Config
	logger *slog.Logger
	nc     *nats.Conn
	js     jetstream.JetStream
	stream jetstream.Stream
	m      *metrics

	checkpoints *Checkpoints
}

// Connect dials NATS and creates or updates the log stream.
func Connect(ctx context.Context, cfg Config, logger *slog.Logger, reg prometheus.Registerer) (*Bus, error) {
	opts := []nats.Option{
		nats.Name("jetlog"),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(250 * time.Millisecond),
		nats.RetryOnFailedConnect(true),
	}
	if cfg.Creds != "" {
		opts = append(opts, nats.UserCredentials(cfg.Creds))
	}
	if cfg.TLSCA != "" {
		opts = append(opts, nats.RootCAs(cfg.TLSCA))
	}
	if cfg.TLSCert != "" {
		opts = append(opts, nats.ClientCert(cfg.TLSCert, cfg.TLSKey))
	}
	nc, err := nats.Connect(cfg.URL, opts...)
	if err != nil {
		return nil, fmt.Errorf("connect %s: %w", cfg.URL, err)
	}
	// An acknowledgement can be lost: the stream leader crashed after receiving the message,
	// or the connection to it dropped. nats.go then never resolves the publish, so each
	// attempt waits at most ackWait; PublishAll publishes again with the same Nats-Msg-Id.
	ackWait := min(time.Second, cfg.PublishTimeout/4)
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(4096), jetstream.WithPublishAsyncTimeout(ackWait))
	if err != nil {
		nc.Close()
		return nil, err
	}
	if cfg.Replicas == 0 {
		if err := waitConnected(ctx, nc, 30*time.Second); err != nil {
			nc.Close()
			return nil, err
		}
		// Auto: a server that is part of a cluster gets JetStream's replicated quorum.
		cfg.Replicas = 1
		if nc.ConnectedClusterName() != "" {
			cfg.Replicas = 3
		}
	}
	b := &Bus{cfg: cfg, logger: logger, nc: nc, js: js, m: newMetrics(reg)}
	if err := b.ensureStream(ctx); err != nil {
		nc.Close()
		return nil, err
	}
	if err := b.ensureCheckpoints(ctx); err != nil {
		nc.Close()
		return nil, err
	}
	logger.Info("bus ready", "stream", cfg.Stream, "replicas", cfg.Replicas, "partitions", cfg.Partitions)
	return b, nil
}

// waitConnected waits for the first connection (Connect returns early with
// RetryOnFailedConnect).
func waitConnected(ctx context.Context, nc *nats.Conn, d time.Duration) error {
	deadline := time.Now().Add(d)
	for !nc.IsConnected() {
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("connect: no NATS server reachable within %v", d)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return nil
}

func (b *Bus) ensureStream(ctx context.Context) error {
	sc := jetstream.StreamConfig{
		Name:       b.cfg.Stream,
		Subjects:   []string{schemas.AllSubjects},
		Retention:  jetstream.LimitsPolicy, // not work-queue: queriers read the tail
		Discard:    jetstream.DiscardOld,
		MaxAge:     b.cfg.MaxAge,
		MaxBytes:   b.cfg.MaxBytes,
		Duplicates: b.cfg.DuplicateWindow,
		Replicas:   b.cfg.Replicas,
		Storage:    jetstream.FileStorage,
		// Payloads arrive compressed (schemas.FormatPushSnappy); a second compression in the
		// store would cost CPU for nothing.
		Compression: jetstream.NoCompression,
	}
	return b.untilCreated(ctx, "stream "+sc.Name, func(ctx context.Context) (err error) {
		b.stream, err = b.js.CreateOrUpdateStream(ctx, sc)
		return err
	})
}

// untilCreated retries create for up to 30 s: a cluster may have no JetStream leader yet.
func (b *Bus) untilCreated(ctx context.Context, what string, create func(context.Context) error) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := create(cctx)
		cancel()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("create %s: %w", what, err)
		}
		b.logger.Warn("not ready, retrying", "what", what, "err", err)
		time.Sleep(500 * time.Millisecond)
	}
}

// Replicas is the replica count of the stream and buckets (resolved when configured as 0).
func (b *Bus) Replicas() int { return b.cfg.Replicas }

// Partitions is the configured partition count.
func (b *Bus) Partitions() int { return b.cfg.Partitions }

// LastSeq is the stream's last sequence now.
func (b *Bus) LastSeq(ctx context.Context) (uint64, error) {
	info, err := b.stream.Info(ctx)
	if err != nil {
		return 0, unavailable(fmt.Errorf("stream info: %w", err))
	}
	return info.State.LastSeq, nil
}

// Ready reports whether the connection is up and the stream answers (has a leader).
func (b *Bus) Ready(ctx context.Context) error {
	if !b.nc.IsConnected() {
		return errors.New("bus: not connected to NATS")
	}
	if _, err := b.stream.Info(ctx); err != nil {
		return fmt.Errorf("bus: stream %s: %w", b.cfg.Stream, err)
	}
	return nil
}

// Close drains the connection.
func (b *Bus) Close() {
	_ = b.nc.Drain()
	deadline := time.Now().Add(5 * time.Second)
	for !b.nc.IsClosed() && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	b.nc.Close()
}

// UnavailableError means the bus could not take or give data now; the gateway answers 503.
type UnavailableError struct{ Err error }

func (e *UnavailableError) Error() string     { return "bus unavailable: " + e.Err.Error() }
func (e *UnavailableError) Unwrap() error     { return e.Err }
func (e *UnavailableError) Unavailable() bool { return true }

func unavailable(err error) error { return &UnavailableError{Err: err} }
