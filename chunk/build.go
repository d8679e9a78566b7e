package chunk

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"

	"github.com/parquet-go/parquet-go"

	"github.com/jetlog/jetlog/internal/minutes"
	"github.com/jetlog/jetlog/schemas"
	"github.com/jetlog/jetlog/schemas/labels"
)

// Entry is one log entry to store.
type Entry struct {
	Timestamp int64
	Line      string
	Metadata  labels.Labels
}

// Stream is a stream's entries, in any order.
type Stream struct {
	Labels  labels.Labels
	Entries []Entry
}

// row is the data object's Parquet schema.
type row struct {
	Stream int32 `parquet:"stream,delta"`
	Ts     int64 `parquet:"ts,delta"`
	// Line is DELTA_BYTE_ARRAY encoded (version 3): the bytes of the lines follow each other
	// without the length before each that PLAIN puts between them, which zstd compressed
	// worse (-6% bytes on loadgen logfmt, -8% on json), and a line's prefix in common with
	// the line before is not repeated.
	Line []byte `parquet:"line,delta"`
	// Size is the length of the line (before a word table encodes it), so that byte counts
	// need not decompress lines (version 2).
	Size     int32  `parquet:"size,delta"`
	Metadata []byte `parquet:"metadata,optional"`
}

// RowGroupRows bounds a row group so scans can skip by statistics.
const RowGroupRows = 64 * 1024

// BlockBytes bounds the line bytes of one gram-filter block of a stream.
const BlockBytes = 256 << 10

// PageBytes bounds a page, the unit zstd compresses and a scan decompresses whole. With
// lines encoded by a word table a page of the line column holds about 3.6 times as many
// raw bytes (BlockBytes is about a tenth of it). Larger pages store less but a needle
// query decompresses the whole page of every block its filter passes. make bench with
// LINES=4200000 (1,032.5 MB of loadgen lines): 256 KB pages stored 119.2 MB, 512 KB 113.9,
// 768 KB 110.2 (pages of 2.7 MB raw: nearly every one holds a needle line, so the needle
// query decompresses them all, 0.16-0.18 s instead of 0.10-0.13 s); 1 MB pages stored 12%
// less than 256 KB ones (BenchmarkBuildLoad) but the needle took 0.28 s. pageWindow must
// cover a page.
const PageBytes = 768 << 10

