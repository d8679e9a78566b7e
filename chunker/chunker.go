package chunker

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/jetlog/jetlog/bus"
	"github.com/jetlog/jetlog/objstore"
)

// Deps are the chunker's collaborators.
type Deps struct {
	Bus        *bus.Bus
	Bucket     objstore.Bucket
	Logger     *slog.Logger
	Registerer prometheus.Registerer
}

// Chunker flushes the partitions this instance owns (see the package comment).
type Chunker struct {
	cfg    Config
	d      Deps
	m      *metrics
	total  atomic.Int64  // raw bytes buffered by all owned partitions
	builds chan struct{} // a token per object build running (Config.ConcurrentFlushes)
	failed atomic.Pointer[error]

	leases *bus.Leases
	// lastHolder is, per partition, the other instance that held its lease when an ownership
	// round last saw it held, kept after the lease expires (see round); only rounds touch it,
	// and they never overlap.
	lastHolder map[int]string

	mu      sync.Mutex
	owned   map[int]*owned // partitions running now; guarded by mu
	closing bool           // Close began: take no more partitions; guarded by mu

	stopManage chan struct{} // closed by Close: the ownership loop ends

	ctx       context.Context // the partitions' lifetime: ends in Close, not with Run's ctx
	cancel    context.CancelFunc
	startOnce sync.Once
	startErr  error
	closeOnce sync.Once
	closeErr  error
	manageWG  sync.WaitGroup
	partsWG   sync.WaitGroup
}

// New builds a chunker; Run starts it.
func New(cfg Config, d Deps) (*Chunker, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if d.Bus == nil || d.Bucket == nil {
		return nil, errors.New("chunker: Bus and Bucket are required")
	}
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	if cfg.InstanceID == "" {
		host, _ := os.Hostname()
		var b [4]byte
		_, _ = rand.Read(b[:])
		cfg.InstanceID = host + "-" + hex.EncodeToString(b[:])
	}
	cfg.InstanceID = bus.InstanceKey(cfg.InstanceID)
	c := &Chunker{cfg: cfg, d: d, m: newMetrics(d.Registerer), owned: map[int]*owned{}, lastHolder: map[int]string{}, stopManage: make(chan struct{})}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	c.builds = make(chan struct{}, cmp.Or(cfg.ConcurrentFlushes, defaultConcurrentFlushes(runtime.GOMAXPROCS(0), cfg.SharesCPU)))
	return c, nil
}

// defaultConcurrentFlushes is the build limit when none is configured: every core, or half
// of them when pushes are served by the same process.
func defaultConcurrentFlushes(procs int, sharesCPU bool) int {
	if sharesCPU {
		return max(1, procs/2)
	}
	return procs
}

// InstanceID is this instance's name in the lease bucket.
func (c *Chunker) InstanceID() string { return c.cfg.InstanceID }

// Run takes partitions and returns when ctx ends. Consumption and the final flush continue
// until Close, so a shutdown can drain in order (see cmd/jetlog).
func (c *Chunker) Run(ctx context.Context) error {
	if err := c.start(); err != nil {
		return err
	}
	<-ctx.Done()
	return nil
}

// start opens the lease bucket, takes a first share of partitions and starts the ownership
// loop. It runs once; Flush and Run both call it.
func (c *Chunker) start() error {
	c.startOnce.Do(func() {
		c.leases, c.startErr = c.d.Bus.Leases(c.ctx, c.cfg.LeaseTTL)
		if c.startErr != nil {
			return
		}
		c.round(c.ctx)
		c.manageWG.Add(1)
		go func() {
			defer c.manageWG.Done()
			c.manage(c.ctx)
		}()
	})
	return c.startErr
}

// Flush commits everything published to the bus before the call on the partitions this
// instance owns. It returns once all of it is durable in the object store (or ctx ends).
func (c *Chunker) Flush(ctx context.Context) error {
	if err := c.start(); err != nil {
		return err
	}
	last, err := c.d.Bus.LastSeq(ctx)
	if err != nil {
		return err
	}
	c.mu.Lock()
	parts := make([]*owned, 0, len(c.owned))
	for _, o := range c.owned {
		parts = append(parts, o)
	}
	c.mu.Unlock()
	reqs := make([]*flushReq, len(parts))
	for i, o := range parts {
		reqs[i] = &flushReq{upTo: last, done: make(chan error, 1)}
		select {
		case o.p.reqs <- reqs[i]:
		case <-o.done:
			reqs[i].done <- fmt.Errorf("partition %d: released during the flush", o.p.id)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	for i, r := range reqs {
		select {
		case err := <-r.done:
			if err != nil {
				return fmt.Errorf("partition %d: %w", parts[i].p.id, err)
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// Close flushes everything on the bus that this instance owns (for at most
// Config.ShutdownTimeout), releases its leases and stops. Safe to call more than once.
func (c *Chunker) Close() error {
	c.closeOnce.Do(func() {
		if c.start() != nil {
			c.cancel()
			return
		}
		c.beginClosing()
		ctx, cancel := context.WithTimeout(context.Background(), c.cfg.ShutdownTimeout)
		defer cancel()
		c.closeErr = c.Flush(ctx)
		if c.closeErr != nil {
			// The flush failed or ran out of time (the object store is down, say): a
			// graceful stop would only retry it. Stop the partitions at once; the bus keeps
			// what they held for the next owner.
			cancel()
		}
		c.releaseAll(ctx)
		c.stopManaging()
		// With time of its own: the others should count one instance less at once.
		lctx, lcancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := c.leases.Leave(lctx, c.cfg.InstanceID); err != nil {
			c.d.Logger.Warn("leave", "err", err)
		}
		lcancel()
		c.cancel()
		c.partsWG.Wait()
	})
	return c.closeErr
}

// Ready is nil unless the last flush attempt failed (e.g. the object store is down).
func (c *Chunker) Ready() error {
	if p := c.failed.Load(); p != nil && *p != nil {
		return fmt.Errorf("chunker: %w", *p)
	}
	return nil
}

func (c *Chunker) setFailed(err error) { c.failed.Store(&err) }

// largest reports whether p buffers at least as much as every other owned partition.
func (c *Chunker) largest(p *partition) bool {
	mine := p.bytes.Load()
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, o := range c.owned {
		if o.p.bytes.Load() > mine {
			return false
		}
	}
	return true
}
