package chunker

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/jetlog/jetlog/chunk"
	"github.com/jetlog/jetlog/objstore"
	"github.com/jetlog/jetlog/schemas"
)

// recover reads the partition's checkpoint and removes the objects of a flush that never
// committed (its intent lies beyond the checkpoint). Reading restarts at checkpoint+1.
func (p *partition) recover(ctx context.Context) error {
	b := p.c.d.Bucket
	var cp schemas.Checkpoint
	if err := getJSON(ctx, b, schemas.CheckpointKey(p.id), &cp); err != nil && !objstore.IsNotFound(err) {
		return err
	}
	var in schemas.Intent
	err := getJSON(ctx, b, schemas.IntentKey(p.id), &in)
	switch {
	case objstore.IsNotFound(err):
	case err != nil:
		return err
	default:
		if in.To > cp.Seq {
			for _, k := range in.Keys {
				if err := b.Delete(ctx, k); err != nil {
					return fmt.Errorf("roll back %s: %w", k, err)
				}
			}
			p.c.m.rolledBack.Inc()
			p.c.d.Logger.Info("rolled back uncommitted flush", "partition", p.id, "from", in.From, "to", in.To)
		}
		if err := b.Delete(ctx, schemas.IntentKey(p.id)); err != nil {
			return err
		}
	}
	p.committed, p.lastSeq = cp.Seq, cp.Seq
	return nil
}

// flush writes the buffer as one object per tenant and commits it (see schemas/storage.go).
// It is idempotent: a retry after any failure writes the same keys again.
func (p *partition) flush(ctx context.Context) error {
	start := time.Now()
	from, to := p.from, p.lastSeq
	id := schemas.FlushID(p.id, from, to)
	sources := []schemas.SeqRange{{Partition: p.id, From: from, To: to}}
	tenants := make([]string, 0, len(p.tenants))
	for t := range p.tenants {
		tenants = append(tenants, t)
	}
	sort.Strings(tenants)
	type object struct {
		dataKey, indexKey string
		data, index       []byte
	}
	var objs []object
	var keys []string
	for _, t := range tenants {
		streams := make([]chunk.Stream, 0, len(p.tenants[t]))
		for _, s := range p.tenants[t] {
			streams = append(streams, *s)
		}
		data, index, err := chunk.Build(streams, sources, nil)
		if err != nil {
			return fmt.Errorf("build object for tenant %q: %w", t, err)
		}
		o := object{schemas.DataKey(t, id), schemas.IndexKey(t, id), data, index}
		objs = append(objs, o)
		keys = append(keys, o.dataKey, o.indexKey)
	}
	b := p.c.d.Bucket
	if err := putJSON(ctx, b, schemas.IntentKey(p.id), schemas.Intent{Partition: p.id, From: from, To: to, Keys: keys}); err != nil {
		return fmt.Errorf("write intent: %w", err)
	}
	var written int
	for _, o := range objs {
		// The data object first: an index segment must never name a missing object.
		if err := b.Put(ctx, o.dataKey, o.data); err != nil {
			return fmt.Errorf("write %s: %w", o.dataKey, err)
		}
		if err := b.Put(ctx, o.indexKey, o.index); err != nil {
			return fmt.Errorf("write %s: %w", o.indexKey, err)
		}
		written += len(o.data) + len(o.index)
	}
	if err := putJSON(ctx, b, schemas.CheckpointKey(p.id), schemas.Checkpoint{Partition: p.id, Seq: to}); err != nil {
		return fmt.Errorf("write checkpoint: %w", err)
	}
	// Committed. A failure to remove the intent is harmless: recovery sees To <= checkpoint.
	if err := b.Delete(ctx, schemas.IntentKey(p.id)); err != nil {
		p.c.d.Logger.Warn("remove intent", "partition", p.id, "err", err)
	}
	p.committed = to
	m := p.c.m
	m.flushes.Inc()
	m.entries.Add(float64(p.entries))
	m.bytes.Add(float64(written))
	m.objects.Add(float64(len(objs)))
	m.flushDuration.Observe(time.Since(start).Seconds())
	p.c.d.Logger.Debug("flushed", "partition", p.id, "from", from, "to", to, "tenants", len(objs), "entries", p.entries, "bytes", written)
	p.reset()
	return nil
}

// retry runs fn until it succeeds or ctx ends, backing off up to 5 s between attempts; the
// chunker reports not ready while attempts fail. It returns false when ctx ended first.
func retry(ctx context.Context, p *partition, what string, fn func() error) bool {
	delay := 100 * time.Millisecond
	for {
		err := fn()
		if err == nil {
			p.c.setFailed(nil)
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		p.c.m.flushErrors.Inc()
		p.c.setFailed(fmt.Errorf("%s partition %d: %w", what, p.id, err))
		p.c.d.Logger.Warn("chunker step failed, retrying", "step", what, "partition", p.id, "err", err, "in", delay)
		sleep(ctx, delay)
		delay = min(delay*2, 5*time.Second)
	}
}

func getJSON(ctx context.Context, b objstore.Bucket, key string, v any) error {
	data, err := b.Get(ctx, key)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("decode %s: %w", key, err)
	}
	return nil
}

func putJSON(ctx context.Context, b objstore.Bucket, key string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(ctx, key, data)
}
