package bus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/jetlog/jetlog/schemas"
)

// ErrConflict means a compare-and-set lost: another instance changed the key since the
// revision the caller holds. For a checkpoint it means the caller no longer owns the partition.
var ErrConflict = errors.New("revision conflict")

// Checkpoints is the checkpoint bucket (see schemas/storage.go): every partition's committed
// position, changed only by compare-and-set.
type Checkpoints struct {
	kv         jetstream.KeyValue
	partitions int
}

func (b *Bus) ensureCheckpoints(ctx context.Context) error {
	kv, err := b.ensureKV(ctx, jetstream.KeyValueConfig{
		Bucket:      b.cfg.Stream + "-checkpoints",
		Description: "jetlog: committed position of every bus partition",
		History:     1,
	})
	if err != nil {
		return err
	}
	b.checkpoints = &Checkpoints{kv: kv, partitions: b.cfg.Partitions}
	return nil
}

// Checkpoints is the checkpoint bucket.
func (b *Bus) Checkpoints() *Checkpoints { return b.checkpoints }

func (b *Bus) ensureKV(ctx context.Context, cfg jetstream.KeyValueConfig) (jetstream.KeyValue, error) {
	cfg.Replicas = b.cfg.Replicas
	cfg.Storage = jetstream.FileStorage
	var kv jetstream.KeyValue
	err := b.untilCreated(ctx, "key-value bucket "+cfg.Bucket, func(ctx context.Context) (err error) {
		kv, err = b.js.CreateOrUpdateKeyValue(ctx, cfg)
		return err
	})
	return kv, err
}

// Get returns partition p's checkpoint and its revision; a partition never committed has the
// zero Checkpoint and revision 0.
func (c *Checkpoints) Get(ctx context.Context, partition int) (schemas.Checkpoint, uint64, error) {
	cp := schemas.Checkpoint{Partition: partition}
	e, err := c.kv.Get(ctx, schemas.PartitionKey(partition))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return cp, 0, nil
	}
	if err != nil {
		return cp, 0, unavailable(fmt.Errorf("read checkpoint %d: %w", partition, err))
	}
	if err := json.Unmarshal(e.Value(), &cp); err != nil {
		return cp, 0, fmt.Errorf("decode checkpoint %d: %w", partition, err)
	}
	if cp.Partition != partition {
		return cp, 0, fmt.Errorf("checkpoint %s names partition %d", schemas.PartitionKey(partition), cp.Partition)
	}
	return cp, e.Revision(), nil
}

// All returns every partition's checkpoint (the querier's snapshot starts here).
func (c *Checkpoints) All(ctx context.Context) (map[int]schemas.Checkpoint, error) {
	type res struct {
		cp  schemas.Checkpoint
		err error
	}
	ch := make(chan res, c.partitions)
	for p := 0; p < c.partitions; p++ {
		go func() {
			cp, _, err := c.Get(ctx, p)
			ch <- res{cp, err}
		}()
	}
	out := make(map[int]schemas.Checkpoint, c.partitions)
	var errs []error
	for range c.partitions {
		r := <-ch
		if r.err != nil {
			errs = append(errs, r.err)
			continue
		}
		out[r.cp.Partition] = r.cp
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

// Set writes cp if the key is still at revision rev (0: never written) and returns the new
// revision. ErrConflict means someone else wrote it first.
func (c *Checkpoints) Set(ctx context.Context, cp schemas.Checkpoint, rev uint64) (uint64, error) {
	data, err := json.Marshal(cp)
	if err != nil {
		return 0, err
	}
	key := schemas.PartitionKey(cp.Partition)
	var n uint64
	if rev == 0 {
		n, err = c.kv.Create(ctx, key, data)
	} else {
		n, err = c.kv.Update(ctx, key, data, rev)
	}
	switch {
	case errors.Is(err, jetstream.ErrKeyExists), errors.Is(err, jetstream.ErrKeyRevisionMismatch):
		return 0, fmt.Errorf("checkpoint %d at revision %d: %w", cp.Partition, rev, ErrConflict)
	case err != nil:
		return 0, unavailable(fmt.Errorf("write checkpoint %d: %w", cp.Partition, err))
	}
	return n, nil
}
