package chunk

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/jetlog/jetlog/schemas/labels"
)

// A literal cut out of any line of a block always passes the block's filter.
func TestGramFilterHasNoFalseNegatives(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for round := 0; round < 50; round++ {
		var c gramCollector
		var lines []string
		for i := 0; i < 1+r.IntN(2000); i++ {
			b := make([]byte, r.IntN(300))
			for j := range b {
				b[j] = byte(r.IntN(256))
				if round%2 == 0 {
					b[j] = "abcdefghij =\\"[r.IntN(13)] // a small alphabet: dense grams, much folding
				}
			}
			lines = append(lines, string(b))
			c.add(b)
		}
		f := c.filter()
		for _, l := range lines {
			if len(l) == 0 {
				continue
			}
			i := r.IntN(len(l))
			j := i + r.IntN(len(l)-i+1)
			if !mayContain(f, l[i:j]) {
				t.Fatalf("round %d: %q is in a line of the block but the filter (%d bytes) rules it out", round, l[i:j], len(f))
			}
		}
	}
}

func TestGramFilterRulesOutAbsentLiterals(t *testing.T) {
	lines := expLikeLines(1000)
	var c gramCollector
	for _, l := range lines {
		c.add([]byte(l))
	}
	f := c.filter()
	if f == nil || len(f) > 4096 {
		t.Fatalf("filter of %d bytes for %d lines", len(f), len(lines))
	}
	for _, s := range []string{"needle", "ERROR", "timeout", "x9z"} {
		if mayContain(f, s) {
			t.Errorf("%q passes a block without it", s)
		}
	}
	for _, s := range []string{"", "ab", "status=200", "charlie"} {
		if !mayContain(f, s) {
			t.Errorf("%q is ruled out", s)
		}
	}
}

// expLikeLines are logfmt lines of the shape ../shared/loadgen pushes.
func expLikeLines(n int) []string {
	words := []string{"alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet"}
	r := rand.New(rand.NewPCG(1, 2))
	out := make([]string, n)
	for i := range out {
		var b strings.Builder
		fmt.Fprintf(&b, "seq=%d level=info method=GET status=%d duration=%dms user=u%d msg=\"", i, []int{200, 404, 500}[r.IntN(3)], r.IntN(2000), r.IntN(100000))
		for b.Len() < 240 {
			b.WriteString(words[r.IntN(len(words))])
			b.WriteByte(' ')
		}
		b.WriteByte('"')
		out[i] = b.String()
	}
	return out
}

func TestScanSkipsBlocksWithoutTheLiteral(t *testing.T) {
	// Enough lines that the line column, encoded with the word table, spans many pages.
	lines := expLikeLines(80000)
	st := Stream{Labels: labels.FromStrings("job", "load")}
	for i, l := range lines {
		if i == 60000 {
			l = "needle " + l
		}
		st.Entries = append(st.Entries, Entry{Timestamp: int64(i) * 1e6, Line: l})
	}
	data, idx := buildIndexed(t, []Stream{st})
	if len(idx.Streams[0].Blocks) < 10 {
		t.Fatalf("%d blocks for %d bytes", len(idx.Streams[0].Blocks), idx.Streams[0].Bytes)
	}
	r := &countingReader{r: bytes.NewReader(data)}
	o, err := OpenObject(r, int64(len(data)), idx)
	if err != nil {
		t.Fatal(err)
	}
	scan := func(contains [][]string) (found, rows int, read int64) {
		r.n.Store(0)
		err := o.Scan(r, Scan{Ordinals: []int{0}, Start: 0, End: 1 << 62, Columns: ColLine, Contains: contains}, func(row *Row) error {
			rows++
			if bytes.Contains(row.Line, []byte("needle")) {
				found++
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return found, rows, r.n.Load()
	}
	_, allRows, all := scan(nil)
	found, rows, some := scan([][]string{{"needle"}})
	if found != 1 || rows >= allRows/5 || some*5 > all {
		t.Fatalf("needle: found %d in %d rows (%d bytes); without the filter %d rows (%d bytes)", found, rows, some, allRows, all)
	}
	if found, _, _ := scan([][]string{{"nothing here", "needle"}}); found != 1 {
		t.Fatal("an alternative that matches must keep the block")
	}
	if _, rows, _ := scan([][]string{{"needle"}, {"absent"}}); rows != 0 {
		t.Fatalf("a conjunct no block holds leaves %d rows", rows)
	}
	ranges, err := o.Ranges(Scan{Ordinals: []int{0}, Start: 0, End: 1 << 62, Columns: ColLine, Contains: [][]string{{"needle"}}})
	if err != nil || len(ranges) == 0 {
		t.Fatalf("ranges %v, %v", ranges, err)
	}
}

// Objects written by older format versions are still read: version 1 (no size column, no
// blocks) and version 2 (no word table).
func TestReadsOlderVersions(t *testing.T) {
	for _, version := range []int{1, 2} {
		data, err := os.ReadFile(fmt.Sprintf("testdata/v%d.data", version))
		if err != nil {
			t.Fatal(err)
		}
		index, err := os.ReadFile(fmt.Sprintf("testdata/v%d.index", version))
		if err != nil {
			t.Fatal(err)
		}
		idx, err := DecodeIndex(index)
		if err != nil || idx.Version != version {
			t.Fatalf("decode: %v (version %d, want %d)", err, idx.Version, version)
		}
		r := bytes.NewReader(data)
		o, err := OpenObject(r, int64(len(data)), idx)
		if err != nil {
			t.Fatal(err)
		}
		var contains [][]string
		if version == 1 {
			contains = [][]string{{"needle"}} // no blocks, so no filter: every row is read
		}
		for _, cols := range []Columns{AllColumns, ColSize} {
			got := strings.Join(scanAll(t, o, r, Scan{Ordinals: []int{0, 1}, Start: 0, End: 1 << 62, Columns: cols, Contains: contains}), "\n")
			want := `0 5 "early" 5 {}
0 120000000000 "late" 4 {trace_id="t1"}
1 1 "x" 1 {}
1 3 "y" 1 {}
1 3 "z needle" 8 {}`
			if cols == ColSize {
				want = "0 5 \"\" 5 {}\n0 120000000000 \"\" 4 {}\n1 1 \"\" 1 {}\n1 3 \"\" 1 {}\n1 3 \"\" 8 {}"
			}
			if got != want {
				t.Fatalf("version %d, columns %b:\n%s\nwant\n%s", version, cols, got, want)
			}
		}
	}
}

func BenchmarkGramCollect(b *testing.B) {
	lines := expLikeLines(1000)
	var raw int64
	for _, l := range lines {
		raw += int64(len(l))
	}
	bs := make([][]byte, len(lines))
	for i, l := range lines {
		bs[i] = []byte(l)
	}
	b.SetBytes(raw)
	b.ReportAllocs()
	var c gramCollector
	for i := 0; i < b.N; i++ {
		for _, l := range bs {
			c.add(l)
		}
		_ = c.filter()
	}
}

// add sets exactly the bits of every trigram of the line, at every length and offset.
func TestGramCollectorSetsEveryTrigram(t *testing.T) {
	line := []byte(expLikeLines(1)[0])
	for n := 0; n <= 40; n++ {
		var got, want gramCollector
		got.add(line[:n])
		for i := 0; i+3 <= n; i++ {
			h := gramHash(uint32(line[i])<<16 | uint32(line[i+1])<<8 | uint32(line[i+2]))
			want.set[h>>6] |= 1 << (h & 63)
		}
		if got.set != want.set {
			t.Fatalf("line of %d bytes: bits differ", n)
		}
	}
}
