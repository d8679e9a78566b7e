// Package chunker turns the bus into durable objects. For each partition it reads messages in
// sequence order from the last committed point, buffers entries per tenant and stream, and
// flushes them as Parquet objects (package chunk) following the commit protocol of package
// schemas: intent, objects, checkpoint (the commit), then the intent is removed. Nothing is
// considered flushed until its checkpoint is durable, so a crash at any point loses nothing and
// a repeated flush never shows an entry twice.
package chunker

import (
	"errors"
	"flag"
	"time"
)

// Config sets the flush triggers. A partition flushes when any one fires.
type Config struct {
	// MaxChunkBytes is the raw line bytes a partition buffers before it flushes.
	MaxChunkBytes int64 `yaml:"max_chunk_bytes"`
	// MaxChunkAge is how long the oldest buffered entry may wait.
	MaxChunkAge time.Duration `yaml:"max_chunk_age"`
	// IdlePeriod flushes a partition that received nothing for this long.
	IdlePeriod time.Duration `yaml:"idle_period"`
	// MaxBufferedBytes caps the raw bytes buffered by all partitions together; past it the
	// biggest partition flushes first.
	MaxBufferedBytes int64 `yaml:"max_buffered_bytes"`
	// FetchBatch is how many bus messages one read asks for.
	FetchBatch int `yaml:"fetch_batch"`
}

// RegisterFlags sets defaults and registers flags.
func (c *Config) RegisterFlags(f *flag.FlagSet) {
	f.Int64Var(&c.MaxChunkBytes, "chunker.max-chunk-bytes", 32<<20, "Raw bytes a partition buffers before flushing.")
	f.DurationVar(&c.MaxChunkAge, "chunker.max-chunk-age", 30*time.Second, "Longest time an entry waits in the chunker before a flush.")
	f.DurationVar(&c.IdlePeriod, "chunker.idle-period", 5*time.Second, "Flush a partition that received nothing for this long.")
	f.Int64Var(&c.MaxBufferedBytes, "chunker.max-buffered-bytes", 128<<20, "Raw bytes all partitions may buffer together.")
	f.IntVar(&c.FetchBatch, "chunker.fetch-batch", 256, "Bus messages per read.")
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
	return errors.Join(errs...)
}
