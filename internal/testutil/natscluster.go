// A NATS JetStream cluster for tests: nats-server child processes on 127.0.0.1, so that
// Kill is a real crash (an in-process Server.Shutdown is a graceful hand-over).

package testutil

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// NATSClusterName is the cluster name every node of a NATSCluster runs with; clients see it
// in nats.Conn.ConnectedClusterName.
const NATSClusterName = "jetlog"

// NATSCluster is a JetStream cluster of nats-server processes named n1..nN, each with its
// own store directory and fixed client, route and monitoring ports. Nodes are addressed by
// index 0..N-1; an index out of range fails the test. Methods may be called from any
// goroutine, but Kill, Stop and Start of the same node must not overlap. Every node is
// killed at test cleanup, and when the test has failed the tail of each node's log is printed.
type NATSCluster struct {
	t     testing.TB
	nodes []*natsNode
	http  *http.Client // monitoring endpoint requests
}

type natsNode struct {
	name       string // server_name, as StreamInfo reports leaders and replicas
	clientURL  string // nats://127.0.0.1:port
	monitorURL string // http://127.0.0.1:port
	proc       *process
}

// StartNATSCluster starts n >= 2 nodes with routes to each other and waits (up to 30 s) until
// each accepts clients and is current with a JetStream meta leader.
func StartNATSCluster(t testing.TB, n int) *NATSCluster {
	t.Helper()
	if n < 2 {
		// nats-server refuses a JetStream cluster without routes; StartNATS is the single node.
		t.Fatalf("StartNATSCluster: need at least 2 nodes, got %d", n)
	}
	bin, version, err := natsServerBinary()
	if err != nil {
		t.Fatalf("nats-server: %v\ninstall with: %s", err, natsServerInstall())
	}
	// The ports were free a moment ago; another process may take one before its node binds
	// it: then try other ports.
	for attempt := 1; ; attempt++ {
		c, err := newNATSCluster(t, bin, n)
		if err != nil {
			t.Fatal(err)
		}
		err = c.startAll()
		if err == nil {
			t.Logf("nats cluster of %d (%s) up: %s", n, version, c.URLs())
			return c
		}
		if attempt == maxPortAttempts || !c.portTaken() {
			t.Fatal(err) // cleanup prints the logs
		}
		t.Logf("nats cluster: a port was taken before its node bound it, trying others")
		c.stopAll()
	}
}

// newNATSCluster prepares n nodes on free ports, not started.
func newNATSCluster(t testing.TB, bin string, n int) (*NATSCluster, error) {
	ports, err := pickPorts(3 * n)
	if err != nil {
		return nil, fmt.Errorf("nats cluster: pick ports: %w", err)
	}
	client, route, monitor := ports[:n], ports[n:2*n], ports[2*n:]
	c := &NATSCluster{t: t, http: &http.Client{Timeout: 2 * time.Second}}
	t.Cleanup(c.cleanup)
	for i := range n {
		dir := t.TempDir()
		var routes []string
		for j := range n {
			if j != i {
				routes = append(routes, fmt.Sprintf("nats-route://127.0.0.1:%d", route[j]))
			}
		}
		name := fmt.Sprintf("n%d", i+1)
		conf := natsNodeConfig(name, client[i], route[i], monitor[i], dir, routes) // the server adds /jetstream
		confPath := filepath.Join(dir, "nats.conf")
		if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
			return nil, fmt.Errorf("nats cluster: %w", err)
		}
		proc, err := newProcess("nats "+name, filepath.Join(dir, "nats.log"), bin, []string{"-c", confPath}, nil)
		if err != nil {
			return nil, err
		}
		c.nodes = append(c.nodes, &natsNode{
			name:       name,
			clientURL:  fmt.Sprintf("nats://127.0.0.1:%d", client[i]),
			monitorURL: fmt.Sprintf("http://127.0.0.1:%d", monitor[i]),
			proc:       proc,
		})
	}
	return c, nil
}

// startAll starts every node before waiting for any (a meta leader needs a quorum) and
// waits until each is healthy.
func (c *NATSCluster) startAll() error {
	exited := make([]<-chan struct{}, len(c.nodes))
	for i, nd := range c.nodes {
		var err error
		if exited[i], err = nd.proc.start(); err != nil {
			return err
		}
	}
	for i := range c.nodes {
		if err := c.healthy(i, exited[i], "js-meta-only=true", 30*time.Second); err != nil {
			return err
		}
	}
	return nil
}

// portTaken reports whether a node's log says its port was in use.
func (c *NATSCluster) portTaken() bool {
	for _, nd := range c.nodes {
		if strings.Contains(nd.proc.logTail(40), "bind: address already in use") {
			return true
		}
	}
	return false
}

