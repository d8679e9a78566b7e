package chunk

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/jetlog/jetlog/schemas/labels"
)

// ErrCorrupt wraps every error caused by a data object that does not match its index.
var ErrCorrupt = errors.New("corrupt object")

// Read calls fn for every row of the given stream ordinals with start <= ts < end, stream by
// stream in ascending ordinal order, each stream's rows ascending by time. line and md are
// valid only during the call. A corrupt object yields an error wrapping ErrCorrupt, never a
// panic.
func Read(data []byte, idx *Index, ordinals []int, start, end int64, fn func(ord int, ts int64, line []byte, md labels.Labels) error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %v", ErrCorrupt, r)
		}
	}()
	r := parquet.NewGenericReader[row](bytes.NewReader(data))
	defer r.Close()
	if r.NumRows() != idx.Rows {
		return fmt.Errorf("%w: %d rows, index says %d", ErrCorrupt, r.NumRows(), idx.Rows)
	}
	ords := slices.Clone(ordinals)
	slices.Sort(ords)
	buf := make([]row, 512)
	for _, ord := range ords {
		if ord < 0 || ord >= len(idx.Streams) {
			return fmt.Errorf("stream ordinal %d out of range", ord)
		}
		s := &idx.Streams[ord]
		if s.MaxT < start || s.MinT >= end {
			continue
		}
		if err := r.SeekToRow(s.FirstRow); err != nil {
			return fmt.Errorf("%w: seek: %v", ErrCorrupt, err)
		}
		left := s.Entries
	stream:
		for left > 0 {
			n, err := r.Read(buf[:min(int64(len(buf)), left)])
			if n == 0 && err != nil {
				if errors.Is(err, io.EOF) {
					return fmt.Errorf("%w: stream %d ends early", ErrCorrupt, ord)
				}
				return fmt.Errorf("%w: %v", ErrCorrupt, err)
			}
			left -= int64(n)
			for i := range buf[:n] {
				rw := &buf[i]
				if int(rw.Stream) != ord {
					return fmt.Errorf("%w: row of stream %d where the index puts stream %d", ErrCorrupt, rw.Stream, ord)
				}
				if rw.Ts < start {
					continue
				}
				if rw.Ts >= end {
					break stream
				}
				md, err := decodeMetadata(rw.Metadata)
				if err != nil {
					return fmt.Errorf("%w: %v", ErrCorrupt, err)
				}
				if err := fn(ord, rw.Ts, rw.Line, md); err != nil {
					return err
				}
			}
		}
	}
	return nil
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