// Build sorts streams by labels and each stream's entries by (timestamp, line), drops exact
// duplicates (same timestamp and line), and encodes the data object and its index segment.
// Build sorts the Entries slices it is given in place.
func Build(streams []Stream, sources []schemas.SeqRange, replaces []string) (data, index []byte, err error) {
	order := make([]int, len(streams))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return labels.Compare(streams[a].Labels, streams[b].Labels) })

	idx := &Index{Version: FormatVersion, Sources: sources, Replaces: replaces, Words: chooseWords(streams)}
	words := newWordEncoder(idx.Words)
	grams := new(gramCollector)
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[row](&buf,
		parquet.Compression(pageCodec),
		parquet.MaxRowsPerRowGroup(RowGroupRows),
		parquet.PageBufferSize(PageBytes),
	)
	batch := make([]row, 0, 1024)
	var lines []byte   // the batch's encoded lines; the writer copies them
	var scratch []byte // the line being encoded
	flushBatch := func() error {
		if len(batch) == 0 {
			return nil
		}
		_, err := w.Write(batch)
		batch, lines = batch[:0], lines[:0]
		return err
	}
	for _, si := range order {
		s := streams[si]
		es := s.Entries
		slices.SortFunc(es, func(a, b Entry) int {
			if a.Timestamp != b.Timestamp {
				if a.Timestamp < b.Timestamp {
					return -1
				}
				return 1
			}
			return strings.Compare(a.Line, b.Line)
		})
		is := IndexStream{LabelString: s.Labels.String(), Fingerprint: s.Labels.Hash(), FirstRow: idx.Rows}
		ord := int32(len(idx.Streams))
		var blk IndexBlock
		var blkBytes int
		endBlock := func() {
			if blk.Rows > 0 {
				blk.Grams = grams.filter()
				is.Blocks = append(is.Blocks, blk)
			}
			blk, blkBytes = IndexBlock{}, 0
		}
		for i, e := range es {
			if i > 0 && e.Timestamp == es[i-1].Timestamp && e.Line == es[i-1].Line {
				continue // exact duplicate: stored once, as Loki does
			}
			if is.Entries == 0 || e.Timestamp < is.MinT {
				is.MinT = e.Timestamp
			}
			if is.Entries == 0 || e.Timestamp > is.MaxT {
				is.MaxT = e.Timestamp
			}
			is.Entries++
			is.Bytes += int64(len(e.Line))
			addMinute(&is, e.Timestamp, int64(len(e.Line)))
			if m := minutes.Of(e.Timestamp); e.Timestamp == m*minutes.Nanos {
				addMinuteStart(&is, m, int64(len(e.Line)))
			}
			if len(e.Metadata) > 0 {
				is.MetadataRows++
			}
			n := len(lines)
			if idx.Words != nil {
				scratch = append(scratch[:0], e.Line...) // reused: a conversion would allocate
				lines = words.appendLine(lines, scratch, grams)
			} else {
				lines = append(lines, e.Line...)
				grams.add(lines[n:])
			}
			line := lines[n:len(lines):len(lines)]
			blk.Rows++
			if blkBytes += len(e.Line); blkBytes >= BlockBytes {
				endBlock()
			}
			batch = append(batch, row{Stream: ord, Ts: e.Timestamp, Line: line, Size: int32(len(e.Line)), Metadata: encodeMetadata(e.Metadata)})
			if len(batch) == cap(batch) {
				if err := flushBatch(); err != nil {
					return nil, nil, fmt.Errorf("write rows: %w", err)
				}
			}
		}
		endBlock()
		if is.Entries == 0 {
			continue
		}
		if len(idx.Streams) == 0 || is.MinT < idx.MinT {
			idx.MinT = is.MinT
		}
		if is.MaxT > idx.MaxT {
			idx.MaxT = is.MaxT
		}
		idx.Rows += is.Entries
		idx.Streams = append(idx.Streams, is)
	}
	if err := flushBatch(); err != nil {
		return nil, nil, fmt.Errorf("write rows: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, nil, fmt.Errorf("close parquet writer: %w", err)
	}
	idx.DataSize = int64(buf.Len())
	index, err = encodeIndex(idx)
	if err != nil {
		return nil, nil, err
	}
	return buf.Bytes(), index, nil
}

func addMinute(s *IndexStream, ts, n int64) {
	m := minutes.Of(ts)
	if k := len(s.Minutes); k > 0 && s.Minutes[k-1][0] == m {
		s.Minutes[k-1][1]++
		s.Minutes[k-1][2] += n
		return
	}
	s.Minutes = append(s.Minutes, [3]int64{m, 1, n})
}

func addMinuteStart(s *IndexStream, m, n int64) {
	if k := len(s.MinuteStarts); k > 0 && s.MinuteStarts[k-1][0] == m {
		s.MinuteStarts[k-1][1]++
		s.MinuteStarts[k-1][2] += n
		return
	}
	s.MinuteStarts = append(s.MinuteStarts, [3]int64{m, 1, n})
}

// encodeMetadata writes name/value pairs as uvarint-length-prefixed strings.
func encodeMetadata(md labels.Labels) []byte {
	if len(md) == 0 {
		return nil
	}
	var out []byte
	for _, l := range md {
		out = binary.AppendUvarint(out, uint64(len(l.Name)))
		out = append(out, l.Name...)
		out = binary.AppendUvarint(out, uint64(len(l.Value)))
		out = append(out, l.Value...)
	}
	return out
}

func decodeMetadata(b []byte) (labels.Labels, error) {
	if len(b) == 0 {
		return nil, nil
	}
	var out labels.Labels
	for len(b) > 0 {
		var pair [2]string
		for i := range pair {
			n, k := binary.Uvarint(b)
			if k <= 0 || uint64(len(b)-k) < n {
				return nil, fmt.Errorf("corrupt structured metadata")
			}
			pair[i] = string(b[k : k+int(n)])
			b = b[k+int(n):]
		}
		out = append(out, labels.Label{Name: pair[0], Value: pair[1]})
	}
	return out, nil
}
