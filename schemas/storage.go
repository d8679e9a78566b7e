package schemas

import (
	"fmt"
	"strings"
)

// Object store layout. Every key of tenant data starts with TenantPrefix(tenant); keys under
// SystemPrefix hold no log data, only flush intents.
//
//	tenants/<token>/data/<id>.parquet     data object: log rows of one tenant (package chunk)
//	tenants/<token>/index/<id>.parquet    index segment describing the data object <id>
//	_system/intents/p<PPP>.json           Intent of the flush of partition PPP under way
//
// Progress lives on the bus, in two JetStream key-value buckets (package bus):
//
//	<stream>-checkpoints   key p<PPP>: the Checkpoint of partition PPP (JSON)
//	<stream>-leases        key p<PPP>: the chunker instance owning partition PPP; key
//	                       m.<instance>: a live chunker. Entries expire after the lease TTL.
//
// # Ownership
//
// One chunker instance at a time owns a partition: it holds the partition's lease and renews
// it. A lease that is not renewed expires, and another instance takes the partition over. A
// lease alone cannot stop a paused or partitioned owner from writing (a "zombie"), so every
// change to a checkpoint is a compare-and-set on the key's revision: a new owner first opens
// a new epoch in the checkpoint, after which the old owner's commits fail and its objects are
// never visible (they name an epoch whose committed range does not cover them).
//
// # Commit protocol (chunker, querier and compactor all rely on it)
//
// An owner of partition p in epoch e flushes the bus messages with stream sequences
// [from, to]:
//  1. it writes Intent{p, e, from, to, keys} listing every key it is about to write;
//  2. it writes each tenant's data object, then that tenant's index segment (whose
//     Sources are [{p, e, from, to}]);
//  3. it sets checkpoint(p).Seq = to with a compare-and-set: this is the commit;
//  4. it deletes the intent.
//
// Taking p over, an instance opens epoch e+1 (compare-and-set), then deletes the keys of an
// intent the checkpoint does not cover, then consumes from Checkpoint.Seq+1. IDs are
// deterministic, FlushID(p, e, from, to), so a repeated flush overwrites, never adds.
//
// A querier takes a snapshot: it reads all checkpoints first, then lists index segments. A
// segment is visible iff its partition's checkpoint Covers every one of its Sources, and no
// other visible segment names it in Replaces. Messages of partition p with sequence greater
// than checkpoint(p).Seq are read from the bus tail. So every acknowledged entry is counted
// once: either in a visible segment's object or in the tail, never both. An old checkpoint
// is as good as a new one (fewer segments, a longer tail), so replicas may be read.
//
// The compactor merges visible segments into one object whose index segment lists the merged
// segments' IDs in Replaces and the union of their Sources; it deletes the replaced objects
// only after a grace period longer than any query.
const (
	TenantsPrefix = "tenants/"
	SystemPrefix  = "_system/"
)

// TenantPrefix is the key prefix of all objects of one tenant.
func TenantPrefix(tenant string) string { return TenantsPrefix + TenantToken(tenant) + "/" }

// DataKey is the key of a data object.
func DataKey(tenant, id string) string { return TenantPrefix(tenant) + "data/" + id + ".parquet" }

// IndexPrefix is the prefix under which a tenant's index segments live.
func IndexPrefix(tenant string) string { return TenantPrefix(tenant) + "index/" }

// IndexKey is the key of the index segment describing data object id.
func IndexKey(tenant, id string) string { return IndexPrefix(tenant) + id + ".parquet" }

// IDFromIndexKey returns the object ID of an index segment key.
func IDFromIndexKey(key string) (string, bool) {
	i := strings.LastIndex(key, "/index/")
	if i < 0 || !strings.HasSuffix(key, ".parquet") {
		return "", false
	}
	return strings.TrimSuffix(key[i+len("/index/"):], ".parquet"), true
}

