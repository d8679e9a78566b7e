package testutil

import (
	"fmt"
	"net"
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

// TestMinIOPortTaken: when the port picked is taken before MinIO binds it, StartMinIO tries
// another instead of failing the test.
func TestMinIOPortTaken(t *testing.T) {
	taken, calls := takeFirstPick(t)
	m := StartMinIO(t)
	if *calls != 2 || m.Endpoint == fmt.Sprintf("127.0.0.1:%d", taken) {
		t.Fatalf("%d port picks, endpoint %s (the taken port is %d)", *calls, m.Endpoint, taken)
	}
}

// takeFirstPick holds a loopback port and makes the helpers' first pick of ports return it
// as the last of the ports; it returns the port and the count of picks.
func takeFirstPick(t *testing.T) (int, *int) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	taken := l.Addr().(*net.TCPAddr).Port
	calls := 0
	pickPorts = func(n int) ([]int, error) {
		ports, err := freePorts(n)
		if calls++; calls == 1 && err == nil {
			ports[n-1] = taken
		}
		return ports, err
	}
	t.Cleanup(func() { pickPorts = freePorts })
	return taken, &calls
}
