// Package testutil starts the real services jetlog's tests run against (NATS JetStream,
// MinIO) on 127.0.0.1, and polls instead of sleeping.
package testutil

import (
	"io"
	"log/slog"
	"testing"
	"time"

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
