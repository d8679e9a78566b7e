package testutil

import (
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestFindMinIOEnv(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "minio")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("JETLOG_MINIO_BIN", bin)
	got, err := findMinIO()
	if err != nil || got != bin {
		t.Fatalf("findMinIO() = %q, %v, want %q", got, err, bin)
	}
	t.Setenv("JETLOG_MINIO_BIN", filepath.Join(t.TempDir(), "absent"))
	if got, err := findMinIO(); err == nil {
		t.Fatalf("findMinIO() with a missing $JETLOG_MINIO_BIN = %q, want an error", got)
	}
}

// TestMinIOStopStart checks that Stop really takes the server down and Start brings it back on
// the same endpoint.
func TestMinIOStopStart(t *testing.T) {
	m := StartMinIO(t)
	client := &http.Client{Timeout: 2 * time.Second}
	ready := func() bool {
		resp, err := client.Get("http://" + m.Endpoint + "/minio/health/ready")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}
	if !ready() {
		t.Fatal("not ready after StartMinIO")
	}
	m.Stop()
	if ready() {
		t.Fatal("still answering after Stop")
	}
	m.Stop() // idempotent
	m.Start()
	if !ready() {
		t.Fatal("not ready after Start")
	}
}
