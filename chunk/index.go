// Package chunk is jetlog's storage format: a data object (Parquet, zstd) holding one tenant's
// log rows sorted by stream then time, and the index segment that describes it, which a
// querier plans from without opening the data object.
//
// Data object columns: stream (ordinal into the index's stream list), ts (Unix ns, delta
// encoded), line (from version 3 encoded with the object's word table, see words.go, and
// DELTA_BYTE_ARRAY), size (the line's length, from version 2), metadata (structured
// metadata as length-prefixed name/value pairs).
// Index segment: zstd-compressed JSON with, per stream, its labels, time range, counts, its
// row range in the data object and per-minute entry and byte counts, and (version 2) the
// rows with metadata and the stream's blocks with their trigram filters (grams.go); plus
// the data object's size, the bus sequence ranges the object covers (Sources), the
// segments it replaces (see schemas/storage.go) and (version 3) the word table.
//
// Version 2 objects (PLAIN lines as they are) and version 1 objects (no size column, no
// blocks) are still read.
package chunk

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/klauspost/compress/zstd"

	"github.com/jetlog/jetlog/schemas"
	"github.com/jetlog/jetlog/schemas/labels"
)

// FormatVersion is written into every index segment.
const FormatVersion = 3

// Index describes one data object.
type Index struct {
	Version  int                `json:"version"`
	Streams  []IndexStream      `json:"streams"`
	Sources  []schemas.SeqRange `json:"sources"`
	Replaces []string           `json:"replaces,omitempty"`
	Rows     int64              `json:"rows"`
	MinT     int64              `json:"min_t"`
	MaxT     int64              `json:"max_t"`
	DataSize int64              `json:"data_size,omitempty"` // bytes of the data object (version 2)
	// Words is the table the line column is encoded with (version 3, see words.go); none:
	// lines are stored as they are.
	Words []string `json:"words,omitempty"`
}

// IndexStream describes one stream's rows in a data object.
type IndexStream struct {
	Labels      labels.Labels `json:"-"`
	LabelString string        `json:"labels"`
	Fingerprint uint64        `json:"fp"`
	MinT        int64         `json:"min_t"`
	MaxT        int64         `json:"max_t"`
	Entries     int64         `json:"entries"`
	Bytes       int64         `json:"bytes"` // line bytes
	FirstRow    int64         `json:"first_row"`
	// Minutes holds [minute, entries, bytes] triples, minute = ts / 60e9, ascending.
	Minutes [][3]int64 `json:"minutes"`
	// MinuteStarts holds [minute, entries, bytes] of the entries exactly at a minute's first
	// nanosecond (minute*60e9), ascending, only for minutes that have such entries (version
	// 2): with Minutes they count any window (t-range, t] of whole minutes exactly.
	MinuteStarts [][3]int64 `json:"minute_starts,omitempty"`
	// MetadataRows counts the entries with structured metadata (version 2).
	MetadataRows int64 `json:"md_rows,omitempty"`
	// Blocks cut the stream's rows, in order, into runs of about BlockBytes line bytes
	// (version 2; none in version 1).
	Blocks []IndexBlock `json:"blocks,omitempty"`
}

// IndexBlock is a run of a stream's rows and the trigram filter of their lines.
type IndexBlock struct {
	Rows  int64  `json:"rows"`
	Grams []byte `json:"grams,omitempty"` // nil: no filter (see mayContain)
}

var (
	encOnce sync.Once
	enc     *zstd.Encoder
	dec     *zstd.Decoder
)

func codecs() {
	encOnce.Do(func() {
		enc, _ = zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedDefault))
		dec, _ = zstd.NewReader(nil, zstd.WithDecoderMaxMemory(256<<20))
	})
}

func encodeIndex(idx *Index) ([]byte, error) {
	codecs()
	raw, err := json.Marshal(idx)
	if err != nil {
		return nil, err
	}
	return enc.EncodeAll(raw, nil), nil
}

// DecodeIndex parses an index segment. Corrupt input is an error.
func DecodeIndex(b []byte) (*Index, error) {
	codecs()
	raw, err := dec.DecodeAll(b, nil)
	if err != nil {
		return nil, fmt.Errorf("index segment: %w", err)
	}
	var idx Index
	if err := json.Unmarshal(raw, &idx); err != nil {
		return nil, fmt.Errorf("index segment: %w", err)
	}
	if idx.Version < 1 || idx.Version > FormatVersion {
		return nil, fmt.Errorf("index segment: unknown format version %d", idx.Version)
	}
	if len(idx.Words) > maxWords || (idx.Version < 3 && len(idx.Words) > 0) {
		return nil, fmt.Errorf("index segment: %d words in a version %d index", len(idx.Words), idx.Version)
	}
	for _, w := range idx.Words {
		if len(w) == 0 || len(w) > maxWordLen {
			return nil, fmt.Errorf("index segment: a word of %d bytes", len(w))
		}
	}
	var rows int64
	for i := range idx.Streams {
		s := &idx.Streams[i]
		ls, err := labels.Parse(s.LabelString)
		if err != nil {
			return nil, fmt.Errorf("index segment: stream %d: %w", i, err)
		}
		s.Labels = ls
		if s.FirstRow != rows || s.Entries < 0 {
			return nil, errors.New("index segment: stream row ranges are inconsistent")
		}
		var minuteRows, blockRows int64
		for j, m := range s.Minutes {
			if m[1] < 0 || (j > 0 && m[0] <= s.Minutes[j-1][0]) {
				return nil, fmt.Errorf("index segment: stream %d: minutes are inconsistent", i)
			}
			minuteRows += m[1]
		}
		for j, m := range s.MinuteStarts {
			if m[1] < 0 || (j > 0 && m[0] <= s.MinuteStarts[j-1][0]) {
				return nil, fmt.Errorf("index segment: stream %d: minute starts are inconsistent", i)
			}
		}
		for _, b := range s.Blocks {
			if b.Rows <= 0 {
				return nil, fmt.Errorf("index segment: stream %d: empty block", i)
			}
			blockRows += b.Rows
		}
		if (len(s.Minutes) > 0 && minuteRows != s.Entries) || (len(s.Blocks) > 0 && blockRows != s.Entries) {
			return nil, fmt.Errorf("index segment: stream %d: minutes or blocks do not add up to its entries", i)
		}
		rows += s.Entries
	}
	if rows != idx.Rows {
		return nil, fmt.Errorf("index segment: streams hold %d rows, header says %d", rows, idx.Rows)
	}
	return &idx, nil
}
