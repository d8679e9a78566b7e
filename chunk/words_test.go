package chunk

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/jetlog/jetlog/schemas/labels"
)

func wordStreams(lines ...string) []Stream {
	st := Stream{Labels: labels.FromStrings("job", "w")}
	for i, l := range lines {
		st.Entries = append(st.Entries, Entry{Timestamp: int64(i), Line: l})
	}
	return []Stream{st}
}

// Lines encoded with a table decode to themselves, whatever bytes they hold.
func TestWordsRoundTrip(t *testing.T) {
	lines := []string{
		`level=info msg="alpha bravo alpha" status=200`,
		`{"level":"info","msg":"alpha bravo"}`,
		"bytes \x80\xff\xfe and é, level=info",
		"", "a", "alpha", "alphaalpha", "level=", `"`, "\xff",
	}
	// The ASCII lines, each twice (words seen once get no code), choose; every line is encoded.
	words := chooseWords(wordStreams(lines[0], lines[1], lines[0], lines[1]))
	if len(words) == 0 || len(words) > maxWords {
		t.Fatalf("%d words: %q", len(words), words)
	}
	e := newWordEncoder(words)
	var grams, want gramCollector
	for _, l := range lines {
		want.add([]byte(l))
		enc := e.appendLine(nil, []byte(l), &grams)
		got, err := newWordDecoder(words).appendLine(nil, enc)
		if err != nil || string(got) != l {
			t.Fatalf("%q: encoded %q, decoded %q, %v", l, enc, got, err)
		}
		if strings.HasPrefix(l, "level=info") && len(enc) >= len(l) {
			t.Fatalf("%q was not shortened: %q", l, enc)
		}
	}
	if grams.set != want.set {
		t.Fatal("the encoder's trigrams differ from the lines'")
	}
}

// Mostly non-ASCII lines get no table: escaping their bytes would cost more than it saves.
func TestWordsNoTableForNonASCII(t *testing.T) {
	line := "ошибка соединения level=info"
	if words := chooseWords(wordStreams(line, line, line)); words != nil {
		t.Fatalf("table %q for non-ASCII lines", words)
	}
	if words := chooseWords(wordStreams("1 2 3", "4 5 6")); words != nil {
		t.Fatalf("table %q for lines without words", words)
	}
}

// Objects built from non-ASCII lines, which get no table, read back as they were.
func TestBuildWithoutWords(t *testing.T) {
	ss := wordStreams("ошибка один", "ошибка два")
	data, index, err := Build(ss, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := DecodeIndex(index)
	if err != nil || idx.Words != nil {
		t.Fatalf("%v, words %q", err, idx.Words)
	}
	got := readAll(t, data, idx, 0, 10)
	if len(got) != 2 || !strings.Contains(got[0], "ошибка один") {
		t.Fatalf("rows %q", got)
	}
}

func FuzzWordsDecode(f *testing.F) {
	// Words of up to 16 bytes are decoded from one table, longer ones on another path.
	words := []string{"level=", "info ", "alpha", "ab", "abcdefgh", "abcdefghijk\":\"", "abcdefghijklmnopqrstuvwxyz"}
	f.Add([]byte("\x80\x81x\xff\xe9"))
	f.Add([]byte("\x86\x86x\x86 abcdefghijklmnopqrstuvwxyz"))
	f.Add([]byte("\xff"))
	f.Add([]byte("\xfe"))
	f.Add([]byte(`level=info alpha x ab:abcdefghijk":"alphaalpha level=`))
	f.Fuzz(func(t *testing.T, enc []byte) {
		// Any line encodes to what decodes to it, and the encoder adds its trigrams.
		var grams, want gramCollector
		if line, err := newWordDecoder(words).appendLine(nil, newWordEncoder(words).appendLine(nil, enc, &grams)); err != nil || !bytes.Equal(line, enc) {
			t.Fatalf("%q encoded decodes to %q (%v)", enc, line, err)
		}
		if want.add(enc); grams.set != want.set {
			t.Fatalf("%q: the encoder's trigrams differ from the line's", enc)
		}
		dec, err := newWordDecoder(words).appendLine(nil, enc)
		// Past maxRoomyLine encoded bytes the decoder checks its room byte by byte: plain
		// bytes before enc must not change what it decodes to.
		pad := bytes.Repeat([]byte("x"), maxRoomyLine)
		long, longErr := newWordDecoder(words).appendLine(slices.Clip(pad[:8]), append(slices.Clip(pad), enc...))
		if (err == nil) != (longErr == nil) || err == nil && !bytes.Equal(long, append(append(pad[:8:8], pad...), dec...)) {
			t.Fatalf("%q after %d plain bytes decodes to %d bytes (%v); alone to %q (%v)", enc, len(pad), len(long), longErr, dec, err)
		}
		if err != nil {
			return
		}
		// What decodes re-encodes to a line that decodes the same.
		again, err := newWordDecoder(words).appendLine(nil, newWordEncoder(words).appendLine(nil, dec, new(gramCollector)))
		if err != nil || !bytes.Equal(again, dec) {
			t.Fatalf("%q decodes to %q, which re-encoded decodes to %q (%v)", enc, dec, again, err)
		}
	})
}

func BenchmarkWordEncode(b *testing.B) {
	ss := loadObject("logfmt", 7, 4<<20)
	e := newWordEncoder(chooseWords(ss))
	var lines [][]byte
	var raw int64
	for _, en := range ss[0].Entries {
		lines = append(lines, []byte(en.Line))
		raw += int64(len(en.Line))
	}
	b.SetBytes(raw)
	b.ReportAllocs()
	b.ResetTimer()
	var dst []byte
	var grams gramCollector
	for range b.N {
		for _, l := range lines {
			dst = e.appendLine(dst[:0], l, &grams)
		}
	}
}

// Build's block filters, collected while lines are encoded, are those of the lines.
func TestBuildGramFiltersMatchLines(t *testing.T) {
	for _, shape := range []string{"logfmt", "json"} {
		ss := loadObject(shape, 3, 2<<20)
		_, idx := buildIndexed(t, ss)
		if idx.Words == nil {
			t.Fatalf("%s lines got no word table", shape)
		}
		for i, s := range idx.Streams {
			es := ss[i].Entries // Build sorted them; loadObject's labels sort as built
			for _, b := range s.Blocks {
				var c gramCollector
				for _, e := range es[:b.Rows] {
					c.add([]byte(e.Line))
				}
				if !bytes.Equal(c.filter(), b.Grams) {
					t.Fatalf("%s: stream %d: a block's filter differs from its lines'", shape, i)
				}
				es = es[b.Rows:]
			}
		}
	}
}

func BenchmarkWordDecode(b *testing.B) {
	ss := loadObject("logfmt", 7, 4<<20)
	words := chooseWords(ss)
	e, d := newWordEncoder(words), newWordDecoder(words)
	var encs [][]byte
	var raw int64
	var grams gramCollector
	for _, en := range ss[0].Entries {
		encs = append(encs, e.appendLine(nil, []byte(en.Line), &grams))
		raw += int64(len(en.Line))
	}
	b.SetBytes(raw)
	b.ReportAllocs()
	b.ResetTimer()
	var dst []byte
	for range b.N {
		for _, enc := range encs {
			var err error
			if dst, err = d.appendLine(dst[:0], enc); err != nil {
				b.Fatal(err)
			}
		}
	}
}
