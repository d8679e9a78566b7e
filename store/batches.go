package store

import (
	"context"
	"errors"
	"sync"

	"github.com/jetlog/jetlog/chunk"
	"github.com/jetlog/jetlog/logql"
	"github.com/jetlog/jetlog/schemas/labels"
)

// How a query's rows reach the engine: in batches of one stream whose lines share an arena,
// recycled through a per-query pool, handed out by Next or Walk.

// batchSize bounds the entries of one emitted batch, and so the memory a scan holds.
const batchSize = 1024

func splitBatches(ls labels.Labels, h uint64, es []logql.RawEntry) []*logql.Batch {
	var out []*logql.Batch
	for len(es) > 0 {
		n := min(len(es), batchSize)
		out = append(out, &logql.Batch{Labels: ls, Hash: h, Entries: es[:n:n]})
		es = es[n:]
	}
	return out
}

// batcher groups consecutive rows of one stream into batches whose lines live in one arena.
// Batches the engine releases come back through pool and are filled again.
type batcher struct {
	emit  func(*logql.Batch) error
	pool  *batchPool
	cur   *logql.Batch
	arena []byte
	offs  [][2]int
}

// add copies row into the current batch; a row without its line (not decoded) keeps its
// size only.
func (b *batcher) add(ls labels.Labels, h uint64, row *chunk.Row) error {
	if b.cur != nil && (h != b.cur.Hash || len(b.cur.Entries) == batchSize) {
		if err := b.flush(); err != nil {
			return err
		}
	}
	if b.cur == nil {
		b.cur, b.arena = b.pool.get()
		b.cur.Labels, b.cur.Hash = ls, h
	}
	if row.Line != nil {
		b.offs = append(b.offs, [2]int{len(b.arena), len(b.arena) + len(row.Line)})
		b.arena = append(b.arena, row.Line...)
	} else {
		b.offs = append(b.offs, [2]int{-1, 0})
	}
	b.cur.Entries = append(b.cur.Entries, logql.RawEntry{Timestamp: row.Ts, Size: row.Size, Metadata: row.Metadata})
	return nil
}

func (b *batcher) flush() error {
	if b.cur == nil {
		return nil
	}
	for i, o := range b.offs {
		if o[0] >= 0 {
			b.cur.Entries[i].Line = b.arena[o[0]:o[1]:o[1]]
		}
	}
	batch := b.cur
	b.pool.lend(batch, b.arena)
	b.cur, b.arena, b.offs = nil, nil, b.offs[:0]
	return b.emit(batch)
}

// batchPool recycles the batches (entries and line arenas) of one query: the engine hands
// each back with Release once it no longer reads it.
type batchPool struct {
	mu   sync.Mutex
	out  map[*logql.Batch][]byte // lent batches and their arenas
	free chan pooled
}

type pooled struct {
	b     *logql.Batch
	arena []byte
}

func newBatchPool() *batchPool {
	return &batchPool{out: map[*logql.Batch][]byte{}, free: make(chan pooled, 32)}
}

func (p *batchPool) get() (*logql.Batch, []byte) {
	select {
	case pb := <-p.free:
		clear(pb.b.Entries) // drop references to old metadata
		pb.b.Entries = pb.b.Entries[:0]
		return pb.b, pb.arena[:0]
	default:
		return &logql.Batch{Entries: make([]logql.RawEntry, 0, batchSize)}, nil
	}
}

func (p *batchPool) lend(b *logql.Batch, arena []byte) {
	p.mu.Lock()
	p.out[b] = arena
	p.mu.Unlock()
}

// release takes b back if it came from this pool.
func (p *batchPool) release(b *logql.Batch) {
	p.mu.Lock()
	arena, ok := p.out[b]
	delete(p.out, b)
	p.mu.Unlock()
	if !ok {
		return
	}
	select {
	case p.free <- pooled{b, arena}:
	default:
	}
}

// selectIter hands out the batches of run: through a channel from a producer goroutine that
// the first Next starts, or straight to Walk's function on the goroutines that read them.
type selectIter struct {
	ctx    context.Context
	cancel context.CancelFunc
	run    func(ctx context.Context, emit func(*logql.Batch) error) error
	pool   *batchPool

	started bool
	ch      chan *logql.Batch
	cur     *logql.Batch
	done    chan struct{} // closed when run returned
	err     error
}

// Release implements logql.BatchReleaser.
func (it *selectIter) Release(b *logql.Batch) { it.pool.release(b) }

func (it *selectIter) Next() bool {
	if !it.started {
		it.started = true
		it.ch = make(chan *logql.Batch, 4)
		go func() {
			defer close(it.done)
			defer close(it.ch)
			it.err = it.run(it.ctx, func(b *logql.Batch) error {
				select {
				case it.ch <- b:
					return nil
				case <-it.ctx.Done():
					return it.ctx.Err()
				}
			})
		}()
	}
	b, ok := <-it.ch
	if !ok {
		return false
	}
	it.cur = b
	return true
}

func (it *selectIter) At() *logql.Batch { return it.cur }

// Walk implements logql.BatchWalker: fn runs on the scan workers, each batch is recycled as
// soon as fn returns, so the next one is read into memory that is still in the core's cache.
func (it *selectIter) Walk(fn func(*logql.Batch)) error {
	if it.started {
		return errors.New("store: Walk after Next")
	}
	it.started = true
	defer close(it.done)
	it.err = it.run(it.ctx, func(b *logql.Batch) error {
		fn(b)
		it.pool.release(b)
		return it.ctx.Err()
	})
	return it.err
}

// Err is valid once Next returned false.
func (it *selectIter) Err() error {
	if !it.started {
		return nil
	}
	<-it.done
	return it.err
}

func (it *selectIter) Close() error {
	it.cancel()
	if !it.started {
		return nil
	}
	if it.ch != nil {
		for range it.ch {
		}
	}
	<-it.done
	return nil
}
