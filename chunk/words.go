package chunk

import (
	"cmp"
	"encoding/binary"
	"errors"
	"math/bits"
	"slices"
	"unsafe"
)

// A word table (format version 3) replaces the most frequent words of an object's lines by
// one byte each before the line column is compressed. Log lines are made of a small
// vocabulary (keys, levels, methods, template words) in varying order: zstd, which only
// matches within a page, codes each repeated word as a match of a few bytes costing about
// as many bits as a literal byte of text, or as literals; one code byte per word is then
// entropy-coded by zstd at a few bits. On loadgen lines this stores 40% fewer bytes; the
// encoding costs about the time zstd saves on a quarter of the bytes.
//
// A word is a run of ASCII letters or one of digits, with up to three separators (space, '=',
// '"', ':', ',') after it, so that logfmt keys, JSON keys with their quotes and colons, and
// the spaces between words go with their words; frequent numbers (status codes, ports) get
// codes too (loadgen lines: 1% fewer bytes stored), rare ones stay plain. Code
// wordCodeFirst+i stands for word i of the table; a line byte >= 0x80 is written as
// wordEscape and the byte. Objects whose lines have many such bytes (non-ASCII text) get no
// table and store their lines as they are.

const (
	wordCodeFirst = 0x80
	wordEscape    = 0xFF
	// maxWords is the number of codes.
	maxWords = wordEscape - wordCodeFirst
	// wordSampleBytes bounds the lines, spread over the object, that choose the table:
	// counting their words was 4.5% of the ingest CPU with 1 MB; a quarter of it chooses
	// tables that store as small (BenchmarkBuildLoad: logfmt, json, 2,000 streams).
	wordSampleBytes = 256 << 10
	// maxHighShare: with more of the sampled bytes >= 0x80, escaping them would cost more
	// than the table saves.
	maxHighShare = 1.0 / 64
)

var errCorruptWords = errors.New("line ends inside a word code")

// wordEnd returns the end of the word starting at line[i] (a letter or a digit), or i when
// the word is too short to be worth a code.
func wordEnd[T string | []byte](line T, i int) int {
	j, class := i, byteClass[line[i]]
	for j < len(line) && byteClass[line[j]] == class {
		j++
	}
	return separatorsEnd(line, i, j)
}

// separatorsEnd ends the word whose letters are line[i:j] after its separators.
func separatorsEnd[T string | []byte](line T, i, j int) int {
	for k := 0; k < maxSeparators && j < len(line) && byteClass[line[j]] == separator; k++ {
		j++
	}
	if j-i < 2 {
		return i
	}
	return j
}

// wordEndFast is wordEnd for lines (not strings), eight letters at a time: the branch that
// ends a byte-by-byte loop at a word's random length is mispredicted once per word.
func wordEndFast(line []byte, i int) int {
	j := i
	for j+8 <= len(line) {
		n := leadingLetters(binary.LittleEndian.Uint64(line[j:]))
		j += n
		if n < 8 {
			return separatorsEnd(line, i, j)
		}
	}
	return wordEnd(line, i) // the last bytes of the line
}

// leadingLetters counts the ASCII letters x (eight bytes, the first in the low byte)
// starts with, by carry-free byte-wise comparisons.
func leadingLetters(x uint64) int {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	y := x&^highs | 0x20*ones                       // 7-bit bytes, lower case
	geA := y + (0x80-'a')*ones                      // high bit: y >= 'a'
	gtZ := y + (0x80-'z'-1)*ones                    // high bit: y > 'z'
	letters := geA &^ gtZ &^ x & highs              // high bit: a letter below 0x80
	return bits.TrailingZeros64(^letters&highs) / 8 // 64/8 when all are
}

// maxSeparators bounds the separators a word takes: enough for `":"` between a JSON key
// and its string value.
const maxSeparators = 3

// Byte classes; a table lookup is cheaper than comparisons in the per-byte loops.
const (
	other = iota
	letter
	digit
	separator
	high // >= wordCodeFirst: escaped
)

var byteClass = func() (t [256]uint8) {
	for c := range t {
		switch {
		case c|0x20 >= 'a' && c|0x20 <= 'z':
			t[c] = letter
		case c >= '0' && c <= '9':
			t[c] = digit
		case c == ' ' || c == '=' || c == '"' || c == ':' || c == ',':
			t[c] = separator
		case c >= wordCodeFirst:
			t[c] = high
		}
	}
	return t
}()

