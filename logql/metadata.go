package logql

import (
	"context"

	"github.com/jetlog/jetlog/schemas/labels"
)

// StreamStatsParams asks storage which streams of a tenant have entries in [Start, End)
// (Unix nanoseconds) and how many.
type StreamStatsParams struct {
	Tenant     string
	Start, End int64
	Matchers   []*labels.Matcher // empty: every stream
	// Step > 0 asks for per-step buckets (nanoseconds, aligned to multiples of Step).
	Step int64
}

// StatBucket counts a stream's entries whose timestamps fall in [T, T+step).
type StatBucket struct {
	T       int64
	Entries int64
	Bytes   int64
}

// StreamStat describes one stream. Entries and Bytes count line bytes of entries in the
// range; Chunks counts the stored objects (and bus tail segments) that hold them.
type StreamStat struct {
	Labels  labels.Labels
	Entries int64
	Bytes   int64
	Chunks  int64
	Buckets []StatBucket
}

// MetadataQuerier answers label, series, stats and volume questions from the index and the
// bus tail, without reading log lines.
type MetadataQuerier interface {
	StreamStats(ctx context.Context, p StreamStatsParams) ([]StreamStat, error)
}
