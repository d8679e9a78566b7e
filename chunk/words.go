package chunk

import (
	"cmp"
	"errors"
	"slices"
)

// A word table (format version 3) replaces the most frequent words of an object's lines by
// one byte each before the line column is compressed. Log lines are made of a small
// vocabulary (keys, levels, methods, template words) in varying order: zstd, which only
// matches within a page, codes each repeated word as a match of a few bytes costing about
// as many bits as a literal byte of text, or as literals; one code byte per word is then
// entropy-coded by zstd at a few bits. On loadgen lines this stores 40% fewer bytes and,
// as zstd is given a quarter of the bytes, costs less CPU than it saves.
//
// A word is a run of ASCII letters with the byte after it if that is a separator (space,
// '=', '"', ':'), so that logfmt keys, JSON keys and the spaces between words go with
// their words. Code wordCodeFirst+i stands for word i of the table; a line byte >= 0x80 is
// written as wordEscape and the byte. Objects whose lines have many such bytes (non-ASCII
// text) get no table and store their lines as they are.

const (
	wordCodeFirst = 0x80
	wordEscape    = 0xFF
	// maxWords is the number of codes.
	maxWords = wordEscape - wordCodeFirst
	// wordSampleBytes bounds the lines, spread over the object, that choose the table.
	wordSampleBytes = 1 << 20
	// maxHighShare: with more of the sampled bytes >= 0x80, escaping them would cost more
	// than the table saves.
	maxHighShare = 1.0 / 64
)

var errCorruptWords = errors.New("line ends inside a word code")

// nextWord returns the end of the word starting at line[i] (a letter) and its hash, or i
// when the word is too short to be worth a code.
func nextWord[T string | []byte](line T, i int) (int, uint32) {
	j, h := i, uint32(2166136261)
	for j < len(line) && isASCIILetter(line[j]) {
		h = (h ^ uint32(line[j])) * 16777619
		j++
	}
	if j < len(line) {
		switch line[j] {
		case ' ', '=', '"', ':':
			h = (h ^ uint32(line[j])) * 16777619
			j++
		}
	}
	if j-i < 2 {
		return i, 0
	}
	return j, h
}

func isASCIILetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

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
	var sampled, high, n int
	for _, s := range streams {
		for _, e := range s.Entries {
			if n++; n%step != 0 {
				continue
			}
			line := e.Line
			sampled += len(line)
			for i := 0; i < len(line); {
				if c := line[i]; !isASCIILetter(c) {
					if c >= 0x80 {
						high++
					}
					i++
					continue
				}
				if j, _ := nextWord(line, i); j > i {
					counts[line[i:j]]++
					i = j
					continue
				}
				i++
			}
		}
	}
	if float64(high) > maxHighShare*float64(sampled) {
		return nil
	}
	type scored struct {
		word  string
		saved int
	}
	var ws []scored
	for w, c := range counts {
		if c > 1 {
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

// wordEncoder encodes lines with a table. It finds words in an open-addressed table
// indexed by the hash nextWord computes while it scans them: a map lookup, which hashes
// the word again, cost more than zstd saved.
type wordEncoder struct {
	slots [wordSlots]wordSlot
}

// wordSlots keeps the table at most 1/8 full, so that a lookup probes about one slot.
const wordSlots = 1024

type wordSlot struct {
	word string // "": empty
	code byte
}

func newWordEncoder(words []string) *wordEncoder {
	e := new(wordEncoder)
	for i, w := range words {
		_, h := nextWord(w, 0)
		k := h % wordSlots
		for e.slots[k].word != "" {
			k = (k + 1) % wordSlots
		}
		e.slots[k] = wordSlot{w, byte(wordCodeFirst + i)}
	}
	return e
}

// code returns the code of word w with hash h, if the table has one.
func (e *wordEncoder) code(w []byte, h uint32) (byte, bool) {
	for k := h % wordSlots; e.slots[k].word != ""; k = (k + 1) % wordSlots {
		if e.slots[k].word == string(w) {
			return e.slots[k].code, true
		}
	}
	return 0, false
}

// appendLine appends the encoding of line to dst.
func (e *wordEncoder) appendLine(dst, line []byte) []byte {
	for i := 0; i < len(line); {
		c := line[i]
		if !isASCIILetter(c) {
			if c >= 0x80 {
				dst = append(dst, wordEscape)
			}
			dst = append(dst, c)
			i++
			continue
		}
		j, h := nextWord(line, i)
		if j == i {
			dst = append(dst, c)
			i++
			continue
		}
		if code, ok := e.code(line[i:j], h); ok {
			dst = append(dst, code)
		} else {
			dst = append(dst, line[i:j]...)
		}
		i = j
	}
	return dst
}

// appendDecodedLine appends the line that enc encodes with words to dst.
func appendDecodedLine(dst, enc []byte, words []string) ([]byte, error) {
	for i := 0; i < len(enc); i++ {
		c := enc[i]
		switch {
		case c < wordCodeFirst:
			// A run of plain bytes is copied at once: most bytes that are not words are.
			j := i + 1
			for j < len(enc) && enc[j] < wordCodeFirst {
				j++
			}
			dst = append(dst, enc[i:j]...)
			i = j - 1
		case c == wordEscape:
			if i++; i == len(enc) {
				return nil, errCorruptWords
			}
			dst = append(dst, enc[i])
		case int(c-wordCodeFirst) < len(words):
			dst = append(dst, words[c-wordCodeFirst]...)
		default:
			return nil, errors.New("word code outside the table")
		}
	}
	return dst, nil
}