// chooseWords returns the table for the given streams' lines: the words of a sample of
// about wordSampleBytes that save the most bytes, or nil if no table should be used.
func chooseWords(streams []Stream) []string {
	var total int
	for _, s := range streams {
		for _, e := range s.Entries {
			total += len(e.Line)
		}
	}
	step := max(1, total/wordSampleBytes) // sample one line in step
	counts := map[string]int{}
	var sampled, highBytes, n int
	for _, s := range streams {
		for _, e := range s.Entries {
			if n++; n%step != 0 {
				continue
			}
			line := e.Line
			sampled += len(line)
			for i := 0; i < len(line); {
				if c := line[i]; byteClass[c] != letter && byteClass[c] != digit {
					if c >= wordCodeFirst {
						highBytes++
					}
					i++
					continue
				}
				if j := wordEnd(line, i); j > i {
					counts[line[i:j]]++
					i = j
					continue
				}
				i++
			}
		}
	}
	if float64(highBytes) > maxHighShare*float64(sampled) {
		return nil
	}
	type scored struct {
		word  string
		saved int
	}
	var ws []scored
	for w, c := range counts {
		if c > 1 && len(w) <= maxWordLen {
			ws = append(ws, scored{w, c * (len(w) - 1)})
		}
	}
	slices.SortFunc(ws, func(a, b scored) int {
		return cmp.Or(cmp.Compare(b.saved, a.saved), cmp.Compare(a.word, b.word))
	})
	out := make([]string, 0, min(len(ws), maxWords))
	for _, w := range ws[:min(len(ws), maxWords)] {
		out = append(out, w.word)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// wordEncoder encodes lines with a table, in which it finds words by open addressing on
// a key loaded from the word's bytes: a map lookup cost more than zstd saved.
type wordEncoder struct {
	words []string
	// inner holds, for each word, the gram hashes of the trigrams inside it.
	inner [][]uint32
	slots [wordSlots]wordSlot
}

// wordSlots keeps the table at most 1/4 full, so that a lookup probes about one slot.
const wordSlots = 512

// wordSlot is one word of the table: its key and length, and 1 + its index into words
// (0: an empty slot).
type wordSlot struct {
	key  uint64
	n    uint8
	word uint8
}

func newWordEncoder(words []string) *wordEncoder {
	e := &wordEncoder{words: words, inner: make([][]uint32, len(words))}
	for i, w := range words {
		for k := 0; k+3 <= len(w); k++ {
			e.inner[i] = append(e.inner[i], gramHash(uint32(w[k])<<16|uint32(w[k+1])<<8|uint32(w[k+2])))
		}
		key := wordKey([]byte(w), 0, len(w))
		k := wordSlotOf(key, len(w))
		for e.slots[k].word != 0 {
			k = (k + 1) % wordSlots
		}
		e.slots[k] = wordSlot{key, uint8(len(w)), uint8(1 + i)}
	}
	return e
}

// wordKey returns the key of the word line[i:j]: its bytes when it has at most eight,
// which then tell it from every other word of its length, else its first and last eight
// bytes mixed. Bytes of line after the word may be loaded but do not count.
func wordKey(line []byte, i, j int) (x uint64) {
	switch n := j - i; {
	case n > 8:
		return binary.LittleEndian.Uint64(line[i:]) ^ binary.LittleEndian.Uint64(line[j-8:])<<1
	case i+8 <= len(line):
		return binary.LittleEndian.Uint64(line[i:]) & (1<<(8*n) - 1)
	}
	for k, c := range line[i:j] {
		x |= uint64(c) << (8 * k)
	}
	return x
}

func wordSlotOf(key uint64, n int) uint32 {
	return uint32(((key^uint64(n))*0x9E3779B97F4A7C15)>>55) % wordSlots
}

// code returns the code of the word line[i:j], if the table has one.
func (e *wordEncoder) code(line []byte, i, j int) (byte, bool) {
	key, n := wordKey(line, i, j), j-i
	for k := wordSlotOf(key, n); e.slots[k].word != 0; k = (k + 1) % wordSlots {
		sl := &e.slots[k]
		if sl.key == key && int(sl.n) == n {
			w := int(sl.word) - 1
			if n <= 8 || e.words[w] == string(line[i:j]) {
				return byte(wordCodeFirst + w), true
			}
		}
	}
	return 0, false
}

// appendLine appends the encoding of line to dst and adds line's trigrams to grams. The
// trigrams inside a coded word are the same wherever it occurs, so they are added once per
// block from the table (innerGrams) rather than hashed at every occurrence: that was most
// of the collector's work, which was a third of Build's besides zstd.
func (e *wordEncoder) appendLine(dst, line []byte, grams *gramCollector) []byte {
	grams.n++
	// Written by index into room for the longest encoding (every byte escaped): appends
	// byte by byte cost more than the rest of the loop.
	dst = slices.Grow(dst, 2*len(line))
	out, n := dst[len(dst):cap(dst)], 0
	var g uint32 // the bytes before line[i], the last in the low byte
	for i := 0; i < len(line); {
		c := line[i]
		switch class := byteClass[c]; class {
		case high:
			out[n], out[n+1] = wordEscape, c
			n += 2
			g = grams.push(g, i, c)
			i++
			continue
		case letter, digit:
			var j int
			if class == letter {
				j = wordEndFast(line, i)
			} else {
				j = wordEnd(line, i)
			}
			if j == i {
				break
			}
			if code, ok := e.code(line, i, j); ok {
				out[n] = code
				n++
				// The trigrams that end in the word's first two bytes start before it.
				g = grams.push(grams.push(g, i, line[i]), i+1, line[i+1])
				if j-i > 2 {
					grams.addWord(int(code-wordCodeFirst), e.inner)
					g = uint32(line[j-2])<<8 | uint32(line[j-1])
				}
			} else {
				n += copy(out[n:], line[i:j])
				for p := i; p < j; p++ {
					g = grams.push(g, p, line[p])
				}
			}
			i = j
			continue
		}
		out[n] = c
		n++
		g = grams.push(g, i, c)
		i++
	}
	return dst[:len(dst)+n]
}

// maxWordLen bounds the words of a table, so that the decoder copies each as one
// fixed-size move.
const maxWordLen = 32

// wordDecoder decodes lines encoded with a table.
type wordDecoder struct {
	// short holds what each byte of an encoded line stands for, itself or a word of at
	// most shortWord bytes, so that the loop over a line has no branch on which it is: the
	// mispredicted branch between plain bytes and codes cost more than the copies.
	// shortLens is its length, 0 for the bytes short does not hold (the escape, codes of
	// longer words and codes outside the table), which take the slow path.
	short     [256][shortWord]byte
	shortLens [256]uint8
	words     [maxWords][maxWordLen]byte
	lens      [maxWords]uint8 // 0: no word has the code
}

// shortWord bounds the words copied as one 16-byte move.
const shortWord = 16

func newWordDecoder(words []string) *wordDecoder {
	d := new(wordDecoder)
	for c := range wordCodeFirst {
		d.short[c][0], d.shortLens[c] = byte(c), 1
	}
	for i, w := range words {
		copy(d.words[i][:], w)
		d.lens[i] = uint8(len(w))
		if len(w) <= shortWord {
			c := wordCodeFirst + i
			copy(d.short[c][:], w)
			d.shortLens[c] = uint8(len(w))
		}
	}
	return d
}

// appendLine appends the line that enc encodes to dst.
func (d *wordDecoder) appendLine(dst, enc []byte) ([]byte, error) {
	n := len(dst)
	short, shortLens := &d.short, &d.shortLens
	// By runs of up to maxRoomyLine bytes, for each of which dst has room for every byte to
	// be the longest word: the loop over a run checks no room (appending cost more than the
	// scan's other work on the line), and so writes through a pointer: indexing dst checked
	// its bounds at every byte, which was half the loop's instructions. The room makes it
	// safe: the k-th byte of a run writes shortWord bytes at most (k-1)*maxWordLen past the
	// run's start. An escape may take a byte past its run.
	for i := 0; i < len(enc); {
		end := min(i+maxRoomyLine, len(enc))
		dst = slices.Grow(dst[:n], (end-i)*maxWordLen)
		dst = dst[:cap(dst)]
		base := unsafe.Pointer(unsafe.SliceData(dst))
		for ; i < end; i++ {
			c := enc[i]
			if l := shortLens[c]; l != 0 {
				*(*[shortWord]byte)(unsafe.Add(base, n)) = short[c]
				n += int(l)
				continue
			}
			var err error
			if i, n, err = d.slowByte(dst, enc, i, n); err != nil {
				return nil, err
			}
		}
	}
	return dst[:n], nil
}

// maxRoomyLine bounds the encoded bytes for which appendLine reserves maxWordLen bytes of
// room each (64 KB).
const maxRoomyLine = 2 << 10

// slowByte decodes enc[i], an escape or a code short does not hold, into dst at n, which
// has room for maxWordLen bytes; it returns the index of the last byte it used and the
// new length.
func (d *wordDecoder) slowByte(dst, enc []byte, i, n int) (int, int, error) {
	if c := enc[i]; c != wordEscape {
		k := c - wordCodeFirst
		if d.lens[k] == 0 {
			return i, n, errors.New("word code outside the table")
		}
		*(*[maxWordLen]byte)(dst[n:]) = d.words[k]
		return i, n + int(d.lens[k]), nil
	}
	if i++; i == len(enc) {
		return i, n, errCorruptWords
	}
	dst[n] = enc[i]
	return i, n + 1, nil
}
