package store

import (
	"context"
	"errors"

	"github.com/jetlog/jetlog/logql"
	"github.com/jetlog/jetlog/schemas"
	"github.com/jetlog/jetlog/schemas/labels"
)

// Follower follows a tenant's new bus messages (*bus.Bus implements it: see its FollowTenant
// for the contract). A Tail given to New that also implements Follower makes FollowLogs
// available.
type Follower interface {
	FollowTenant(ctx context.Context, tenant string, fn func(m schemas.TailMessage) error) (follow func() error, err error)
}

// ErrNoFollower is FollowLogs' error for a store built without a bus that can follow.
var ErrNoFollower = errors.New("store: live tail needs the bus")

// FollowLogs starts following tenant and returns follow, which calls fn with the entries of
// every stream matching ms that reach the bus after FollowLogs returned (one batch per stream
// and bus message, entries in the order they were pushed) until ctx ends or fn returns an
// error, and then returns that error (see Follower: the caller must call follow once). The
// batch and its lines are valid only during the call: fn copies what it keeps. Undecodable
// messages are skipped, as the query path skips them.
func (s *Store) FollowLogs(ctx context.Context, tenant string, ms []*labels.Matcher, fn func(b *logql.Batch) error) (follow func() error, err error) {
	f, ok := s.tail.(Follower)
	if !ok {
		return nil, ErrNoFollower
	}
	// One message's batches are delivered only once the whole payload decoded, as the
	// query path does; their slices are reused from message to message.
	var batches []logql.Batch
	var buf []byte
	return f.FollowTenant(ctx, tenant, func(m schemas.TailMessage) error {
		batches = batches[:0]
		var cur *logql.Batch
		scanned := 0
		err := walkMessage(m, &buf, nil, func(lbls []byte) (bool, error) {
			cur = nil
			ls, err := s.parseLabelBytes(lbls)
			if err != nil || !labels.MatchLabels(ls, ms...) {
				return false, nil
			}
			if len(batches) < cap(batches) {
				batches = batches[:len(batches)+1]
			} else {
				batches = append(batches, logql.Batch{})
			}
			cur = &batches[len(batches)-1]
			cur.Labels, cur.Hash, cur.Entries = ls, ls.Hash(), cur.Entries[:0]
			return true, nil
		}, func(ts int64, line []byte, md [][2][]byte) {
			scanned++
			cur.Entries = append(cur.Entries, logql.RawEntry{Timestamp: ts, Line: line, Metadata: schemas.MetadataLabels(md)})
		})
		if s.scanned(m, scanned, err) != nil {
			return nil
		}
		for i := range batches {
			if len(batches[i].Entries) == 0 {
				continue
			}
			if err := fn(&batches[i]); err != nil {
				return err
			}
		}
		return nil
	})
}
