// Package testutil starts the real services jetlog's tests run against (NATS JetStream, as one
// embedded server or a cluster of nats-server processes, and MinIO) on 127.0.0.1, and polls
// instead of sleeping.
package testutil

import (
	"context"
	"flag"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/jetlog/jetlog/bus"
)

// StartNATS starts an embedded single-node JetStream server on a free loopback port with its
// store in a temporary directory, stopped when the test ends. It returns the client URL.
func StartNATS(t testing.TB) string {
	t.Helper()
	e, err := bus.StartEmbedded(bus.EmbeddedConfig{DataDir: t.TempDir(), Port: -1}, Discard())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Shutdown)
	return e.ClientURL()
}

// Discard is a logger that drops everything.
func Discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// Eventually polls cond every 20ms until it returns true or timeout passes, then fails.
func Eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("timed out after %v waiting for %s", timeout, what)
}

// Bus connects to a fresh embedded server with the default bus configuration and the given
// partition count, closed when the test ends.
func Bus(t testing.TB, partitions int) *bus.Bus {
	t.Helper()
	return BusAt(t, StartNATS(t), partitions)
}

// BusAt is Bus on a running server: each call is a connection of its own, as another process
// would have.
func BusAt(t testing.TB, url string, partitions int) *bus.Bus {
	t.Helper()
	var cfg bus.Config
	cfg.RegisterFlags(flag.NewFlagSet("bus", flag.PanicOnError))
	cfg.URL = url
	cfg.Partitions = partitions
	b, err := bus.Connect(context.Background(), cfg, Discard(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return b
}

// JetStream is a plain JetStream client on its own connection to urls (what an outside
// process would use, bypassing package bus), closed when the test ends.
func JetStream(t testing.TB, urls string, opts ...nats.Option) jetstream.JetStream {
	t.Helper()
	opts = append([]nats.Option{nats.MaxReconnects(-1), nats.ReconnectWait(100 * time.Millisecond)}, opts...)
	nc, err := nats.Connect(urls, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return js
}
