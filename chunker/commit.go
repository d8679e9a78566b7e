package chunker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/jetlog/jetlog/bus"
	"github.com/jetlog/jetlog/chunk"
	"github.com/jetlog/jetlog/objstore"
	"github.com/jetlog/jetlog/schemas"
)

// recover opens a new epoch in the partition's checkpoint (from then on an earlier owner can
// no longer commit) and removes the objects of a flush that never committed. Reading restarts
// at checkpoint+1.
func (p *partition) recover(ctx context.Context) error {
	cps := p.c.d.Bus.Checkpoints()
	cp, rev, err := cps.Get(ctx, p.id)
	if err != nil {
		return err
	}
	next := cp.NextEpoch()
	nrev, err := cps.Set(ctx, next, rev)
	if err != nil {
		return err // a conflict: another owner moved it meanwhile; read it again
	}
	p.cp, p.cpRev = next, nrev
	b := p.c.d.Bucket
	var in schemas.Intent
	err = getJSON(ctx, b, schemas.IntentKey(p.id), &in)
	switch {
	case objstore.IsNotFound(err):
	case err != nil:
		return err
	default:
		if !next.Covers(in.Range()) {
			for _, k := range in.Keys {
				if err := b.Delete(ctx, k); err != nil {
					return fmt.Errorf("roll back %s: %w", k, err)
				}
			}
			p.c.m.rolledBack.Inc()
			p.c.d.Logger.Info("rolled back uncommitted flush", "partition", p.id, "epoch", in.Epoch, "from", in.From, "to", in.To)
		}
		if err := b.Delete(ctx, schemas.IntentKey(p.id)); err != nil {
			return err
		}
	}
	p.lastSeq = next.Seq
	p.c.d.Logger.Info("partition recovered", "partition", p.id, "epoch", next.Epoch(), "checkpoint", next.Seq)
	return nil
}

// commit moves the checkpoint to to. A lost compare-and-set whose value is ours anyway (the
// reply to an earlier attempt was lost) is a success; any other means a newer owner.
func (p *partition) commit(ctx context.Context, to uint64) error {
	cps := p.c.d.Bus.Checkpoints()
	next := p.cp.Advance(to)
	rev, err := cps.Set(ctx, next, p.cpRev)
	if errors.Is(err, bus.ErrConflict) {
		cur, crev, gerr := cps.Get(ctx, p.id)
		if gerr != nil {
			return gerr
		}
		if cur.Epoch() != next.Epoch() {
			return errFenced
		}
		if cur.Seq != to {
			return fmt.Errorf("checkpoint %d moved to %d in our own epoch: %w", p.id, cur.Seq, errFenced)
		}
		rev, err = crev, nil
	}
	if err != nil {
		return err
	}
	p.cp, p.cpRev = next, rev
	return nil
}

// flush writes the buffer as one object per tenant and commits it (see schemas/storage.go).
// It is idempotent: a retry after any failure writes the same keys again.
func (p *partition) flush(ctx context.Context) error {
	start := time.Now()
	from, to := p.from, p.lastSeq
	epoch := p.cp.Epoch()
	id := schemas.FlushID(p.id, epoch, from, to)
	sources := []schemas.SeqRange{{Partition: p.id, Epoch: epoch, From: from, To: to}}
	select {
	case p.c.builds <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	objs, keys, entries, err := p.build(sources, id)
	<-p.c.builds
	if err != nil {
		return err
	}
	b := p.c.d.Bucket
	if err := putJSON(ctx, b, schemas.IntentKey(p.id), schemas.Intent{Partition: p.id, Epoch: epoch, From: from, To: to, Keys: keys}); err != nil {
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
	if err := p.commit(ctx, to); err != nil {
		return fmt.Errorf("commit checkpoint: %w", err)
	}
	// Committed. A failure to remove the intent is harmless: recovery sees To <= checkpoint.
	if err := b.Delete(ctx, schemas.IntentKey(p.id)); err != nil {
		p.c.d.Logger.Warn("remove intent", "partition", p.id, "err", err)
	}
	m := p.c.m
	m.flushes.Inc()
	m.entries.Add(float64(entries))
	m.bytes.Add(float64(written))
	m.objects.Add(float64(len(objs)))
	m.flushDuration.Observe(time.Since(start).Seconds())
	p.c.d.Logger.Debug("flushed", "partition", p.id, "from", from, "to", to, "tenants", len(objs), "entries", entries, "bytes", written)
	p.reset()
	return nil
}

// retry runs fn until it succeeds, ctx ends (ctx.Err()) or fn reports errFenced, backing off
// up to 5 s between attempts; the chunker reports not ready while attempts fail.
func retry(ctx context.Context, p *partition, what string, fn func() error) error {
	delay := 100 * time.Millisecond
	for {
		err := fn()
		if err == nil {
			p.c.setFailed(nil)
			return nil
		}
		if errors.Is(err, errFenced) {
			return errFenced
		}
		if ctx.Err() != nil {
			return ctx.Err()
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

// flushObject is one tenant's data object and index segment of a flush.
type flushObject struct {
	dataKey, indexKey string
	data, index       []byte
}

// build decodes the buffered messages and encodes each tenant's objects: the CPU part of a
// flush, run under the chunker's build limit.
func (p *partition) build(sources []schemas.SeqRange, id string) (objs []flushObject, keys []string, entries int, err error) {
	grouped, entries := p.group()
	tenants := make([]string, 0, len(grouped))
	for t := range grouped {
		tenants = append(tenants, t)
	}
	sort.Strings(tenants)
	for _, t := range tenants {
		streams := make([]chunk.Stream, 0, len(grouped[t]))
		for _, s := range grouped[t] {
			streams = append(streams, *s)
		}
		data, index, err := chunk.Build(streams, sources, nil)
		if err != nil {
			return nil, nil, 0, fmt.Errorf("build object for tenant %q: %w", t, err)
		}
		o := flushObject{schemas.DataKey(t, id), schemas.IndexKey(t, id), data, index}
		objs = append(objs, o)
		keys = append(keys, o.dataKey, o.indexKey)
	}
	return objs, keys, entries, nil
}
