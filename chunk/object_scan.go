package chunk

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// scanner is the state of one Scan: a cursor per column of the current row group.
type scanner struct {
	o   *Object
	r   io.ReaderAt
	sc  Scan
	fn  func(*Row) error
	rg  int
	cur [numCols]cursor
	row Row
	// line holds the current row's line decoded with the object's word table.
	line []byte
}

func (sr *scanner) close() {
	for i := range sr.cur {
		sr.cur[i].close()
	}
}

// rows emits the rows [lo, hi) of stream ord that lie in the span's time ranges.
func (sr *scanner) rows(sp span) error {
	ord, lo, hi := sp.ord, sp.lo, sp.hi
	ranges := sp.ranges
	o := sr.o
	wantLine := sr.sc.Columns&ColLine != 0 || (sr.sc.Columns&ColSize != 0 && o.col[colSize] < 0)
	wantSize := !wantLine && sr.sc.Columns&ColSize != 0
	wantMD := sr.sc.Columns&ColMetadata != 0 && o.hasMetadata(ord)
	for lo < hi {
		rg, end, err := o.rowGroupOf(lo, hi)
		if err != nil {
			return err
		}
		if err := sr.enterRowGroup(rg); err != nil {
			return err
		}
		base := o.rgFirst[rg]
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
				for len(ranges) > 0 && ts >= ranges[0].end {
					ranges = ranges[1:]
				}
				if len(ranges) == 0 {
					return nil // rows are sorted by time within a stream
				}
				if ts < ranges[0].start {
					continue
				}
				r := row + int64(i)
				sr.row = Row{Ord: ord, Ts: ts}
				if wantLine {
					lc := &sr.cur[colLine]
					j := r - lc.first
					line := lc.data[lc.offs[j]:lc.offs[j+1]:lc.offs[j+1]]
					if o.words != nil {
						var err error
						if sr.line, err = o.words.appendLine(sr.line[:0], line); err != nil {
							return fmt.Errorf("%w: %v", ErrCorrupt, err)
						}
						line = sr.line
					}
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
	// offsets is the chunk's offset index (nil: none), firsts its pages' first rows, and
	// index the current page's in it.
	offsets parquet.OffsetIndex
	firsts  []int64
	index   int
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
		if oi, err := c.cc.OffsetIndex(); err == nil && oi.NumPages() > 0 {
			c.offsets = oi
			c.firsts = make([]int64, oi.NumPages())
			for i := range c.firsts {
				c.firsts[i] = oi.FirstRowIndex(i)
			}
		}
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
	start, index := next, c.index+1
	if c.n == 0 || row != next {
		if err := c.pages.SeekToRow(row); err != nil {
			return pageError(err)
		}
		start = row
		index = c.pageOf(row)
	}
	if err := c.checkHeader(index); err != nil {
		return err
	}
	c.index = index
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

// maxPageBytes bounds the sizes a page header may claim. parquet-go allocates both (the
// page as stored, then decompressed) before it reads the page, so a damaged header could
// cost gigabytes per read; the pages we write hold a few MB at most.
const maxPageBytes = 64 << 20

// pageOf is the offset index's page that holds row (-1 without an index).
func (c *cursor) pageOf(row int64) int {
	if c.offsets == nil {
		return -1
	}
	return sortSearch(c.firsts, row)
}

// checkHeader reads the header of page index (of the offset index) before parquet-go does,
// and refuses sizes it could not hold: more stored bytes than the offset index gives the
// page, or more than maxPageBytes either way. It also refuses what objects never hold: a
// page that is not a data page, or one encoded with a dictionary, for which parquet-go would
// go on to read a dictionary page (objects have none) from the start of the column chunk,
// allocating whatever that page's header claims. Without an offset index there is nothing
// to check against.
func (c *cursor) checkHeader(index int) error {
	if c.offsets == nil || index < 0 || index >= c.offsets.NumPages() {
		return nil
	}
	off, size := c.offsets.Offset(index), c.offsets.CompressedPageSize(index)
	if off < 0 || size <= 0 {
		return fmt.Errorf("%w: page %d at %d, %d bytes", ErrCorrupt, index, off, size)
	}
	var h format.PageHeader
	var compact thrift.CompactProtocol
	rd := bufio.NewReaderSize(io.NewSectionReader(c.r, off, size), 512)
	if err := thrift.NewDecoder(compact.NewReader(rd)).Decode(&h); err != nil {
		if isIOError(err) {
			return err
		}
		return fmt.Errorf("%w: page %d header: %v", ErrCorrupt, index, err)
	}
	if h.CompressedPageSize < 0 || int64(h.CompressedPageSize) > min(size, maxPageBytes) || h.UncompressedPageSize < 0 || h.UncompressedPageSize > maxPageBytes {
		return fmt.Errorf("%w: page %d header claims %d bytes stored, %d decompressed (the page has %d)",
			ErrCorrupt, index, h.CompressedPageSize, h.UncompressedPageSize, size)
	}
	var enc format.Encoding
	switch {
	case h.Type == format.DataPage && h.DataPageHeader.Valid:
		enc = h.DataPageHeader.V.Encoding
	case h.Type == format.DataPageV2 && h.DataPageHeaderV2.Valid:
		enc = h.DataPageHeaderV2.V.Encoding
	default:
		return fmt.Errorf("%w: page %d is a %v page", ErrCorrupt, index, h.Type)
	}
	if enc == format.PlainDictionary || enc == format.RLEDictionary {
		return fmt.Errorf("%w: page %d is dictionary-encoded", ErrCorrupt, index)
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
