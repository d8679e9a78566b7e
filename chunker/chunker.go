package chunker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
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

// Chunker owns every partition of the bus (one process; leases for several are future work).
type Chunker struct {
	cfg    Config
	d      Deps
	m      *metrics
	parts  []*partition
	total  atomic.Int64 // raw bytes buffered by all partitions
	failed atomic.Pointer[error]

	ctx       context.Context // the partitions' lifetime: ends in Close, not with Run's ctx
	cancel    context.CancelFunc
	startOnce sync.Once
	closeOnce sync.Once
	closeErr  error
	wg        sync.WaitGroup
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
	c := &Chunker{cfg: cfg, d: d, m: newMetrics(d.Registerer)}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	for p := 0; p < d.Bus.Partitions(); p++ {
		c.parts = append(c.parts, newPartition(c, p))
	}
	return c, nil
}

// Run starts consuming every partition and returns when ctx ends. Consumption and the final
// flush continue until Close, so a shutdown can drain in order (see cmd/jetlog).
func (c *Chunker) Run(ctx context.Context) error {
	c.start()
	<-ctx.Done()
	return nil
}

func (c *Chunker) start() {
	c.startOnce.Do(func() {
		for _, p := range c.parts {
			c.wg.Add(1)
			go func() {
				defer c.wg.Done()
				p.run(c.ctx)
			}()
		}
	})
}

// Flush commits everything published to the bus before the call. It returns once all of it is
// durable in the object store (or ctx ends).
func (c *Chunker) Flush(ctx context.Context) error {
	c.start()
	last, err := c.d.Bus.LastSeq(ctx)
	if err != nil {
		return err
	}
	reqs := make([]*flushReq, len(c.parts))
	for i, p := range c.parts {
		reqs[i] = &flushReq{upTo: last, done: make(chan error, 1)}
		select {
		case p.reqs <- reqs[i]:
		case <-ctx.Done():
			return ctx.Err()
		case <-c.ctx.Done():
			return errors.New("chunker closed")
		}
	}
	for i, r := range reqs {
		select {
		case err := <-r.done:
			if err != nil {
				return fmt.Errorf("partition %d: %w", i, err)
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// Close flushes everything on the bus and stops. Safe to call more than once.
func (c *Chunker) Close() error {
	c.closeOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		c.closeErr = c.Flush(ctx)
		cancel()
		c.cancel()
		c.wg.Wait()
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

// largest reports whether p buffers at least as much as every other partition.
func (c *Chunker) largest(p *partition) bool {
	mine := p.bytes.Load()
	for _, o := range c.parts {
		if o.bytes.Load() > mine {
			return false
		}
	}
	return true
}
