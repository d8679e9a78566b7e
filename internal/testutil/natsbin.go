// The nats-server binary for NATSCluster: found on the machine, or built once from the
// module cache at the version go.mod requires.

package testutil

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
)

const natsServerModule = "github.com/nats-io/nats-server/v2"

// natsBin caches the lookup for the test process: parallel tests of one package build once.
var natsBin struct {
	once    sync.Once
	path    string
	version string // what `nats-server --version` printed
	err     error
}

// natsServerBinary is $JETLOG_NATS_SERVER_BIN, else nats-server on PATH or in $GOPATH/bin,
// else a build of go.mod's version cached in os.TempDir()/jetlog-testbin across test runs.
func natsServerBinary() (path, version string, err error) {
	natsBin.once.Do(func() {
		p, err := findBinary("nats-server", "JETLOG_NATS_SERVER_BIN")
		if err != nil && os.Getenv("JETLOG_NATS_SERVER_BIN") == "" {
			p, err = buildNATSServer()
		}
		if err != nil {
			natsBin.err = err
			return
		}
		out, err := exec.Command(p, "--version").CombinedOutput()
		if err != nil {
			natsBin.err = fmt.Errorf("%s --version: %v: %s", p, err, out)
			return
		}
		natsBin.path, natsBin.version = p, strings.TrimSpace(string(out))
	})
	return natsBin.path, natsBin.version, natsBin.err
}

// buildNATSServer builds the nats-server main package at the version the main module
// requires. Test binaries of several packages may race here: each builds into its own
// temporary file and renames it into place, so the cached binary is always whole.
func buildNATSServer() (string, error) {
	version, err := natsServerModuleVersion()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(os.TempDir(), "jetlog-testbin")
	bin := filepath.Join(dir, "nats-server-"+version)
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("build nats-server: %w", err)
	}
	tmp, err := os.CreateTemp(dir, "nats-server-*.tmp")
	if err != nil {
		return "", fmt.Errorf("build nats-server: %w", err)
	}
	_ = tmp.Close()
	defer os.Remove(tmp.Name()) // fails harmlessly after the rename
	out, err := exec.Command("go", "build", "-o", tmp.Name(), natsServerModule).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build %s@%s: %v\n%s", natsServerModule, version, err, out)
	}
	if err := os.Rename(tmp.Name(), bin); err != nil {
		return "", fmt.Errorf("build nats-server: %w", err)
	}
	return bin, nil
}

// natsServerModuleVersion is the nats-server version in go.mod (the tests run inside the
// module, so `go list -m` answers from go.mod without the network).
func natsServerModuleVersion() (string, error) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Version}}", natsServerModule).CombinedOutput()
	v := strings.TrimSpace(string(out))
	if err != nil || v == "" {
		return "", fmt.Errorf("go list -m %s: %v: %s", natsServerModule, err, out)
	}
	return v, nil
}

// natsServerInstall is the command that puts the right nats-server into $GOPATH/bin.
func natsServerInstall() string {
	v, err := natsServerModuleVersion()
	if err != nil {
		v = "<version in go.mod>"
	}
	return "go install " + natsServerModule + "@" + v
}
