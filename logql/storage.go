package logql

import (
	"bytes"
	"cmp"
	"context"
	"slices"

	"github.com/jetlog/jetlog/logql/syntax"
	"github.com/jetlog/jetlog/schemas/labels"
)

// Direction orders log results.
type Direction int

const (
	Backward Direction = iota // newest first (Loki's default)
	Forward
)

// SelectParams asks storage for the raw entries of one tenant.
type SelectParams struct {
	Tenant string
	// Start and End bound entry timestamps in Unix nanoseconds: Start <= ts < End.
	Start, End int64
	Matchers   []*labels.Matcher
	// LineFilters are the query's leading line filters. Storage MAY use them to skip data
	// that cannot match (bloom filters, a scan-time check) and MAY return entries that do not
	// match them: the engine applies the whole pipeline again.
	LineFilters []syntax.LineFilter
	// Direction and Limit are hints for log queries: with Limit > 0 the engine needs only the
	// Limit entries first in Direction after the pipeline, so storage may read in that order
	// and stop early through the iterator being closed.
	Direction Direction
	Limit     int
	// Omit names what the engine will not read, so storage may leave it out of the
	// entries (and not read it at all). The zero value asks for everything.
	Omit Projection
	// Streams, when not empty, keeps only the streams whose label hashes it lists.
	Streams []uint64
}

// Projection is a set of entry parts the engine does not need.
type Projection uint8

const (
	// OmitLine: the engine reads only the line's length. Storage may leave Line nil and
	// set Size instead.
	OmitLine Projection = 1 << iota
	// OmitMetadata: the engine ignores structured metadata; storage may leave it nil.
	OmitMetadata
)

// RawEntry is one stored log entry.
type RawEntry struct {
	Timestamp int64 // Unix nanoseconds
	Line      []byte
	// Size is the line's length when storage left Line out (SelectParams.Omit); use Len.
	Size int
	// Metadata is the entry's structured metadata, sorted by name.
	Metadata labels.Labels
}

// Len is the length of the entry's line, whether or not storage returned the line.
func (e *RawEntry) Len() int {
	if e.Line == nil {
		return e.Size
	}
	return len(e.Line)
}

// Batch is a run of entries of one stream, ascending by timestamp.
type Batch struct {
	Labels  labels.Labels // the stream's labels (without structured metadata)
	Hash    uint64        // Labels.Hash()
	Entries []RawEntry
}

// SortDedup orders entries by (timestamp, line) and drops exact duplicates (same timestamp
// and line), as storage must return them (see BatchIterator). It sorts es in place.
func SortDedup(es []RawEntry) []RawEntry {
	slices.SortFunc(es, func(a, b RawEntry) int {
		if a.Timestamp != b.Timestamp {
			return cmp.Compare(a.Timestamp, b.Timestamp)
		}
		return bytes.Compare(a.Line, b.Line)
	})
	return slices.CompactFunc(es, func(a, b RawEntry) bool {
		return a.Timestamp == b.Timestamp && bytes.Equal(a.Line, b.Line)
	})
}

// BatchIterator walks batches. Contract:
//   - At's batch (and the bytes of its lines) is read-only, and storage does not reuse it
//     before the caller passes it to Release (see BatchReleaser): callers may keep it, and
//     hand it to other goroutines, after the next call to Next.
//   - Across the whole walk every stored entry matching the params appears exactly once:
//     exact duplicates (same stream, timestamp and line) are returned once.
//   - Batches of different streams may interleave; batches of one stream need not be in time
//     order relative to each other.
//   - Close may be called at any time and releases all resources.
type BatchIterator interface {
	Next() bool
	At() *Batch
	Err() error
	Close() error
}

// BatchReleaser is implemented by iterators that reuse the memory of batches handed back:
// the caller passes a batch it no longer reads, lines and metadata included, to Release.
// Releasing is optional; a batch must not be used after it.
type BatchReleaser interface {
	Release(b *Batch)
}

// BatchWalker is implemented by iterators that can call a function for every batch on the
// goroutines that read them, instead of handing batches to the caller's goroutine: a batch
// is then consumed while its lines are still in the reading core's cache, and its memory is
// reused at once. Walk is called instead of Next, at most once; fn may run on several
// goroutines at a time and must not keep the batch (nor its lines) after it returns. Walk
// returns once every batch was passed to fn, with the walk's error; Close still releases
// the iterator.
type BatchWalker interface {
	Walk(fn func(b *Batch)) error
}

// MinuteCounter is implemented by storage that can count a bare selector's entries per
// minute without the engine reading them (from its index, or by reading only timestamps
// and sizes). The engine uses it for count_over_time, rate, bytes_over_time and bytes_rate
// without a pipeline when every window is whole minutes, from a minute's first nanosecond
// or, shifted by Offset, from another of a minute's moments.
type MinuteCounter interface {
	CountMinutes(ctx context.Context, p CountParams) (*MinuteCountResult, error)
}

// CountParams asks for the per-minute counts of minutes From..Through (both included;
// minute m holds the timestamps [m*60e9+Offset, (m+1)*60e9+Offset)).
type CountParams struct {
	Tenant        string
	Matchers      []*labels.Matcher
	From, Through int64
	Offset        int64 // 0 <= Offset < 60e9
}

// MinuteCountResult holds the streams storage counted and the label hashes of those it
// could not count exactly (exact duplicates may lie in two of their sources, or their
// entries have structured metadata, which would become labels): the engine reads those.
type MinuteCountResult struct {
	Streams []MinuteCounts
	Rest    []uint64
}

// MinuteCounts is one stream's counts: Entries[i] and Bytes[i] (line bytes) count its
// entries in minute From+i, StartEntries[i] and StartBytes[i] those exactly at the
// minute's first nanosecond. Each entry is counted once.
type MinuteCounts struct {
	Labels                                   labels.Labels
	Hash                                     uint64
	Entries, Bytes, StartEntries, StartBytes []int64
}

// Querier is what the engine needs from storage.
type Querier interface {
	SelectLogs(ctx context.Context, p SelectParams) (BatchIterator, error)
}
