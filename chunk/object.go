package chunk

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"

	"github.com/jetlog/jetlog/internal/minutes"
	"github.com/jetlog/jetlog/schemas/labels"
)

// Columns says which columns a scan decodes besides ts and stream, which it always reads.
type Columns uint8

const (
	ColLine     Columns = 1 << iota // the line
	ColSize                         // only the line's length
	ColMetadata                     // structured metadata
	// AllColumns decodes everything.
	AllColumns = ColLine | ColSize | ColMetadata
)

// Scan asks for the rows of some streams of one object.
type Scan struct {
	// Ordinals are stream ordinals into the index; they are read in ascending order.
	Ordinals []int
	// Start <= ts < End.
	Start, End int64
	Columns    Columns
	// Contains, when not empty, lets the scan skip rows whose lines cannot hold, for
	// every element, at least one of its strings (by the blocks' trigram filters). It
	// only skips: rows it returns need not match.
	Contains [][]string
	// Windows, when not empty, replaces Ordinals, Start and End: the scan reads the rows of
	// each window's stream in the window's range. Windows of one stream must not overlap.
	Windows []Window
}

// Window is the time range Start <= ts < End of the stream with ordinal Ord.
type Window struct {
	Ord        int
	Start, End int64
}

// Row is one row as a scan decoded it. Fields of columns not asked for are zero, except
// Size, which is set whenever the line or its size was asked for. A Row and the bytes it
// points to are valid only during the callback.
type Row struct {
	Ord      int
	Ts       int64
	Line     []byte
	Size     int
	Metadata labels.Labels
}

// Object is an opened data object: its footer and page index are parsed; column pages are
// read only when a scan needs them. An Object is immutable and safe for concurrent scans.
type Object struct {
	f       *parquet.File
	idx     *Index
	words   *wordDecoder // nil: lines are stored as they are
	rgFirst []int64      // first row of each row group
	col     [numCols]int
}

// leaf column indexes in Object.col; -1 when the object lacks the column.
const (
	colStream = iota
	colTs
	colLine
	colMetadata
	colSize // version 2
	numCols
)

var colNames = [numCols]string{"stream", "ts", "line", "metadata", "size"}

// OpenObject reads the footer and page index of a data object of size bytes through r,
// which must stay readable while the Object is used with it (Scan may be given another
// reader of the same bytes). A corrupt object or an object that does not match idx yields
// an error wrapping ErrCorrupt, never a panic.
func OpenObject(r io.ReaderAt, size int64, idx *Index) (o *Object, err error) {
	defer func() {
		if p := recover(); p != nil {
			o, err = nil, fmt.Errorf("%w: %v", ErrCorrupt, p)
		}
	}()
	if err := checkFooterLength(r, size); err != nil {
		return nil, err
	}
	f, err := parquet.OpenFile(r, size, parquet.SkipBloomFilters(true), parquet.ReadBufferSize(readAhead))
	if err != nil {
		if isIOError(err) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	if err := checkCodecs(f); err != nil {
		return nil, err
	}
	if f.NumRows() != idx.Rows {
		return nil, fmt.Errorf("%w: %d rows, index says %d", ErrCorrupt, f.NumRows(), idx.Rows)
	}
	o = &Object{f: f, idx: idx}
	if idx.Words != nil {
		o.words = newWordDecoder(idx.Words)
	}
	for i, name := range colNames {
		lc, ok := f.Schema().Lookup(name)
		switch {
		case ok:
			o.col[i] = lc.ColumnIndex
		case i == colSize && idx.Version < 2:
			o.col[i] = -1
		default:
			return nil, fmt.Errorf("%w: no column %s", ErrCorrupt, name)
		}
	}
	var first int64
	for _, rg := range f.RowGroups() {
		o.rgFirst = append(o.rgFirst, first)
		if len(rg.ColumnChunks()) < len(f.Schema().Columns()) {
			return nil, fmt.Errorf("%w: row group has %d columns", ErrCorrupt, len(rg.ColumnChunks()))
		}
		first += rg.NumRows()
	}
	return o, nil
}

// ioError marks an error of the reader, not of the bytes read; isIOError finds it.
type ioError struct{ err error }

func (e *ioError) Error() string { return e.err.Error() }
func (e *ioError) Unwrap() error { return e.err }

// IOError wraps an error a ReaderAt given to OpenObject or Scan returns when storage, not
// the object, failed (a network error, a cancelled context): such errors are passed
// through instead of being reported as ErrCorrupt.
func IOError(err error) error { return &ioError{err} }

func isIOError(err error) bool {
	var e *ioError
	return errors.As(err, &e)
}

// Scan calls fn for every row of sc's streams with sc.Start <= ts < sc.End, stream by
// stream in ascending ordinal order, each stream's rows ascending by time. Only the pages
// of the asked columns that hold such rows are read through r (and so decompressed): the
// index's per-minute counts bound each stream's rows to the minutes of the range.
func (o *Object) Scan(r io.ReaderAt, sc Scan, fn func(*Row) error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: %v", ErrCorrupt, p)
		}
	}()
	spans, err := o.plan(sc)
	if err != nil {
		return err
	}
	sr := &scanner{o: o, r: r, sc: sc, fn: fn}
	defer sr.close()
	for _, sp := range spans {
		if err := sr.rows(sp); err != nil {
			return err
		}
	}
	return nil
}