func (c *NATSCluster) stopAll() {
	for _, nd := range c.nodes {
		nd.proc.kill()
	}
}

// natsNodeConfig is one node's configuration file: everything on 127.0.0.1.
func natsNodeConfig(name string, client, route, monitor int, storeDir string, routes []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "server_name: %s\n", name)
	fmt.Fprintf(&b, "listen: \"127.0.0.1:%d\"\n", client)
	fmt.Fprintf(&b, "http: \"127.0.0.1:%d\"\n", monitor)
	fmt.Fprintf(&b, "jetstream {\n  store_dir: %q\n}\n", storeDir)
	fmt.Fprintf(&b, "cluster {\n  name: %s\n  listen: \"127.0.0.1:%d\"\n  routes: [\n", NATSClusterName, route)
	for _, r := range routes {
		fmt.Fprintf(&b, "    %q\n", r)
	}
	b.WriteString("  ]\n}\n")
	return b.String()
}

func (c *NATSCluster) cleanup() {
	for _, nd := range c.nodes {
		nd.proc.kill()
	}
	if c.t.Failed() {
		for _, nd := range c.nodes {
			c.t.Logf("--- tail of nats %s log (%s):\n%s", nd.name, nd.proc.logPath(), nd.proc.logTail(40))
		}
	}
	for _, nd := range c.nodes {
		nd.proc.close()
	}
}

func (c *NATSCluster) node(i int) *natsNode {
	c.t.Helper()
	if i < 0 || i >= len(c.nodes) {
		c.t.Fatalf("nats cluster: no node %d (the cluster has %d)", i, len(c.nodes))
	}
	return c.nodes[i]
}

// URLs is every node's client URL, comma-separated, as -nats.url takes them.
func (c *NATSCluster) URLs() string {
	urls := make([]string, len(c.nodes))
	for i, nd := range c.nodes {
		urls[i] = nd.clientURL
	}
	return strings.Join(urls, ",")
}

// URL is node i's client URL.
func (c *NATSCluster) URL(i int) string {
	c.t.Helper()
	return c.node(i).clientURL
}

// Running reports whether node i's process is up.
func (c *NATSCluster) Running(i int) bool {
	c.t.Helper()
	return c.node(i).proc.running()
}

// Kill crashes node i with SIGKILL and waits until the process is gone. The store keeps
// whatever the OS had been given; nothing is flushed or handed over.
func (c *NATSCluster) Kill(i int) {
	c.t.Helper()
	c.node(i).proc.kill()
}

// Stop shuts node i down with SIGTERM (the server's graceful shutdown: stream leaders hand
// over first) and waits up to 30 s for it to exit.
func (c *NATSCluster) Stop(i int) {
	c.t.Helper()
	if err := c.node(i).proc.stop(syscall.SIGTERM, 30*time.Second); err != nil {
		c.t.Fatal(err)
	}
}

// Start restarts node i with its store and ports and waits up to 30 s until it accepts
// clients and, when a majority of the nodes runs, until it is current with the meta leader.
// It does not wait for streams to catch up (WaitCurrent does). A no-op while node i runs.
func (c *NATSCluster) Start(i int) {
	c.t.Helper()
	nd := c.node(i)
	if nd.proc.running() {
		return
	}
	exited, err := nd.proc.start()
	if err != nil {
		c.t.Fatal(err)
	}
	c.waitHealthy(i, exited, "js-server-only=true", 30*time.Second)
	running := 0
	for _, n := range c.nodes {
		if n.proc.running() {
			running++
		}
	}
	if running > len(c.nodes)/2 {
		c.waitHealthy(i, exited, "js-meta-only=true", 30*time.Second)
	}
}

// waitHealthy polls node i's /healthz with the given query until it answers 200.
func (c *NATSCluster) waitHealthy(i int, exited <-chan struct{}, query string, timeout time.Duration) {
	c.t.Helper()
	if err := c.healthy(i, exited, query, timeout); err != nil {
		c.t.Fatal(err) // cleanup prints the logs
	}
}

// healthy is waitHealthy returning its failure.
func (c *NATSCluster) healthy(i int, exited <-chan struct{}, query string, timeout time.Duration) error {
	nd := c.nodes[i]
	url := nd.monitorURL + "/healthz?" + query
	return pollUntil(timeout, 50*time.Millisecond, exited, "nats "+nd.name+" healthz?"+query, func() error {
		if c.portTaken() {
			// A node that could not bind its port exited; the others wait for a quorum.
			return fmt.Errorf("a node's port is in use: %w", errGiveUp)
		}
		resp, err := c.http.Get(url)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			body, _ := io.ReadAll(resp.Body)
			return fmt.Errorf("status %d: %s", resp.StatusCode, strings.TrimSpace(string(body)))
		}
		return nil
	})
}

