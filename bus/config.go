// Package bus is jetlog's only door to NATS JetStream: the embedded server, the log stream,
// publishing push batches with acknowledgements, reading partitions and tenants back, and
// following one tenant's new messages (follow.go, for the live tail).
//
// Subjects (see package schemas): logs.<tenant-token>.<partition>. A real-time consumer
// subscribes to logs.<tenant-token>.* and decodes payloads with schemas.DecodeBatch
// (format from the Jetlog-Format header).
//
// Durability of an acknowledgement: with -bus.replicas=3 on a cluster, an ack means a quorum
// of two servers has the message, so the loss of any one node loses nothing. On the embedded
// single node, an ack means the message is in the server's file store but fsync happens every
// -nats.sync-interval (JetStream's default is 2 minutes); a process crash loses nothing (the OS
// has the pages), a power loss may lose up to that interval. jetlog's embedded default is 1s.
package bus

import (
	"errors"
	"flag"
	"fmt"
	"time"
)

// Config configures the connection and the log stream.
type Config struct {
	URL     string `yaml:"url"`
	Creds   string `yaml:"creds"`
	TLSCA   string `yaml:"tls_ca"`
	TLSCert string `yaml:"tls_cert"`
	TLSKey  string `yaml:"tls_key"`

	Stream          string        `yaml:"stream"`
	Partitions      int           `yaml:"partitions"`
	Replicas        int           `yaml:"replicas"`
	MaxAge          time.Duration `yaml:"max_age"`
	MaxBytes        int64         `yaml:"max_bytes"`
	DuplicateWindow time.Duration `yaml:"duplicate_window"`
	// SyncInterval is the embedded server's fsync period (external servers have their own).
	SyncInterval time.Duration `yaml:"sync_interval"`
	// PublishTimeout bounds how long a push waits for acknowledgements, retries included,
	// before the gateway answers 503.
	PublishTimeout time.Duration `yaml:"publish_timeout"`
}

// RegisterFlags sets defaults and registers flags.
func (c *Config) RegisterFlags(f *flag.FlagSet) {
	f.StringVar(&c.URL, "nats.url", "", "NATS server URL(s), comma-separated; empty starts an embedded single-node server.")
	f.StringVar(&c.Creds, "nats.creds", "", "NATS credentials file.")
	f.StringVar(&c.TLSCA, "nats.tls-ca", "", "CA certificate for TLS to NATS.")
	f.StringVar(&c.TLSCert, "nats.tls-cert", "", "Client certificate for TLS to NATS.")
	f.StringVar(&c.TLSKey, "nats.tls-key", "", "Client key for TLS to NATS.")
	f.StringVar(&c.Stream, "bus.stream", "LOGS", "JetStream stream holding the log subjects.")
	f.IntVar(&c.Partitions, "bus.partitions", 16, "Partitions per tenant; a stream always lands in one. Must be the same on every process.")
	f.IntVar(&c.Replicas, "bus.replicas", 0, "Replicas of the log stream and the progress buckets (replaces Loki's replication factor); 0: 3 when the NATS server is part of a cluster, else 1.")
	f.DurationVar(&c.MaxAge, "bus.max-age", 24*time.Hour, "How long the bus keeps messages (chunkers must flush well within it).")
	f.Int64Var(&c.MaxBytes, "bus.max-bytes", -1, "Maximum bytes the stream keeps (-1: unlimited).")
	f.DurationVar(&c.DuplicateWindow, "bus.duplicate-window", 2*time.Minute, "Window in which a retried push (same Nats-Msg-Id) is stored once.")
	f.DurationVar(&c.SyncInterval, "nats.sync-interval", time.Second, "Embedded server: how often JetStream fsyncs its store.")
	f.DurationVar(&c.PublishTimeout, "bus.publish-timeout", 10*time.Second, "How long a push waits for JetStream acknowledgements before 503.")
}

// Validate reports every problem.
func (c *Config) Validate() error {
	var errs []error
	if c.Stream == "" {
		errs = append(errs, errors.New("-bus.stream must not be empty"))
	}
	if c.Partitions < 1 || c.Partitions > 1024 {
		errs = append(errs, fmt.Errorf("-bus.partitions must be in [1, 1024], got %d", c.Partitions))
	}
	if c.Replicas < 0 || c.Replicas > 5 {
		errs = append(errs, fmt.Errorf("-bus.replicas must be in [0, 5], got %d", c.Replicas))
	}
	if c.MaxAge <= 0 {
		errs = append(errs, errors.New("-bus.max-age must be positive"))
	}
	if c.PublishTimeout <= 0 {
		errs = append(errs, errors.New("-bus.publish-timeout must be positive"))
	}
	return errors.Join(errs...)
}
