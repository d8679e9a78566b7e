// MinIO for tests: a real `minio server` child process on a loopback port.

package testutil

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// MinIO test credentials, fixed so failures are reproducible by hand.
const (
	MinIOAccessKey = "jetlogtest"
	MinIOSecretKey = "jetlogtest-secret"
)

const minioInstall = "go install github.com/minio/minio@v0.0.0-20260212201848-7aac2a2c5b7c"

// MinIO is a real `minio server` child process. Stop and Start may be called repeatedly (from
// one goroutine at a time); the process is killed at test cleanup.
type MinIO struct {
	Endpoint  string // "127.0.0.1:port"
	AccessKey string
	SecretKey string

	t    testing.TB
	bin  string
	dir  string
	logf *os.File

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has exited
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
	port, err := freePort()
	if err != nil {
		t.Fatalf("minio: pick a port: %v", err)
	}
	dir := t.TempDir()
	logf, err := os.Create(filepath.Join(dir, "minio.log"))
	if err != nil {
		t.Fatalf("minio: create log: %v", err)
	}
	m := &MinIO{
		Endpoint:  fmt.Sprintf("127.0.0.1:%d", port),
		AccessKey: MinIOAccessKey,
		SecretKey: MinIOSecretKey,
		t:         t,
		bin:       bin,
		dir:       filepath.Join(dir, "data"),
		logf:      logf,
	}
	t.Cleanup(func() {
		m.Stop()
		_ = logf.Close()
	})
	m.Start()
	return m
}

// findMinIO looks in $JETLOG_MINIO_BIN, then PATH, then $(go env GOPATH)/bin.
func findMinIO() (string, error) {
	if p := os.Getenv("JETLOG_MINIO_BIN"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("JETLOG_MINIO_BIN: %w", err)
		}
		return p, nil
	}
	if p, err := exec.LookPath("minio"); err == nil {
		return p, nil
	}
	gopath := os.Getenv("GOPATH")
	if gopath == "" {
		out, err := exec.Command("go", "env", "GOPATH").Output()
		if err == nil {
			gopath = strings.TrimSpace(string(out))
		}
	}
	for _, gp := range filepath.SplitList(gopath) {
		p := filepath.Join(gp, "bin", "minio")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("not in $JETLOG_MINIO_BIN, PATH or $GOPATH/bin")
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Start (re)starts the server on the same port and data directory and waits up to 30 s for
// /minio/health/ready. It is a no-op while the server runs.
func (m *MinIO) Start() {
	m.t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cmd != nil {
		return
	}
	cmd := exec.Command(m.bin, "server", "--quiet", "--address", m.Endpoint,
		"--console-address", "127.0.0.1:0", m.dir)
	cmd.Env = append(os.Environ(),
		"MINIO_ROOT_USER="+m.AccessKey,
		"MINIO_ROOT_PASSWORD="+m.SecretKey,
		"MINIO_BROWSER=off",
		"MINIO_UPDATE=off",
	)
	cmd.Stdout = m.logf
	cmd.Stderr = m.logf
	if err := cmd.Start(); err != nil {
		m.t.Fatalf("minio: start %s: %v", m.bin, err)
	}
	m.cmd = cmd
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	m.done = done
	if err := waitReady(m.Endpoint, done, 30*time.Second); err != nil {
		_ = cmd.Process.Kill()
		<-done
		m.cmd = nil
		log, _ := os.ReadFile(m.logf.Name())
		m.t.Fatalf("minio: %v\nlog:\n%s", err, log)
	}
}

// Stop kills the server with SIGKILL (a crash, not a shutdown) and waits for it to exit.
func (m *MinIO) Stop() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cmd == nil {
		return
	}
	_ = m.cmd.Process.Kill()
	<-m.done
	m.cmd = nil
}

// waitReady polls the readiness endpoint until it reports the server initialised, the process
// exits, or the timeout passes.
func waitReady(endpoint string, exited <-chan struct{}, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	client := &http.Client{Timeout: time.Second}
	url := "http://" + endpoint + "/minio/health/ready"
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			// MinIO answers 200 before its object layer is up, marking that with
			// "X-Minio-Server-Status: offline"; S3 calls then fail with "Server not
			// initialized yet".
			if resp.StatusCode == http.StatusOK && resp.Header.Get("X-Minio-Server-Status") == "" {
				return nil
			}
		}
		select {
		case <-exited:
			return fmt.Errorf("exited before becoming ready")
		case <-ctx.Done():
			return fmt.Errorf("not ready at %s after %s", endpoint, timeout)
		case <-time.After(100 * time.Millisecond):
		}
	}
}
