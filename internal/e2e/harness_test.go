// Package e2e drives the real jetlog binary as a child process: real HTTP, the embedded NATS
// server or an external one, the filesystem or a real MinIO. These tests are the ones that can
// SIGKILL a process and look at what survived.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var jetlogBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "jetlog-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	jetlogBin = filepath.Join(dir, "jetlog")
	build := exec.Command("go", "build", "-o", jetlogBin, "../../cmd/jetlog")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build jetlog:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// proc is one running jetlog.
type proc struct {
	t       *testing.T
	cmd     *exec.Cmd
	URL     string
	addr    string
	dataDir string
	args    []string
	log     *logBuffer
	done    chan struct{}
}

// logBuffer holds a process's output, written by exec's copying goroutine while tests
// read it.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// startJetlog starts the binary with -data-dir and -http-addr set and waits for /ready.
func startJetlog(t *testing.T, dataDir string, extra ...string) *proc {
	t.Helper()
	p := &proc{t: t, addr: freeAddr(t), dataDir: dataDir, args: extra}
	p.URL = "http://" + p.addr
	p.start()
	t.Cleanup(func() { p.kill() })
	return p
}

func (p *proc) start() {
	p.t.Helper()
	args := append([]string{"-data-dir", p.dataDir, "-http-addr", p.addr}, p.args...)
	p.cmd = exec.Command(jetlogBin, args...)
	p.log = new(logBuffer)
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	if err := p.cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	p.done = make(chan struct{})
	go func() { _ = p.cmd.Wait(); close(p.done) }()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-p.done:
			p.t.Fatalf("jetlog exited during start:\n%s", p.log)
		default:
		}
		resp, err := http.Get(p.URL + "/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	p.t.Fatalf("jetlog not ready after 30s:\n%s", p.log)
}

// kill sends SIGKILL and waits: a crash, nothing flushed.
func (p *proc) kill() {
	if p.cmd == nil || p.cmd.Process == nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// term sends SIGTERM and waits for a clean exit.
func (p *proc) term() {
	p.t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(60 * time.Second):
		p.t.Fatalf("jetlog did not exit 60s after SIGTERM:\n%s", p.log)
	}
	if code := p.cmd.ProcessState.ExitCode(); code != 0 {
		p.t.Fatalf("jetlog exited %d after SIGTERM:\n%s", code, p.log)
	}
}

func (p *proc) restart() {
	p.t.Helper()
	p.start()
}

// do sends a request and returns status and body.
func do(t *testing.T, method, u, tenant string, body []byte, hdr map[string]string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), method, u, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if tenant != "" {
		req.Header.Set("X-Scope-OrgID", tenant)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// queryRange runs a query_range and decodes Loki's envelope.
func (p *proc) queryRange(t *testing.T, tenant, q string, start, end time.Time, extra url.Values) queryResponse {
	t.Helper()
	v := url.Values{"query": {q}, "start": {strconv.FormatInt(start.UnixNano(), 10)},
		"end": {strconv.FormatInt(end.UnixNano(), 10)}}
	for k, vs := range extra {
		v[k] = vs
	}
	st, body := do(t, "GET", p.URL+"/loki/api/v1/query_range?"+v.Encode(), tenant, nil, nil)
	if st != 200 {
		t.Fatalf("query %s: HTTP %d: %s", q, st, body)
	}
	var r queryResponse
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatalf("decode: %v: %s", err, body)
	}
	return r
}

type queryResponse struct {
	Status string `json:"status"`
	Data   struct {
		ResultType string            `json:"resultType"`
		Result     []json.RawMessage `json:"result"`
	} `json:"data"`
}

type streamResult struct {
	Stream map[string]string `json:"stream"`
	Values [][]any           `json:"values"`
}

// entries flattens a streams result into "labels|ts|line" keys.
func (r queryResponse) entries(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, raw := range r.Data.Result {
		var s streamResult
		if err := json.Unmarshal(raw, &s); err != nil {
			t.Fatal(err)
		}
		for _, v := range s.Values {
			out = append(out, fmt.Sprintf("%v|%v|%v", s.Stream["job"], v[0], v[1]))
		}
	}
	return out
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

// rawPost is a POST safe to call from any goroutine (no t.Fatal).
func rawPost(u, tenant string, body []byte) (int, error) {
	return rawPostWith(http.DefaultClient, u, tenant, body)
}

// rawPostWith is rawPost through client c (e.g. one with a timeout).
func rawPostWith(c *http.Client, u, tenant string, body []byte) (int, error) {
	req, err := http.NewRequest("POST", u, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/x-protobuf")
	if tenant != "" {
		req.Header.Set("X-Scope-OrgID", tenant)
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}
