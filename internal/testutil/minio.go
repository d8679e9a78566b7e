// MinIO for tests: a real `minio server` child process on a loopback port.

package testutil

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// MinIO test credentials, fixed so failures are reproducible by hand.
const (
	MinIOAccessKey = "jetlogtest"
	MinIOSecretKey = "jetlogtest-secret"
)

const minioInstall = "go install github.com/minio/minio@v0.0.0-20260212201848-7aac2a2c5b7c"

// MinIO is a real `minio server` child process. Stop and Start may be called repeatedly;
// the process is killed at test cleanup.
type MinIO struct {
	Endpoint  string // "127.0.0.1:port"
	AccessKey string
	SecretKey string

	t    testing.TB
	proc *process
}

// StartMinIO starts MinIO with a free port and a t.TempDir() data directory and waits until it
// is ready. Without a minio binary it skips the test, or fails it when $CI is set.
func StartMinIO(t testing.TB) *MinIO {
	t.Helper()
	bin, err := findMinIO()
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("minio binary not found (%v); install with: %s", err, minioInstall)
		}
		t.Skipf("minio binary not found (%v); install with: %s", err, minioInstall)
	}
	// The port was free a moment ago; another process (a parallel test's server, or an
	// ephemeral client port) may take it before MinIO binds it: then try another.
	for attempt := 1; ; attempt++ {
		m, err := newMinIO(t, bin)
		if err != nil {
			t.Fatal(err)
		}
		err = m.start()
		if err == nil {
			return m
		}
		log := m.proc.logTail(50)
		if attempt == maxPortAttempts || !strings.Contains(log, "port is already in use") {
			t.Fatalf("%v\nlog %s:\n%s", err, m.proc.logPath(), log)
		}
		t.Logf("minio: port %s taken before it bound it, trying another", m.Endpoint)
	}
}

// maxPortAttempts bounds the ports a helper tries when the one it picked is taken first.
const maxPortAttempts = 3

// newMinIO prepares a MinIO on a free port and a new data directory, not started.
func newMinIO(t testing.TB, bin string) (*MinIO, error) {
	ports, err := pickPorts(1)
	if err != nil {
		return nil, fmt.Errorf("minio: pick a port: %w", err)
	}
	dir := t.TempDir()
	endpoint := fmt.Sprintf("127.0.0.1:%d", ports[0])
	proc, err := newProcess("minio", filepath.Join(dir, "minio.log"), bin,
		[]string{"server", "--quiet", "--address", endpoint,
			"--console-address", "127.0.0.1:0", filepath.Join(dir, "data")},
		[]string{
			"MINIO_ROOT_USER=" + MinIOAccessKey,
			"MINIO_ROOT_PASSWORD=" + MinIOSecretKey,
			"MINIO_BROWSER=off",
			"MINIO_UPDATE=off",
		})
	if err != nil {
		return nil, err
	}
	t.Cleanup(proc.close)
	return &MinIO{Endpoint: endpoint, AccessKey: MinIOAccessKey, SecretKey: MinIOSecretKey, t: t, proc: proc}, nil
}

// findMinIO looks in $JETLOG_MINIO_BIN, then PATH, then $(go env GOPATH)/bin.
func findMinIO() (string, error) { return findBinary("minio", "JETLOG_MINIO_BIN") }

// Start (re)starts the server on the same port and data directory and waits up to 30 s for
// /minio/health/ready. It is a no-op while the server runs.
func (m *MinIO) Start() {
	m.t.Helper()
	if err := m.start(); err != nil {
		m.t.Fatalf("%v\nlog %s:\n%s", err, m.proc.logPath(), m.proc.logTail(50))
	}
}

// start is Start returning its failure, after which the process is not running.
func (m *MinIO) start() error {
	if m.proc.running() {
		return nil
	}
	exited, err := m.proc.start()
	if err != nil {
		return err
	}
	client := &http.Client{Timeout: time.Second}
	url := "http://" + m.Endpoint + "/minio/health/ready"
	err = pollUntil(30*time.Second, 100*time.Millisecond, exited, "minio ready at "+m.Endpoint, func() error {
		resp, err := client.Get(url)
		if err != nil {
			return err
		}
		resp.Body.Close()
		// MinIO answers 200 before its object layer is up, marking that with
		// "X-Minio-Server-Status: offline"; S3 calls then fail with "Server not
		// initialized yet".
		if st := resp.Header.Get("X-Minio-Server-Status"); resp.StatusCode != http.StatusOK || st != "" {
			return fmt.Errorf("status %d %s", resp.StatusCode, st)
		}
		return nil
	})
	if err != nil {
		m.proc.kill()
	}
	return err
}

// Stop kills the server with SIGKILL (a crash, not a shutdown) and waits for it to exit.
func (m *MinIO) Stop() { m.proc.kill() }
