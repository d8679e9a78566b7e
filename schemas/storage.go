package schemas

import (
	"fmt"
	"strings"
)

// Object store layout. Every key of tenant data starts with TenantPrefix(tenant); keys under
// SystemPrefix hold no log data, only progress records.
//
//	tenants/<token>/data/<id>.parquet     data object: log rows of one tenant (package chunk)
//	tenants/<token>/index/<id>.parquet    index segment describing the data object <id>
//	_system/checkpoints/p<PPP>.json       Checkpoint of partition PPP
//	_system/intents/p<PPP>.json           Intent of the flush of partition PPP under way
//
// # Commit protocol (chunker, querier and compactor all rely on it)
//
// A chunker owning partition p flushes the bus messages with stream sequences [from, to]:
//  1. it writes Intent{p, from, to, keys} listing every key it is about to write;
//  2. it writes each tenant's data object, then that tenant's index segment (whose
//     Sources are [{p, from, to}]);
//  3. it writes Checkpoint{p, Seq: to}: this single atomic write is the commit;
//  4. it acknowledges the messages on the bus and deletes the intent.
//
// On start, a chunker taking over p reads the checkpoint and the intent; if the intent's
// range lies beyond the checkpoint, the flush never committed and the chunker deletes the
// intent's keys before it consumes again from Checkpoint.Seq+1 (skipping messages <= Seq).
// IDs are deterministic, FlushID(p, from, to), so a repeated flush overwrites, never adds.
//
// A querier takes a snapshot: it reads all checkpoints first, then lists index segments. A
// segment is visible iff every one of its Sources has To <= checkpoint(partition).Seq, and no
// other visible segment names it in Replaces. Messages of partition p with sequence greater
// than checkpoint(p).Seq are read from the bus tail. So every acknowledged entry is counted
// once: either in a visible segment's object or in the tail, never both.
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

// FlushID names the objects a chunker writes for partition p and sequences [from, to].
// Zero-padded so that keys sort in commit order within a partition.
func FlushID(partition int, from, to uint64) string {
	return fmt.Sprintf("p%03d-%020d-%020d", partition, from, to)
}

// CheckpointKey is the key of partition p's checkpoint.
func CheckpointKey(partition int) string {
	return fmt.Sprintf("%scheckpoints/p%03d.json", SystemPrefix, partition)
}

// IntentKey is the key of partition p's flush intent.
func IntentKey(partition int) string {
	return fmt.Sprintf("%sintents/p%03d.json", SystemPrefix, partition)
}

// Checkpoint records that every bus message of Partition with stream sequence <= Seq is in
// committed objects. A missing checkpoint means Seq 0.
type Checkpoint struct {
	Partition int    `json:"partition"`
	Seq       uint64 `json:"seq"`
}

// Intent is written before a flush's objects; see the commit protocol above.
type Intent struct {
	Partition int      `json:"partition"`
	From      uint64   `json:"from"`
	To        uint64   `json:"to"`
	Keys      []string `json:"keys"`
}

// SeqRange is a range of bus stream sequences of one partition, both ends included.
type SeqRange struct {
	Partition int    `json:"partition" parquet:"partition"`
	From      uint64 `json:"from" parquet:"from"`
	To        uint64 `json:"to" parquet:"to"`
}
