// Package store is the read path: it answers the engine's SelectLogs and the API's stream
// statistics for one tenant from a consistent snapshot of the object store plus the bus tail,
// and follows a tenant's new entries on the bus for the live tail (follow.go).
//
// A snapshot follows the commit protocol of package schemas: first every partition's
// checkpoint (from the bus), then the tenant's index segments, of which only those whose
// sources their partition's checkpoint covers (and that no other visible segment replaces) count; the
// bus supplies every message after each checkpoint. So each acknowledged entry is read from
// exactly one place, and exact duplicates (same stream, timestamp and line) are merged once.
package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/jetlog/jetlog/chunk"
	"github.com/jetlog/jetlog/objstore"
	"github.com/jetlog/jetlog/schemas"
	"github.com/jetlog/jetlog/schemas/labels"
)

// Tail reads bus messages after the checkpoints (package bus implements it). ReadTail calls
// after and fn concurrently, for messages in no particular order.
type Tail interface {
	ReadTail(ctx context.Context, tenant string, after func(partition int) uint64, fn func(m schemas.TailMessage) error) error
	// ReadTailRanges is ReadTail for the sequences in ranges ([first, last] each) only.
	ReadTailRanges(ctx context.Context, tenant string, after func(partition int) uint64, ranges [][2]uint64, fn func(m schemas.TailMessage) error) error
}

// Checkpoints gives every partition's committed position (*bus.Checkpoints implements it).
type Checkpoints interface {
	All(ctx context.Context) (map[int]schemas.Checkpoint, error)
}

// Config configures the store.
type Config struct{}

// Store reads one bucket and, when given, the bus tail.
type Store struct {
	bucket objstore.Bucket
	cps    Checkpoints
	tail   Tail
	logger *slog.Logger
	m      *metrics

	mu      sync.Mutex
	indexes map[string]*chunk.Index // decoded index segments by key (immutable objects)
	objects map[string]*chunk.Object
	lbls    map[string]labels.Labels
	last    map[string]*snapshot // each tenant's last snapshot read whole from the object store
}

// New builds a store. tail may be nil (objects only).
func New(_ Config, bucket objstore.Bucket, cps Checkpoints, tail Tail, logger *slog.Logger, reg prometheus.Registerer) (*Store, error) {
	if bucket == nil || cps == nil {
		return nil, fmt.Errorf("store: bucket and checkpoints are required")
	}
	if logger == nil {
		logger = slog.Default()
	}
	return &Store{bucket: bucket, cps: cps, tail: tail, logger: logger, m: newMetrics(reg),
		indexes: map[string]*chunk.Index{}, objects: map[string]*chunk.Object{}, lbls: map[string]labels.Labels{},
		last: map[string]*snapshot{}}, nil
}

type segment struct {
	id  string
	idx *chunk.Index
}

type snapshot struct {
	checkpoints map[int]schemas.Checkpoint
	segments    []segment
	// objectsDown is set on a snapshot taken while the object store did not answer: the
	// tenant's last complete snapshot, whose stored objects cannot be read now. It answers
	// exactly a query that needs none of them (everything it matches is on the bus after
	// the snapshot's checkpoints); any other query fails with objectsDown.
	objectsDown error
}

// UnavailableError means the object store did not answer; the query may succeed later (the
// querier answers 503).
type UnavailableError struct{ Err error }

func (e *UnavailableError) Error() string     { return "object store unavailable: " + e.Err.Error() }
func (e *UnavailableError) Unwrap() error     { return e.Err }
func (e *UnavailableError) Unavailable() bool { return true }

func (sn *snapshot) after(p int) uint64 { return sn.checkpoints[p].Seq }

// snapshot reads checkpoints first, then the index: see the package comment. While the
// object store does not answer, it returns the tenant's last complete snapshot marked
// objectsDown: its checkpoints are older, so its tail is longer, and it is as exact.
func (s *Store) snapshot(ctx context.Context, tenant string) (*snapshot, error) {
	cps, err := s.cps.All(ctx)
	if err != nil {
		return nil, fmt.Errorf("read checkpoints: %w", err)
	}
	sn, err := s.readIndex(ctx, tenant, cps)
	var down *UnavailableError
	switch {
	case err == nil:
		s.mu.Lock()
		s.last[tenant] = sn
		s.mu.Unlock()
		return sn, nil
	case ctx.Err() != nil || !errors.As(err, &down):
		return nil, err
	}
	s.m.objectsDown.Inc()
	s.mu.Lock()
	last := s.last[tenant]
	s.mu.Unlock()
	if last == nil {
		return nil, err
	}
	return &snapshot{checkpoints: last.checkpoints, segments: last.segments, objectsDown: err}, nil
}

// readIndex lists the tenant's index segments and keeps those cps make visible. An error
// from the object store is an *UnavailableError.
func (s *Store) readIndex(ctx context.Context, tenant string, cps map[int]schemas.Checkpoint) (*snapshot, error) {
	sn := &snapshot{checkpoints: cps}
	var all []segment
	var segKeys []string
	if err := s.bucket.List(ctx, schemas.IndexPrefix(tenant), func(key string, _ int64) error {
		segKeys = append(segKeys, key)
		return nil
	}); err != nil {
		return nil, &UnavailableError{fmt.Errorf("list index: %w", err)}
	}
	for _, key := range segKeys {
		id, ok := schemas.IDFromIndexKey(key)
		if !ok {
			continue
		}
		idx, err := s.index(ctx, key)
		if err != nil {
			if objstore.IsNotFound(err) {
				continue // deleted by the compactor since the listing
			}
			return nil, err
		}
		all = append(all, segment{id: id, idx: idx})
	}
	replaced := map[string]bool{}
	var visible []segment
	for _, seg := range all {
		if sn.committed(seg.idx) {
			visible = append(visible, seg)
			for _, r := range seg.idx.Replaces {
				replaced[r] = true
			}
		}
	}
	for _, seg := range visible {
		if !replaced[seg.id] {
			sn.segments = append(sn.segments, seg)
		}
	}
	return sn, nil
}

func (sn *snapshot) committed(idx *chunk.Index) bool {
	for _, src := range idx.Sources {
		if !sn.checkpoints[src.Partition].Covers(src) {
			return false
		}
	}
	return len(idx.Sources) > 0
}

func (s *Store) index(ctx context.Context, key string) (*chunk.Index, error) {
	s.mu.Lock()
	idx := s.indexes[key]
	s.mu.Unlock()
	if idx != nil {
		return idx, nil
	}
	b, err := s.bucket.Get(ctx, key)
	if err != nil {
		if objstore.IsNotFound(err) {
			return nil, err
		}
		return nil, &UnavailableError{fmt.Errorf("read index %s: %w", key, err)}
	}
	idx, err = chunk.DecodeIndex(b)
	if err != nil {
		s.m.corrupt.Inc()
		return nil, fmt.Errorf("index %s: %w", key, err)
	}
	s.mu.Lock()
	s.indexes[key] = idx
	s.mu.Unlock()
	return idx, nil
}

// parseLabels parses a canonical bus label string, cached.
func (s *Store) parseLabels(str string) (labels.Labels, error) {
	s.mu.Lock()
	ls, ok := s.lbls[str]
	s.mu.Unlock()
	if ok {
		return ls, nil
	}
	ls, err := labels.Parse(str)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	if len(s.lbls) > 100_000 {
		s.lbls = map[string]labels.Labels{}
	}
	s.lbls[str] = ls
	s.mu.Unlock()
	return ls, nil
}