// FlushID names the objects a chunker writes for partition p in epoch e and sequences
// [from, to]. Zero-padded so that keys sort in commit order within a partition.
func FlushID(partition int, epoch, from, to uint64) string {
	return fmt.Sprintf("p%03d-%020d-%020d-e%d", partition, from, to, epoch)
}

// PartitionKey is partition p's key in the checkpoint and lease buckets.
func PartitionKey(partition int) string { return fmt.Sprintf("p%03d", partition) }

// IntentKey is the key of partition p's flush intent.
func IntentKey(partition int) string {
	return fmt.Sprintf("%sintents/p%03d.json", SystemPrefix, partition)
}

// Checkpoint records that every bus message of Partition with stream sequence <= Seq is in
// committed objects, and which owner epoch committed which sequences. A missing checkpoint
// is the zero Checkpoint: Seq 0, no epochs.
type Checkpoint struct {
	Partition int    `json:"partition"`
	Seq       uint64 `json:"seq"`
	// Epochs lists every ownership epoch in order; the last is the current owner's, and its
	// To is Seq. An epoch's range holds the sequences its owner committed.
	Epochs []EpochRange `json:"epochs,omitempty"`
}

// EpochRange is the sequences [From, To] committed in one ownership epoch (To = From-1 while
// nothing is committed yet).
type EpochRange struct {
	Epoch uint64 `json:"epoch"`
	From  uint64 `json:"from"`
	To    uint64 `json:"to"`
}

// Epoch is the current epoch (0 before any owner).
func (c Checkpoint) Epoch() uint64 {
	if len(c.Epochs) == 0 {
		return 0
	}
	return c.Epochs[len(c.Epochs)-1].Epoch
}

// NextEpoch returns the checkpoint a new owner writes when it takes the partition over.
// Epochs that committed nothing are dropped: no object can be covered by them, so the list
// grows only with epochs that committed, however often ownership changes.
func (c Checkpoint) NextEpoch() Checkpoint {
	n := Checkpoint{Partition: c.Partition, Seq: c.Seq, Epochs: make([]EpochRange, 0, len(c.Epochs)+1)}
	for _, e := range c.Epochs {
		if e.To >= e.From {
			n.Epochs = append(n.Epochs, e)
		}
	}
	n.Epochs = append(n.Epochs, EpochRange{Epoch: c.Epoch() + 1, From: c.Seq + 1, To: c.Seq})
	return n
}

// Advance returns the checkpoint after the current epoch committed every sequence up to to.
func (c Checkpoint) Advance(to uint64) Checkpoint {
	n := Checkpoint{Partition: c.Partition, Seq: to, Epochs: append([]EpochRange(nil), c.Epochs...)}
	if len(n.Epochs) > 0 {
		n.Epochs[len(n.Epochs)-1].To = to
	}
	return n
}

// Covers reports whether the flush r was committed: its epoch committed every sequence of it.
func (c Checkpoint) Covers(r SeqRange) bool {
	if r.Partition != c.Partition {
		return false
	}
	for _, e := range c.Epochs {
		if e.Epoch == r.Epoch {
			return r.From >= e.From && r.To <= e.To && r.From <= r.To
		}
	}
	return false
}

// Intent is written before a flush's objects; see the commit protocol above.
type Intent struct {
	Partition int      `json:"partition"`
	Epoch     uint64   `json:"epoch"`
	From      uint64   `json:"from"`
	To        uint64   `json:"to"`
	Keys      []string `json:"keys"`
}

// Range is the sequence range the intent's flush covers.
func (in Intent) Range() SeqRange {
	return SeqRange{Partition: in.Partition, Epoch: in.Epoch, From: in.From, To: in.To}
}

// SeqRange is a range of bus stream sequences of one partition committed (or to be committed)
// in one ownership epoch, both ends included.
type SeqRange struct {
	Partition int    `json:"partition"`
	Epoch     uint64 `json:"epoch"`
	From      uint64 `json:"from"`
	To        uint64 `json:"to"`
}
