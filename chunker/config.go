// Package chunker turns the bus into durable objects. For each partition it owns it reads
// messages in sequence order from the last committed point, buffers entries per tenant and
// stream, and flushes them as Parquet objects (package chunk) following the commit protocol of
// package schemas: intent, objects, checkpoint (the commit, a compare-and-set on the bus), then
// the intent is removed. Nothing is considered flushed until its checkpoint is written, so a
// crash at any point loses nothing and a repeated flush never shows an entry twice.
//
// Several chunker instances share the partitions through leases on the bus: each takes about
// its fair share (partitions / live instances), renews its leases every third of the lease TTL,
// and takes over the partitions of an instance whose leases expired. An instance that lost a
// partition cannot commit to it any more (its epoch is closed), so at most one owner's work is
// ever visible.
package chunker

import (
	"errors"
	"flag"
	"time"
)

// Config sets the flush triggers. A partition flushes when any one fires.
type Config struct {
	// MaxChunkBytes is the bus payload bytes (about the raw line bytes) a partition buffers
	// before it flushes.
	MaxChunkBytes int64 `yaml:"max_chunk_bytes"`
	// MaxChunkAge is how long the oldest buffered entry may wait.
	MaxChunkAge time.Duration `yaml:"max_chunk_age"`
	// IdlePeriod flushes a partition that received nothing for this long.
	IdlePeriod time.Duration `yaml:"idle_period"`
	// MaxBufferedBytes caps the payload bytes buffered by all partitions together; past it the
	// biggest partition flushes first.
	MaxBufferedBytes int64 `yaml:"max_buffered_bytes"`
	// FetchBatch is how many bus messages one read asks for.
	FetchBatch int `yaml:"fetch_batch"`
	// InstanceID names this instance in the lease bucket. It must differ between live
	// instances; an instance restarted with the same ID reclaims its partitions at once.
	InstanceID string `yaml:"instance_id"`
	// LeaseTTL is how long a partition lease lives without renewal: the longest a dead
	// instance's partitions wait for a new owner.
	LeaseTTL time.Duration `yaml:"lease_ttl"`
	// ShutdownTimeout bounds the final flush of Close. Nothing is lost when it runs out (the
	// bus keeps the messages for the next owner); it only keeps a shutdown from hanging
	// while the object store is down.
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
	// ConcurrentFlushes bounds how many partitions build objects at once (0: GOMAXPROCS, or
	// half of it when SharesCPU). Building is CPU work, and partitions fed evenly fill up
	// together: unbounded, every one of them decodes and encodes at the same moment, which
	// multiplies the memory of a flush and stalls pushes behind a burst of CPU. A partition
	// waiting for its turn does not read, so its messages wait on the bus.
	ConcurrentFlushes int `yaml:"concurrent_flushes"`
	// SharesCPU is set when the process also runs the ingest gateway: builds on every core
	// would leave pushes waiting for one (measured in BENCHMARKS.md, sixth session).
	SharesCPU bool `yaml:"-"`
}

// RegisterFlags sets defaults and registers flags.
func (c *Config) RegisterFlags(f *flag.FlagSet) {
	f.Int64Var(&c.MaxChunkBytes, "chunker.max-chunk-bytes", 32<<20, "Bus payload bytes (about the raw line bytes) a partition buffers before flushing.")
	f.DurationVar(&c.MaxChunkAge, "chunker.max-chunk-age", 30*time.Second, "Longest time an entry waits in the chunker before a flush.")
	f.DurationVar(&c.IdlePeriod, "chunker.idle-period", 5*time.Second, "Flush a partition that received nothing for this long.")
	f.Int64Var(&c.MaxBufferedBytes, "chunker.max-buffered-bytes", 128<<20, "Decoded bus payload bytes (about the raw line bytes) all partitions may buffer together; buffered payloads stay compressed, so memory is a fraction of it.")
	f.IntVar(&c.FetchBatch, "chunker.fetch-batch", 256, "Bus messages per read.")
	f.StringVar(&c.InstanceID, "chunker.instance-id", "", "Name of this chunker in the partition leases; unique among live instances (default: hostname and HTTP port).")
	f.DurationVar(&c.LeaseTTL, "chunker.lease-ttl", 10*time.Second, "How long a partition lease lives without renewal; a dead chunker's partitions are taken over after it.")
	f.IntVar(&c.ConcurrentFlushes, "chunker.concurrent-flushes", 0, "Partitions that may build objects at the same time (0: GOMAXPROCS, or half of it, at least 1, in a process that also runs the gateway).")
	f.DurationVar(&c.ShutdownTimeout, "chunker.shutdown-timeout", 20*time.Second, "Longest the final flush at shutdown may take; what it could not write stays on the bus for the next owner.")
}

// Validate reports every problem.
func (c *Config) Validate() error {
	var errs []error
	if c.MaxChunkBytes <= 0 {
		errs = append(errs, errors.New("-chunker.max-chunk-bytes must be positive"))
	}
	if c.MaxChunkAge <= 0 || c.IdlePeriod <= 0 {
		errs = append(errs, errors.New("-chunker.max-chunk-age and -chunker.idle-period must be positive"))
	}
	if c.MaxBufferedBytes < c.MaxChunkBytes {
		errs = append(errs, errors.New("-chunker.max-buffered-bytes must be at least -chunker.max-chunk-bytes"))
	}
	if c.FetchBatch <= 0 {
		errs = append(errs, errors.New("-chunker.fetch-batch must be positive"))
	}
	if c.ShutdownTimeout <= 0 {
		errs = append(errs, errors.New("-chunker.shutdown-timeout must be positive"))
	}
	if c.LeaseTTL < time.Second {
		errs = append(errs, errors.New("-chunker.lease-ttl must be at least 1s"))
	}
	return errors.Join(errs...)
}
