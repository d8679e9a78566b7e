package chunk

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/jetlog/jetlog/schemas/labels"
)

// countingReader counts the bytes a scan reads.
type countingReader struct {
	r io.ReaderAt
	n atomic.Int64
}

func (c *countingReader) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.r.ReadAt(p, off)
	c.n.Add(int64(n))
	return n, err
}

// testObject builds streams of n entries each, one per second from t0, with lines of
// about 200 bytes and, on every tenth entry, structured metadata.
func testObject(t testing.TB, streams, n int) ([]byte, *Index) {
	t.Helper()
	rnd := rand.New(rand.NewPCG(1, 2))
	var ss []Stream
	for s := 0; s < streams; s++ {
		st := Stream{Labels: labels.FromStrings("job", "load", "stream", fmt.Sprintf("s%03d", s))}
		for i := 0; i < n; i++ {
			var md labels.Labels
			if i%10 == 0 {
				md = labels.FromStrings("trace_id", fmt.Sprint(i))
			}
			line := fmt.Sprintf("seq=%d stream=%d level=info %s %x", i, s, strings.Repeat("abcdefghij", 10+i%5), rnd.Uint64()*rnd.Uint64())
			st.Entries = append(st.Entries, Entry{Timestamp: int64(i) * 1e9, Line: line, Metadata: md})
		}
		ss = append(ss, st)
	}
	return buildIndexed(t, ss)
}

func scanAll(t *testing.T, o *Object, r io.ReaderAt, sc Scan) []string {
	t.Helper()
	var out []string
	err := o.Scan(r, sc, func(row *Row) error {
		out = append(out, fmt.Sprintf("%d %d %q %d %s", row.Ord, row.Ts, row.Line, row.Size, row.Metadata))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestScanProjectsColumnsAndRanges(t *testing.T) {
	// Enough rows that a stream's lines, encoded with the word table, span several pages.
	const n = 40000
	data, idx := testObject(t, 3, n)
	r := &countingReader{r: bytes.NewReader(data)}
	o, err := OpenObject(r, int64(len(data)), idx)
	if err != nil {
		t.Fatal(err)
	}
	all := scanAll(t, o, r, Scan{Ordinals: []int{2, 0, 1}, Start: 0, End: 1 << 62, Columns: AllColumns})
	if len(all) != 3*n {
		t.Fatalf("%d rows, want %d", len(all), 3*n)
	}
	f := func(sc Scan, want int, check func(row *Row) error) int64 {
		t.Helper()
		r.n.Store(0)
		n := 0
		err := o.Scan(r, sc, func(row *Row) error {
			n++
			if row.Ts < sc.Start || row.Ts >= sc.End {
				return fmt.Errorf("row at %d outside [%d, %d)", row.Ts, sc.Start, sc.End)
			}
			return check(row)
		})
		if err != nil {
			t.Fatal(err)
		}
		if n != want {
			t.Fatalf("%+v: %d rows, want %d", sc, n, want)
		}
		return r.n.Load()
	}
	full := f(Scan{Ordinals: []int{1}, Start: 0, End: 1 << 62, Columns: AllColumns}, n, func(row *Row) error {
		if row.Ord != 1 || len(row.Line) == 0 || row.Size != len(row.Line) || (row.Ts/1e9%10 == 0) != (len(row.Metadata) == 1) {
			return fmt.Errorf("bad row %+v", row)
		}
		return nil
	})
	tsOnly := f(Scan{Ordinals: []int{1}, Start: 0, End: 1 << 62}, n, func(row *Row) error {
		if row.Line != nil || row.Size != 0 || row.Metadata != nil {
			return fmt.Errorf("unasked column decoded: %+v", row)
		}
		return nil
	})
	sizeOnly := f(Scan{Ordinals: []int{1}, Start: 0, End: 1 << 62, Columns: ColSize}, n, func(row *Row) error {
		if row.Line != nil || row.Size < 100 {
			return fmt.Errorf("size scan: %+v", row)
		}
		return nil
	})
	// Two minutes of the stream's 667: the per-minute counts bound the rows read.
	window := f(Scan{Ordinals: []int{1}, Start: 600e9 + 1, End: 720e9 + 1, Columns: ColLine}, 120, func(row *Row) error { return nil })
	if tsOnly*4 > full || window*4 > full || sizeOnly > full {
		t.Fatalf("bytes read: all columns %d, ts only %d, size %d, two minutes %d", full, tsOnly, sizeOnly, window)
	}
	t.Logf("bytes read: all columns %d, ts only %d, size %d, two minutes %d", full, tsOnly, sizeOnly, window)
}

func BenchmarkScan(b *testing.B) {
	data, idx := testObject(b, 10, 20000)
	var raw int64
	for _, s := range idx.Streams {
		raw += s.Bytes
	}
	r := bytes.NewReader(data)
	o, err := OpenObject(r, int64(len(data)), idx)
	if err != nil {
		b.Fatal(err)
	}
	ords := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
	for _, c := range []struct {
		name string
		cols Columns
	}{{"ts", 0}, {"size", ColSize}, {"line", ColLine}, {"all", AllColumns}} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(raw)
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if err := o.Scan(r, Scan{Ordinals: ords, Start: 0, End: 1 << 62, Columns: c.cols}, func(*Row) error { return nil }); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// A scan of windows gives exactly the rows of a whole scan that lie in one of them: windows
// in one minute (which share rows by the minute counts), across minutes, at a stream's ends,
// empty ones, and several streams at once.
func TestScanWindows(t *testing.T) {
	const n = 3000 // a row a second: 50 minutes per stream
	data, idx := testObject(t, 3, n)
	r := bytes.NewReader(data)
	o, err := OpenObject(r, int64(len(data)), idx)
	if err != nil {
		t.Fatal(err)
	}
	all := scanAll(t, o, r, Scan{Ordinals: []int{0, 1, 2}, Start: 0, End: 1 << 62, Columns: AllColumns})
	wins := []Window{
		{1, 10e9, 12e9}, {1, 30e9, 31e9 + 1}, {1, 59e9, 61e9}, {1, 600e9, 1300e9},
		{0, -5e9, 1e9}, {0, (n - 2) * 1e9, 1 << 62}, {2, 5e9, 5e9}, {2, 100e9, 101e9},
	}
	in := func(ord int, ts int64) bool {
		for _, w := range wins {
			if w.Ord == ord && ts >= w.Start && ts < w.End {
				return true
			}
		}
		return false
	}
	var want []string
	for _, row := range all {
		var ord int
		var ts int64
		fmt.Sscan(row, &ord, &ts)
		if in(ord, ts) {
			want = append(want, row)
		}
	}
	sc := Scan{Windows: wins, Columns: AllColumns}
	got := scanAll(t, o, r, sc)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("windows: %d rows, want %d\n got %.300v\nwant %.300v", len(got), len(want), got, want)
	}
	if len(want) != 2+2+2+700+1+2+0+1 {
		t.Fatalf("%d rows in the windows", len(want))
	}
	if _, err := o.Ranges(sc); err != nil {
		t.Fatal(err)
	}
}