// StreamLeader is the index of the node leading stream now, or -1 while the stream has no
// leader (or no running node answers).
func (c *NATSCluster) StreamLeader(t testing.TB, stream string) int {
	t.Helper()
	info, err := c.streamInfo(stream)
	if err != nil || info.Cluster == nil || info.Cluster.Leader == "" {
		return -1
	}
	return c.index(t, info.Cluster.Leader)
}

// WaitStreamLeader polls until stream has a leader and returns its index.
func (c *NATSCluster) WaitStreamLeader(t testing.TB, stream string, timeout time.Duration) int {
	t.Helper()
	var leader string
	err := pollUntil(timeout, 50*time.Millisecond, nil, "stream "+stream+" leader", func() error {
		info, err := c.streamInfo(stream)
		if err != nil {
			return err
		}
		if info.Cluster == nil || info.Cluster.Leader == "" {
			return fmt.Errorf("no leader")
		}
		leader = info.Cluster.Leader
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return c.index(t, leader)
}

// WaitCurrent polls until stream has a leader, the leader reports every replica current
// (seen recently, no lag), and every member's own store, read through its monitoring
// endpoint, holds the leader's last sequence: a restarted node has caught up.
func (c *NATSCluster) WaitCurrent(t testing.TB, stream string, timeout time.Duration) {
	t.Helper()
	err := pollUntil(timeout, 100*time.Millisecond, nil, "stream "+stream+" replicas current", func() error {
		info, err := c.streamInfo(stream)
		if err != nil {
			return err
		}
		ci := info.Cluster
		if ci == nil || ci.Leader == "" {
			return fmt.Errorf("no leader")
		}
		if want := info.Config.Replicas - 1; len(ci.Replicas) != want {
			return fmt.Errorf("leader %s knows %d other replicas, want %d", ci.Leader, len(ci.Replicas), want)
		}
		members := []string{ci.Leader}
		for _, r := range ci.Replicas {
			if !r.Current || r.Offline || r.Lag != 0 {
				return fmt.Errorf("replica %s: current=%v offline=%v lag=%d", r.Name, r.Current, r.Offline, r.Lag)
			}
			members = append(members, r.Name)
		}
		for _, name := range members {
			i, ok := c.lookup(name)
			if !ok {
				return fmt.Errorf("member %s is not a node of this cluster", name)
			}
			last, err := c.localLastSeq(i, stream)
			if err != nil {
				return err
			}
			if last != info.State.LastSeq {
				return fmt.Errorf("%s has last sequence %d, the leader %d", name, last, info.State.LastSeq)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// streamInfo asks any running node, over a fresh connection (a cached one could still be
// reconnecting after a kill).
func (c *NATSCluster) streamInfo(stream string) (*jetstream.StreamInfo, error) {
	nc, err := nats.Connect(c.URLs(), nats.Timeout(time.Second), nats.NoReconnect())
	if err != nil {
		return nil, err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	s, err := js.Stream(ctx, stream)
	if err != nil {
		return nil, err
	}
	return s.CachedInfo(), nil
}

// localLastSeq is the last sequence of stream in node i's own store, from /jsz.
func (c *NATSCluster) localLastSeq(i int, stream string) (uint64, error) {
	var jsz struct {
		AccountDetails []struct {
			Streams []struct {
				Name  string `json:"name"`
				State struct {
					LastSeq uint64 `json:"last_seq"`
				} `json:"state"`
			} `json:"stream_detail"`
		} `json:"account_details"`
	}
	if err := c.monitorJSON(i, "/jsz?accounts=true&streams=true", &jsz); err != nil {
		return 0, err
	}
	for _, acc := range jsz.AccountDetails {
		for _, s := range acc.Streams {
			if s.Name == stream {
				return s.State.LastSeq, nil
			}
		}
	}
	return 0, fmt.Errorf("%s /jsz: no stream %s", c.nodes[i].name, stream)
}

// monitorJSON decodes the answer of node i's monitoring endpoint path into v.
func (c *NATSCluster) monitorJSON(i int, path string, v any) error {
	nd := c.nodes[i]
	resp, err := c.http.Get(nd.monitorURL + path)
	if err != nil {
		return fmt.Errorf("%s %s: %w", nd.name, path, err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		return fmt.Errorf("%s %s: %w", nd.name, path, err)
	}
	return nil
}

func (c *NATSCluster) lookup(name string) (int, bool) {
	for i, nd := range c.nodes {
		if nd.name == name {
			return i, true
		}
	}
	return -1, false
}

func (c *NATSCluster) index(t testing.TB, name string) int {
	t.Helper()
	i, ok := c.lookup(name)
	if !ok {
		t.Fatalf("nats cluster: server %q is not a node of this cluster", name)
	}
	return i
}
