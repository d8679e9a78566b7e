package store

import (
	"cmp"
	"context"
	"slices"
	"sync"

	"github.com/jetlog/jetlog/schemas"
)

// Reads that share: the pieces of a query split by time each select from the store, and
// each used to take its own snapshot and fetch the whole bus tail, though the tail holds
// every piece's entries at once. Under Share, the reads of one query take one snapshot per
// tenant, and the tail is fetched once for all the reads that start together: the first
// read fetches it for itself and for every read that joins before the first message comes,
// handing each message to each of them. The fetch notes every message's sequence and time
// range (the Jetlog-Times header); a read that comes later (pieces beyond the concurrency
// bound) fetches only the runs of sequences whose messages meet its range
// (ReadTailRanges). As the snapshot is shared, so are its checkpoints: every read sees the
// same tail, and each piece stays exact.

// Share returns a context under which the store's reads share a snapshot and the tail,
// per tenant, for as long as the context lives: a query's pieces, not queries. The shared
// tail fetch runs under ctx, not under the context of the read that starts it.
func Share(ctx context.Context) context.Context {
	return context.WithValue(ctx, shareKey{}, &share{ctx: ctx, tenants: map[string]*sharedTenant{}})
}

type shareKey struct{}

type share struct {
	ctx     context.Context
	mu      sync.Mutex
	tenants map[string]*sharedTenant
}

// sharedTenant is what the reads of one tenant share.
type sharedTenant struct {
	ctx context.Context // the share's

	snapMu sync.Mutex
	sn     *snapshot // nil until a read took it

	mu   sync.Mutex
	read *sharedRead // the first tail fetch, nil before it
}

// sharedRead is the first fetch of a tenant's tail. Until it hands over its first message
// (started), reads may join it (subs); done is closed when it ends, and then err is its
// error and noted, sorted by sequence, every message it handed over.
type sharedRead struct {
	subs    []func(schemas.TailMessage) error
	started bool
	done    chan struct{}
	err     error
	noted   []notedMessage
}

type notedMessage struct {
	seq   uint64
	times schemas.Times
}

func sharedFor(ctx context.Context, tenant string) *sharedTenant {
	sh, _ := ctx.Value(shareKey{}).(*share)
	if sh == nil {
		return nil
	}
	sh.mu.Lock()
	defer sh.mu.Unlock()
	t := sh.tenants[tenant]
	if t == nil {
		t = &sharedTenant{ctx: sh.ctx}
		sh.tenants[tenant] = t
	}
	return t
}

// sharedSnapshot is snapshot, taken once per tenant under Share. A failure is not kept: it
// may be the caller's (a piece cancelled), and the next read tries again.
func (s *Store) sharedSnapshot(ctx context.Context, tenant string) (*snapshot, error) {
	t := sharedFor(ctx, tenant)
	if t == nil {
		return s.snapshot(ctx, tenant)
	}
	t.snapMu.Lock()
	defer t.snapMu.Unlock()
	if t.sn == nil {
		sn, err := s.snapshot(ctx, tenant)
		if err != nil {
			return nil, err
		}
		t.sn = sn
	}
	return t.sn, nil
}

// maxTailRuns bounds the runs of sequences a later read fetches one by one (each costs a
// consumer); past it, it fetches the span from the first run to the last.
const maxTailRuns = 64

// fetchTail is Tail.ReadTail for readTail, for entries in [start, end). Under Share, the
// first read of a tenant fetches the whole tail for itself and the reads that join it; a
// later read waits for that fetch and fetches the runs it found to meet its range, or the
// whole tail if it failed. Without Share, every read fetches the whole tail.
func (s *Store) fetchTail(ctx context.Context, tenant string, after func(int) uint64, start, end int64, fn func(m schemas.TailMessage) error) error {
	t := sharedFor(ctx, tenant)
	if t == nil {
		return s.tail.ReadTail(ctx, tenant, after, fn)
	}
	// A read whose own context ends stops taking messages; the fetch goes on for the others.
	sub := func(m schemas.TailMessage) error {
		if ctx.Err() != nil {
			return nil
		}
		return fn(m)
	}
	t.mu.Lock()
	r := t.read
	switch {
	case r == nil:
		r = &sharedRead{subs: []func(schemas.TailMessage) error{sub}, done: make(chan struct{})}
		t.read = r
		t.mu.Unlock()
		s.runSharedRead(t, r, tenant, after)
		return cmp.Or(ctx.Err(), r.err) // with its context done, sub took not every message
	case !r.started:
		r.subs = append(r.subs, sub)
		t.mu.Unlock()
		s.m.tailJoined.Inc()
		if err := r.wait(ctx); err != nil {
			return err
		}
		return cmp.Or(ctx.Err(), r.err)
	}
	t.mu.Unlock()
	if err := r.wait(ctx); err != nil {
		return err
	}
	if r.err != nil {
		return s.tail.ReadTail(ctx, tenant, after, fn)
	}
	runs, n := tailRuns(r.noted, start, end)
	s.m.tailNotFetched.Add(float64(len(r.noted) - n))
	if len(runs) == 0 {
		return nil
	}
	return s.tail.ReadTailRanges(ctx, tenant, after, runs, fn)
}

// wait waits for the fetch to end, or for ctx to, which is then the error.
func (r *sharedRead) wait(ctx context.Context) error {
	select {
	case <-r.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// runSharedRead fetches the tail for r's reads, under the share's context.
func (s *Store) runSharedRead(t *sharedTenant, r *sharedRead, tenant string, after func(int) uint64) {
	err := s.tail.ReadTail(t.ctx, tenant, after, func(m schemas.TailMessage) error {
		t.mu.Lock()
		r.started = true // r.subs no longer changes
		r.noted = append(r.noted, notedMessage{m.Seq, m.Times})
		t.mu.Unlock()
		for _, sub := range r.subs {
			if err := sub(m); err != nil {
				return err
			}
		}
		return nil
	})
	t.mu.Lock()
	r.started, r.err = true, err
	slices.SortFunc(r.noted, func(a, b notedMessage) int { return cmp.Compare(a.seq, b.seq) })
	t.mu.Unlock()
	close(r.done)
}

// tailRuns returns the runs of consecutive noted messages (sorted by sequence) that meet
// [start, end), as ranges of sequences, and how many messages the runs hold. Other tenants'
// messages between two of a run cost nothing: the tenant's filter leaves them out. More
// than maxTailRuns runs become one range, from the first to the last.
func tailRuns(noted []notedMessage, start, end int64) (runs [][2]uint64, n int) {
	in := false
	for _, m := range noted {
		if m.times.Outside(start, end) {
			in = false
			continue
		}
		n++
		if in {
			runs[len(runs)-1][1] = m.seq
		} else {
			runs = append(runs, [2]uint64{m.seq, m.seq})
			in = true
		}
	}
	if len(runs) > maxTailRuns {
		runs = [][2]uint64{{runs[0][0], runs[len(runs)-1][1]}}
	}
	return runs, n
}