// span is a run [lo, hi) of object rows of stream ord that a scan reads, and the time
// ranges, ascending, that the rows it emits lie in.
type span struct {
	ord    int
	lo, hi int64
	ranges []timeRange
}

type timeRange struct{ start, end int64 }

// plan lists the rows a scan reads, in ascending order.
func (o *Object) plan(sc Scan) ([]span, error) {
	wins := slices.Clone(sc.Windows) // sorted below
	if len(wins) == 0 {
		for _, ord := range sc.Ordinals {
			wins = append(wins, Window{ord, sc.Start, sc.End})
		}
	}
	slices.SortFunc(wins, func(a, b Window) int { return cmp.Or(cmp.Compare(a.Ord, b.Ord), cmp.Compare(a.Start, b.Start)) })
	var out []span
	for k := 0; k < len(wins); {
		ord := wins[k].Ord
		if ord < 0 || ord >= len(o.idx.Streams) {
			return nil, fmt.Errorf("stream ordinal %d out of range", ord)
		}
		s := &o.idx.Streams[ord]
		// The stream's windows, in runs whose rows (by the minute counts) overlap: one span
		// each, so that no row is visited twice.
		var cur *span
		var runs []span
		for ; k < len(wins) && wins[k].Ord == ord; k++ {
			w := wins[k]
			if s.Entries == 0 || s.MaxT < w.Start || s.MinT >= w.End || w.Start >= w.End {
				continue
			}
			lo, hi := s.rowsIn(w.Start, w.End)
			if lo >= hi {
				continue
			}
			if cur != nil && lo <= cur.hi {
				cur.hi = max(cur.hi, hi)
				cur.ranges = append(cur.ranges, timeRange{w.Start, w.End})
				continue
			}
			runs = append(runs, span{ord: ord, lo: lo, hi: hi, ranges: []timeRange{{w.Start, w.End}}})
			cur = &runs[len(runs)-1]
		}
		for _, r := range runs {
			if len(sc.Contains) == 0 || len(s.Blocks) == 0 {
				out = append(out, span{ord, s.FirstRow + r.lo, s.FirstRow + r.hi, r.ranges})
				continue
			}
			var first int64
			for _, b := range s.Blocks {
				blo, bhi := max(r.lo, first), min(r.hi, first+b.Rows)
				first += b.Rows
				if blo >= bhi || !blockMayMatch(b.Grams, sc.Contains) {
					continue
				}
				if k := len(out); k > 0 && out[k-1].ord == ord && out[k-1].hi == s.FirstRow+blo {
					out[k-1].hi = s.FirstRow + bhi
					continue
				}
				out = append(out, span{ord, s.FirstRow + blo, s.FirstRow + bhi, r.ranges})
			}
		}
	}
	return out, nil
}

