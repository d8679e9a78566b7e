// Child processes for tests: a server binary whose output goes to a log file, which can be
// killed, stopped and started again with the same command line.

package testutil

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// process is one server binary run as a child process. Its stdout and stderr are appended
// to one log file across restarts. Methods may be called from any goroutine.
type process struct {
	name string // for messages: "minio", "nats n2"
	bin  string
	args []string
	env  []string // added to os.Environ()
	logf *os.File

	mu   sync.Mutex
	cmd  *exec.Cmd     // nil before the first start
	done chan struct{} // closed when cmd has exited
}

// newProcess opens (creates or appends to) the log file; nothing runs until start.
func newProcess(name, logPath, bin string, args, env []string) (*process, error) {
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("%s: open log: %w", name, err)
	}
	return &process{name: name, bin: bin, args: args, env: env, logf: logf}, nil
}

// start runs the command unless it is running already. The returned channel is closed when
// that run exits, so a readiness poll can stop early.
func (p *process) start() (exited <-chan struct{}, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.runningLocked() {
		return p.done, nil
	}
	cmd := exec.Command(p.bin, p.args...)
	cmd.Env = append(os.Environ(), p.env...)
	cmd.Stdout = p.logf
	cmd.Stderr = p.logf
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%s: start %s: %w", p.name, p.bin, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	p.cmd, p.done = cmd, done
	return done, nil
}

func (p *process) runningLocked() bool {
	if p.cmd == nil {
		return false
	}
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// running reports whether the process has been started and has not exited.
func (p *process) running() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.runningLocked()
}

// kill sends SIGKILL (a crash: no handler runs, nothing is flushed) and waits for the exit.
func (p *process) kill() {
	_ = p.stop(syscall.SIGKILL, 0)
}

// stop sends sig and waits up to grace for the process to exit; after that it kills it and
// returns an error. It is a no-op when the process is not running.
func (p *process) stop(sig syscall.Signal, grace time.Duration) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.runningLocked() {
		return nil
	}
	_ = p.cmd.Process.Signal(sig)
	if sig == syscall.SIGKILL {
		<-p.done
		return nil
	}
	select {
	case <-p.done:
		return nil
	case <-time.After(grace):
		_ = p.cmd.Process.Kill()
		<-p.done
		return fmt.Errorf("%s: did not exit within %v of %v; killed", p.name, grace, sig)
	}
}

// close kills the process and closes the log file; the process cannot be started again.
func (p *process) close() {
	p.kill()
	_ = p.logf.Close()
}

// logPath is the log file's name.
func (p *process) logPath() string { return p.logf.Name() }

// logTail is the last n lines of the log file, for failure messages.
func (p *process) logTail(n int) string {
	b, err := os.ReadFile(p.logf.Name())
	if err != nil {
		return fmt.Sprintf("(read log: %v)", err)
	}
	lines := bytes.Split(bytes.TrimRight(b, "\n"), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}

// pollUntil calls cond every interval until it returns nil, exited is closed (the process
// died), or timeout passes. The error then names what and carries cond's last error.
// errGiveUp, wrapped in a condition's error, ends pollUntil at once with that error.
var errGiveUp = errors.New("giving up")

func pollUntil(timeout, interval time.Duration, exited <-chan struct{}, what string, cond func() error) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for {
		err := cond()
		if err == nil || errors.Is(err, errGiveUp) {
			return err
		}
		select {
		case <-exited:
			return fmt.Errorf("%s: process exited (last error: %v)", what, err)
		case <-ctx.Done():
			return fmt.Errorf("%s: not done after %v: %w", what, timeout, err)
		case <-time.After(interval):
		}
	}
}

// findBinary looks for a program in $envVar, then PATH, then $(go env GOPATH)/bin.
func findBinary(name, envVar string) (string, error) {
	if p := os.Getenv(envVar); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%s: %w", envVar, err)
		}
		return p, nil
	}
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, gp := range filepath.SplitList(goEnv("GOPATH")) {
		p := filepath.Join(gp, "bin", name)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", errors.New("not in $" + envVar + ", PATH or $GOPATH/bin")
}

// goEnv is $key, or else what `go env key` says, or "" without a go command.
func goEnv(key string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	out, err := exec.Command("go", "env", key).Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// pickPorts is freePorts; tests of the helpers replace it.
var pickPorts = freePorts

// freePorts is n distinct loopback ports that were free a moment ago (the listeners are held
// until all are picked, then closed; another process may take one before the caller binds it).
func freePorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}
