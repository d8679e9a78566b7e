package chunk

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding"

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
	rgFirst []int64 // first row of each row group
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
	f, err := parquet.OpenFile(r, size, parquet.SkipBloomFilters(true), parquet.ReadBufferSize(readAhead))
	if err != nil {
		if isIOError(err) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	if f.NumRows() != idx.Rows {
		return nil, fmt.Errorf("%w: %d rows, index says %d", ErrCorrupt, f.NumRows(), idx.Rows)
	}
	o = &Object{f: f, idx: idx}
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
		if err := sr.rows(sp.ord, sp.lo, sp.hi); err != nil {
			return err
		}
	}
	return nil
}

// span is a run [lo, hi) of object rows of stream ord that a scan reads.
type span struct {
	ord    int
	lo, hi int64
}

// plan lists the rows a scan reads, in ascending order.
func (o *Object) plan(sc Scan) ([]span, error) {
	ords := slices.Clone(sc.Ordinals)
	slices.Sort(ords)
	var out []span
	for _, ord := range ords {
		if ord < 0 || ord >= len(o.idx.Streams) {
			return nil, fmt.Errorf("stream ordinal %d out of range", ord)
		}
		s := &o.idx.Streams[ord]
		if s.Entries == 0 || s.MaxT < sc.Start || s.MinT >= sc.End {
			continue
		}
		lo, hi := s.rowsIn(sc.Start, sc.End)
		if len(sc.Contains) == 0 || len(s.Blocks) == 0 {
			if lo < hi {
				out = append(out, span{ord, s.FirstRow + lo, s.FirstRow + hi})
			}
			continue
		}
		var first int64
		for _, b := range s.Blocks {
			blo, bhi := max(lo, first), min(hi, first+b.Rows)
			first += b.Rows
			if blo >= bhi || !blockMayMatch(b.Grams, sc.Contains) {
				continue
			}
			if k := len(out); k > 0 && out[k-1].ord == ord && out[k-1].hi == s.FirstRow+blo {
				out[k-1].hi = s.FirstRow + bhi
				continue
			}
			out = append(out, span{ord, s.FirstRow + blo, s.FirstRow + bhi})
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
			rg := sortSearch(o.rgFirst, lo)
			base := o.rgFirst[rg]
			hi := min(sp.hi, base+rgs[rg].NumRows())
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

// Size is the object's size in bytes.
func (o *Object) Size() int64 { return o.f.Size() }

// rowsIn bounds, by the per-minute counts, the stream's rows (relative to FirstRow) that
// can hold timestamps in [start, end): rows are sorted by time, so the rows of the minutes
// before start's minute come first and those after end's minute last.
func (s *IndexStream) rowsIn(start, end int64) (lo, hi int64) {
	if len(s.Minutes) == 0 {
		return 0, s.Entries
	}
	first, last := floorDiv(start, 60e9), floorDiv(end-1, 60e9)
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

// scanner is the state of one Scan: a cursor per column of the current row group.
type scanner struct {
	o   *Object
	r   io.ReaderAt
	sc  Scan
	fn  func(*Row) error
	rg  int
	cur [numCols]cursor
	row Row
}

func (sr *scanner) close() {
	for i := range sr.cur {
		sr.cur[i].close()
	}
}

// rows emits the rows [lo, hi) of stream ord that lie in the time range.
func (sr *scanner) rows(ord int, lo, hi int64) error {
	o := sr.o
	wantLine := sr.sc.Columns&ColLine != 0 || (sr.sc.Columns&ColSize != 0 && o.col[colSize] < 0)
	wantSize := !wantLine && sr.sc.Columns&ColSize != 0
	wantMD := sr.sc.Columns&ColMetadata != 0 && o.hasMetadata(ord)
	for lo < hi {
		rg := sortSearch(o.rgFirst, lo)
		if err := sr.enterRowGroup(rg); err != nil {
			return err
		}
		base := o.rgFirst[rg]
		end := min(hi, base+o.f.RowGroups()[rg].NumRows())
		for row := lo - base; row < end-base; {
			// A run of rows whose every asked column is in the current page.
			run := end - base
			for c := range sr.cur {
				if c == colStream || c == colTs || (c == colLine && wantLine) || (c == colSize && wantSize) || (c == colMetadata && wantMD) {
					cu := &sr.cur[c]
					if err := cu.at(row); err != nil {
						return err
					}
					run = min(run, cu.first+cu.n)
				}
			}
			st, tc := &sr.cur[colStream], &sr.cur[colTs]
			for _, v := range st.i32[row-st.first : run-st.first] {
				if int(v) != ord {
					return fmt.Errorf("%w: row of stream %d where the index puts stream %d", ErrCorrupt, v, ord)
				}
			}
			for i, ts := range tc.i64[row-tc.first : run-tc.first] {
				if ts < sr.sc.Start {
					continue
				}
				if ts >= sr.sc.End {
					return nil // rows are sorted by time within a stream
				}
				r := row + int64(i)
				sr.row = Row{Ord: ord, Ts: ts}
				if wantLine {
					lc := &sr.cur[colLine]
					j := r - lc.first
					line := lc.data[lc.offs[j]:lc.offs[j+1]:lc.offs[j+1]]
					sr.row.Size = len(line)
					if sr.sc.Columns&ColLine != 0 {
						sr.row.Line = line
					}
				} else if wantSize {
					sc := &sr.cur[colSize]
					sr.row.Size = int(sc.i32[r-sc.first])
				}
				if wantMD {
					b, err := sr.cur[colMetadata].optionalBytesAt(r)
					if err != nil {
						return err
					}
					if sr.row.Metadata, err = decodeMetadata(b); err != nil {
						return fmt.Errorf("%w: %v", ErrCorrupt, err)
					}
				}
				if err := sr.fn(&sr.row); err != nil {
					return err
				}
			}
			row = run
		}
		lo = end
	}
	return nil
}

// sortSearch returns the last i with firsts[i] <= row.
func sortSearch(firsts []int64, row int64) int {
	i, found := slices.BinarySearch(firsts, row)
	if !found {
		i--
	}
	return max(i, 0)
}

func (sr *scanner) enterRowGroup(rg int) error {
	if sr.cur[colStream].pages != nil && sr.rg == rg {
		return nil
	}
	sr.close()
	sr.rg = rg
	chunks := sr.o.f.RowGroups()[rg].ColumnChunks()
	for i := range sr.cur {
		if sr.o.col[i] < 0 {
			sr.cur[i] = cursor{}
			continue
		}
		cc, ok := chunks[sr.o.col[i]].(*parquet.FileColumnChunk)
		if !ok {
			return fmt.Errorf("%w: unexpected column chunk type", ErrCorrupt)
		}
		sr.cur[i] = cursor{cc: cc, r: sr.r} // pages are opened when a row is asked for
	}
	return nil
}

// cursor reads one column chunk's pages on demand, forwards only: a page is read (and
// decompressed) when a row in it is asked for; pages between are skipped by the offset
// index without being read.
type cursor struct {
	cc    *parquet.FileColumnChunk
	r     io.ReaderAt
	pages *parquet.FilePages
	page  parquet.Page
	first int64 // row (in the row group) of the page's first row
	n     int64
	// optional columns: definition levels and the value index of row vrow
	defs       []byte
	vrow, vidx int64
	// the page's values, by type
	i32  []int32
	i64  []int64
	data []byte
	offs []uint32
}

func (c *cursor) open() {
	if c.cc != nil && c.pages == nil {
		c.pages = c.cc.PagesFrom(c.r)
	}
}

func (c *cursor) close() {
	if c.page != nil {
		parquet.Release(c.page)
		c.page = nil
	}
	if c.pages != nil {
		c.pages.Close()
		c.pages = nil
	}
	c.n = 0
}

// at makes row the current page's.
func (c *cursor) at(row int64) error {
	if c.page != nil && row >= c.first && row < c.first+c.n {
		return nil
	}
	if c.pages == nil {
		c.open()
	}
	next := c.first + c.n
	if c.page != nil {
		parquet.Release(c.page)
		c.page = nil
	}
	start := next
	if c.n == 0 || row != next {
		if err := c.pages.SeekToRow(row); err != nil {
			return pageError(err)
		}
		start = row
	}
	p, err := c.pages.ReadPage()
	if err != nil {
		return pageError(err)
	}
	if p.NumRows() <= 0 {
		parquet.Release(p)
		return fmt.Errorf("%w: empty page", ErrCorrupt)
	}
	c.page, c.first, c.n = p, start, p.NumRows()
	c.defs, c.vrow, c.vidx = p.DefinitionLevels(), start, 0
	vals := p.Data()
	c.i32, c.i64, c.data, c.offs = nil, nil, nil, nil
	switch vals.Kind() {
	case encoding.Int32:
		c.i32 = vals.Int32()
	case encoding.Int64:
		c.i64 = vals.Int64()
	case encoding.ByteArray:
		c.data, c.offs = vals.ByteArray()
	}
	if row >= c.first+c.n {
		return fmt.Errorf("%w: page at row %d does not hold row %d", ErrCorrupt, c.first, row)
	}
	return nil
}

func pageError(err error) error {
	if isIOError(err) {
		return err
	}
	if errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: column ends early", ErrCorrupt)
	}
	return fmt.Errorf("%w: %v", ErrCorrupt, err)
}

func (c *cursor) bytesAt(row int64) ([]byte, error) {
	if err := c.at(row); err != nil {
		return nil, err
	}
	i := row - c.first
	return c.data[c.offs[i]:c.offs[i+1]:c.offs[i+1]], nil
}

// optionalBytesAt returns nil for a null. Rows must be asked for in ascending order.
func (c *cursor) optionalBytesAt(row int64) ([]byte, error) {
	if err := c.at(row); err != nil {
		return nil, err
	}
	if len(c.defs) == 0 {
		if c.page.NumNulls() == c.n {
			return nil, nil
		}
		return c.bytesAt(row)
	}
	if row < c.vrow {
		c.vrow, c.vidx = c.first, 0
	}
	for ; c.vrow < row; c.vrow++ {
		if c.defs[c.vrow-c.first] != 0 {
			c.vidx++
		}
	}
	if c.defs[row-c.first] == 0 {
		return nil, nil
	}
	return c.data[c.offs[c.vidx]:c.offs[c.vidx+1]:c.offs[c.vidx+1]], nil
}