// blockMayMatch reports whether, for every conjunct, one of its strings may be in a line
// of the block.
func blockMayMatch(f []byte, contains [][]string) bool {
	for _, alts := range contains {
		ok := false
		for _, a := range alts {
			if mayContain(f, a) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// Ranges returns the byte ranges [off, end) of the object that Scan(r, sc, ...) reads:
// the pages of the asked columns holding the planned rows, coalesced and ascending, so
// that a caller reading remote storage can fetch them in a few requests first. Each
// range is padded by readAhead bytes, which the page reader may read past a page.
func (o *Object) Ranges(sc Scan) (out [][2]int64, err error) {
	defer func() {
		if p := recover(); p != nil {
			out, err = nil, fmt.Errorf("%w: %v", ErrCorrupt, p)
		}
	}()
	spans, err := o.plan(sc)
	if err != nil {
		return nil, err
	}
	cols := []int{colStream, colTs}
	switch {
	case sc.Columns&ColLine != 0:
		cols = append(cols, colLine)
	case sc.Columns&ColSize != 0 && o.col[colSize] >= 0:
		cols = append(cols, colSize)
	case sc.Columns&ColSize != 0:
		cols = append(cols, colLine)
	}
	if sc.Columns&ColMetadata != 0 {
		cols = append(cols, colMetadata)
	}
	var rs [][2]int64
	rgs := o.f.RowGroups()
	for _, sp := range spans {
		for lo := sp.lo; lo < sp.hi; {
			rg, hi, err := o.rowGroupOf(lo, sp.hi)
			if err != nil {
				return nil, err
			}
			base := o.rgFirst[rg]
			chunks := rgs[rg].ColumnChunks()
			for _, c := range cols {
				if c == colMetadata && !o.hasMetadata(sp.ord) {
					continue
				}
				oi, err := chunks[o.col[c]].OffsetIndex()
				if err != nil {
					return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
				}
				for p := 0; p < oi.NumPages(); p++ {
					first, end := oi.FirstRowIndex(p), rgs[rg].NumRows()
					if p+1 < oi.NumPages() {
						end = oi.FirstRowIndex(p + 1)
					}
					if end > lo-base && first < hi-base {
						rs = append(rs, [2]int64{oi.Offset(p), oi.Offset(p) + oi.CompressedPageSize(p) + readAhead})
					}
				}
			}
			lo = hi
		}
	}
	slices.SortFunc(rs, func(a, b [2]int64) int { return cmp.Compare(a[0], b[0]) })
	for _, r := range rs {
		r[1] = min(r[1], o.f.Size())
		if k := len(out); k > 0 && r[0] <= out[k-1][1]+coalesceGap {
			out[k-1][1] = max(out[k-1][1], r[1])
			continue
		}
		out = append(out, r)
	}
	return out, nil
}

// readAhead is the page reader's buffer: it may read that far past a page it reads.
const readAhead = 4 << 10

// coalesceGap joins ranges closer than this: one request costs more than the bytes.
const coalesceGap = 64 << 10

// hasMetadata reports whether stream ord may have rows with structured metadata (version
// 1 indexes do not say).
func (o *Object) hasMetadata(ord int) bool {
	return o.idx.Version < 2 || o.idx.Streams[ord].MetadataRows > 0
}

// rowGroupOf returns the row group holding object row lo and where [lo, hi) ends in it. Row
// group sizes that do not add up (a damaged footer) put a row in none, and a walk over
// them could make no progress: that is ErrCorrupt.
func (o *Object) rowGroupOf(lo, hi int64) (rg int, end int64, err error) {
	rg = sortSearch(o.rgFirst, lo)
	if end = min(hi, o.rgFirst[rg]+o.f.RowGroups()[rg].NumRows()); end <= lo {
		return 0, 0, fmt.Errorf("%w: row %d lies in no row group", ErrCorrupt, lo)
	}
	return rg, end, nil
}

// checkCodecs refuses column chunks compressed otherwise than objects are written (zstd):
// parquet-go's LZ4 decoder, given bytes that are not LZ4, doubles its buffer until the
// process runs out of memory, which no recover stops.
func checkCodecs(f *parquet.File) error {
	for _, rg := range f.Metadata().RowGroups {
		for _, c := range rg.Columns {
			if codec := c.MetaData.Codec; codec != format.Zstd && codec != format.Uncompressed {
				return fmt.Errorf("%w: column %v compressed with %v", ErrCorrupt, c.MetaData.PathInSchema, codec)
			}
		}
	}
	return nil
}

// checkFooterLength refuses an object whose footer claims more bytes than the object has:
// parquet-go allocates the length it reads there before reading the footer, so one flipped
// bit would cost up to 4 GB per open.
func checkFooterLength(r io.ReaderAt, size int64) error {
	const framing = 12 // "PAR1" at the start; the footer length and "PAR1" at the end
	if size < framing {
		return fmt.Errorf("%w: %d bytes", ErrCorrupt, size)
	}
	var end [8]byte
	if _, err := r.ReadAt(end[:], size-8); err != nil {
		if isIOError(err) {
			return err
		}
		return fmt.Errorf("%w: reading the footer length: %v", ErrCorrupt, err)
	}
	if n := int64(binary.LittleEndian.Uint32(end[:4])); n > size-framing {
		return fmt.Errorf("%w: a footer of %d bytes in an object of %d", ErrCorrupt, n, size)
	}
	return nil
}

// Size is the object's size in bytes.
func (o *Object) Size() int64 { return o.f.Size() }

// rowsIn bounds, by the per-minute counts, the stream's rows (relative to FirstRow) that
// can hold timestamps in [start, end): rows are sorted by time, so the rows of the minutes
// before start's minute come first and those after end's minute last.
func (s *IndexStream) rowsIn(start, end int64) (lo, hi int64) {
	if len(s.Minutes) == 0 {
		return 0, s.Entries
	}
	first, last := minutes.Of(start), minutes.Of(end-1)
	for _, m := range s.Minutes {
		if m[0] < first {
			lo += m[1]
		}
		if m[0] <= last {
			hi += m[1]
		}
	}
	return lo, hi
}
