package bus

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/jetlog/jetlog/schemas"
)

// Leases is the lease bucket (see schemas/storage.go): which chunker instance owns which
// partition, and which instances are alive. Every entry expires ttl after its last write, so a
// dead instance's leases free themselves; a live one renews them well within ttl.
type Leases struct {
	kv  jetstream.KeyValue
	ttl time.Duration
}

// memberPrefix starts the keys of live-instance entries.
const memberPrefix = "m."

// Leases opens (creating or updating) the lease bucket with the given time to live.
func (b *Bus) Leases(ctx context.Context, ttl time.Duration) (*Leases, error) {
	if ttl < time.Second {
		return nil, fmt.Errorf("lease ttl %v: must be at least 1s", ttl)
	}
	kv, err := b.ensureKV(ctx, jetstream.KeyValueConfig{
		Bucket:      b.cfg.Stream + "-leases",
		Description: "jetlog: chunker partition leases and live instances",
		History:     1,
		TTL:         ttl,
	})
	if err != nil {
		return nil, err
	}
	return &Leases{kv: kv, ttl: ttl}, nil
}

// TTL is how long an entry lives without renewal.
func (l *Leases) TTL() time.Duration { return l.ttl }

// Acquire takes partition p's lease for owner if it is free or already owner's (a restarted
// instance with the same ID reclaims its partitions at once). It returns the lease revision,
// or ErrConflict when another instance holds it.
func (l *Leases) Acquire(ctx context.Context, partition int, owner string) (uint64, error) {
	key := schemas.PartitionKey(partition)
	rev, err := l.kv.Create(ctx, key, []byte(owner))
	if err == nil {
		return rev, nil
	}
	if !errors.Is(err, jetstream.ErrKeyExists) {
		return 0, unavailable(fmt.Errorf("acquire lease %s: %w", key, err))
	}
	e, err := l.kv.Get(ctx, key)
	switch {
	case errors.Is(err, jetstream.ErrKeyNotFound):
		return 0, fmt.Errorf("lease %s changed: %w", key, ErrConflict) // expired meanwhile: next round
	case err != nil:
		return 0, unavailable(fmt.Errorf("read lease %s: %w", key, err))
	case string(e.Value()) != owner:
		return 0, fmt.Errorf("lease %s held by %s: %w", key, e.Value(), ErrConflict)
	}
	return l.Renew(ctx, partition, owner, e.Revision())
}

// Renew extends a lease held at revision rev and returns the new revision. ErrConflict means
// the lease expired or another instance took it.
func (l *Leases) Renew(ctx context.Context, partition int, owner string, rev uint64) (uint64, error) {
	key := schemas.PartitionKey(partition)
	n, err := l.kv.Update(ctx, key, []byte(owner), rev)
	switch {
	case errors.Is(err, jetstream.ErrKeyRevisionMismatch), errors.Is(err, jetstream.ErrKeyExists):
		return 0, fmt.Errorf("lease %s: %w", key, ErrConflict)
	case err != nil:
		return 0, unavailable(fmt.Errorf("renew lease %s: %w", key, err))
	}
	return n, nil
}

// Release frees a lease held at revision rev, so another instance may take it at once.
func (l *Leases) Release(ctx context.Context, partition int, rev uint64) error {
	err := l.kv.Delete(ctx, schemas.PartitionKey(partition), jetstream.LastRevision(rev))
	if err != nil && !errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
		return unavailable(fmt.Errorf("release lease %d: %w", partition, err))
	}
	return nil
}

// Heartbeat records that owner is alive (for ttl).
func (l *Leases) Heartbeat(ctx context.Context, owner string) error {
	if _, err := l.kv.Put(ctx, memberPrefix+owner, []byte(time.Now().UTC().Format(time.RFC3339Nano))); err != nil {
		return unavailable(fmt.Errorf("heartbeat %s: %w", owner, err))
	}
	return nil
}

// Leave removes owner's heartbeat (a clean shutdown).
func (l *Leases) Leave(ctx context.Context, owner string) error {
	if err := l.kv.Delete(ctx, memberPrefix+owner); err != nil {
		return unavailable(fmt.Errorf("leave %s: %w", owner, err))
	}
	return nil
}

// LeaseState is the lease bucket at one moment.
type LeaseState struct {
	Members []string       // live instances
	Owners  map[int]string // the instance holding each held partition
	// Released holds the partitions whose holder gave the lease up (Release) less than a TTL
	// ago. A partition neither owned nor released was never held, or its lease expired.
	Released map[int]bool
}

// State reads the live instances, the owner of every held partition and the partitions
// released recently.
func (l *Leases) State(ctx context.Context) (LeaseState, error) {
	st := LeaseState{Owners: map[int]string{}, Released: map[int]bool{}}
	w, err := l.kv.WatchAll(ctx)
	if err != nil {
		return LeaseState{}, unavailable(fmt.Errorf("read leases: %w", err))
	}
	defer func() { _ = w.Stop() }()
	for {
		select {
		case <-ctx.Done():
			return LeaseState{}, ctx.Err()
		case e, ok := <-w.Updates():
			if !ok {
				return LeaseState{}, unavailable(errors.New("read leases: watcher closed"))
			}
			if e == nil { // every current entry delivered
				return st, nil
			}
			key := e.Key()
			deleted := e.Operation() != jetstream.KeyValuePut
			if owner, ok := strings.CutPrefix(key, memberPrefix); ok {
				if !deleted {
					st.Members = append(st.Members, owner)
				}
				continue
			}
			var p int
			if _, err := fmt.Sscanf(key, "p%d", &p); err == nil {
				if deleted {
					st.Released[p] = true
				} else {
					st.Owners[p] = string(e.Value())
				}
			}
		}
	}
}

// InstanceKey makes an instance name usable as a key: bytes outside [A-Za-z0-9_-] escaped.
func InstanceKey(name string) string { return schemas.TenantToken(name) }
