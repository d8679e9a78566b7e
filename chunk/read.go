package chunk

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/jetlog/jetlog/schemas/labels"
)

// ErrCorrupt wraps every error caused by a data object that does not match its index.
var ErrCorrupt = errors.New("corrupt object")

// Read calls fn for every row of the given stream ordinals with start <= ts < end, stream by
// stream in ascending ordinal order, each stream's rows ascending by time, decoding every
// column. line and md are valid only during the call. A corrupt object yields an error
// wrapping ErrCorrupt, never a panic.
func Read(data []byte, idx *Index, ordinals []int, start, end int64, fn func(ord int, ts int64, line []byte, md labels.Labels) error) error {
	r := bytes.NewReader(data)
	o, err := OpenObject(r, int64(len(data)), idx)
	if err != nil {
		return err
	}
	return o.Scan(r, Scan{Ordinals: ordinals, Start: start, End: end, Columns: AllColumns}, func(row *Row) error {
		return fn(row.Ord, row.Ts, row.Line, row.Metadata)
	})
}

// Summary counts what Describe printed.
type Summary struct {
	Streams, Rows int64
}

// Add accumulates o.
func (s *Summary) Add(o Summary) {
	s.Streams += o.Streams
	s.Rows += o.Rows
}

// Describe prints an object's sources and streams (labels, time range, entries, bytes) and
// checks every row against the index.
func Describe(w io.Writer, data, index []byte) (Summary, error) {
	idx, err := DecodeIndex(index)
	if err != nil {
		return Summary{}, err
	}
	fmt.Fprintf(w, "rows %d, streams %d, %s .. %s, sources %v, replaces %d, %d bytes\n", idx.Rows, len(idx.Streams),
		fmtTime(idx.MinT), fmtTime(idx.MaxT), idx.Sources, len(idx.Replaces), len(data))
	ords := make([]int, len(idx.Streams))
	for i := range ords {
		ords[i] = i
		s := idx.Streams[i]
		fmt.Fprintf(w, "  %s  %s .. %s  entries %d  bytes %d\n", s.LabelString, fmtTime(s.MinT), fmtTime(s.MaxT), s.Entries, s.Bytes)
	}
	var rows int64
	if err := Read(data, idx, ords, -1<<63, 1<<63-1, func(int, int64, []byte, labels.Labels) error {
		rows++
		return nil
	}); err != nil {
		return Summary{}, err
	}
	if rows != idx.Rows {
		return Summary{}, fmt.Errorf("%w: read %d rows, index says %d", ErrCorrupt, rows, idx.Rows)
	}
	return Summary{Streams: int64(len(idx.Streams)), Rows: rows}, nil
}

func fmtTime(ns int64) string { return time.Unix(0, ns).UTC().Format(time.RFC3339Nano) }
