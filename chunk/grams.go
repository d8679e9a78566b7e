package chunk

import (
	"encoding/binary"
	"math/bits"
)

// A gram filter is a bitset of the trigrams (three consecutive bytes) of every line of a
// block of a stream's rows: a line containing the literal s contains each of s's trigrams,
// so a block whose filter lacks one of them holds no line containing s, and its pages need
// not be read. Each trigram sets one bit, the low log2(len) bits of its hash; the bitset is
// folded (halves ORed together) while it stays sparse, so it costs about 1.5 bytes per
// distinct trigram of the block.

// maxGramBits is the bitset a block's trigrams are first collected in.
const maxGramBits = 1 << 16

// minGramBits is the smallest bitset written.
const minGramBits = 512

// maxGramFill: a bitset is folded while at most this share of its bits would be set,
// which makes a literal of k trigrams pass a block without it with probability
// about maxGramFill^k.
const maxGramFill = 1.0 / 3

// gramHash is the 16-bit hash of trigram g (the bytes in its low 24 bits).
func gramHash(g uint32) uint32 { return (g * 0x9E3779B1) >> 16 }

// gramCollector collects the trigrams of a block's lines.
type gramCollector struct {
	set [maxGramBits / 64]uint64
	n   int // lines added
	// words marks the word codes whose inner trigrams are in set (see appendLine).
	words [2]uint64
}

// mark sets the bit of gram hash h.
func (c *gramCollector) mark(h uint32) {
	c.set[(h>>6)&(maxGramBits/64-1)] |= 1 << (h & 63)
}

// push appends byte b, at offset p of its line, to g (the bytes before it) and, once p
// has two bytes before it, adds the trigram b ends.
func (c *gramCollector) push(g uint32, p int, b byte) uint32 {
	g = (g<<8 | uint32(b)) & 0xFFFFFF
	if p >= 2 {
		c.mark(gramHash(g))
	}
	return g
}

// addWord adds the trigrams inside word w of a table, given by their hashes, unless the
// block has them already.
func (c *gramCollector) addWord(w int, inner [][]uint32) {
	if bit := uint64(1) << (w & 63); c.words[w>>6]&bit == 0 {
		c.words[w>>6] |= bit
		for _, h := range inner[w] {
			c.mark(h)
		}
	}
}

func (c *gramCollector) add(line []byte) {
	c.n++
	if len(line) < 3 {
		return
	}
	set := &c.set
	g := uint32(line[0])<<8 | uint32(line[1])
	for _, b := range line[2:] {
		g = (g<<8 | uint32(b)) & 0xFFFFFF
		h := gramHash(g)
		set[(h>>6)&(maxGramBits/64-1)] |= 1 << (h & 63)
	}
}

// filter returns the folded bitset (little-endian words), and resets c. It returns nil
// (no filter: every literal may match) when the block's trigrams fill the bitset so much
// that it would rule nothing out.
func (c *gramCollector) filter() []byte {
	defer func() { *c = gramCollector{} }()
	words := c.set[:]
	ones := 0
	for _, w := range words {
		ones += bits.OnesCount64(w)
	}
	if float64(ones) > 0.5*maxGramBits {
		return nil
	}
	for len(words)*64 > minGramBits {
		half := len(words) / 2
		folded := 0
		for i := 0; i < half; i++ {
			folded += bits.OnesCount64(words[i] | words[i+half])
		}
		if float64(folded) > maxGramFill*float64(half*64) {
			break
		}
		for i := 0; i < half; i++ {
			words[i] |= words[i+half]
		}
		words = words[:half]
	}
	out := make([]byte, 8*len(words))
	for i, w := range words {
		binary.LittleEndian.PutUint64(out[8*i:], w)
	}
	return out
}

// mayContain reports whether a block with gram filter f may hold a line containing s. A
// nil filter, or a literal shorter than a trigram, rules nothing out.
func mayContain(f []byte, s string) bool {
	nbits := uint32(len(f)) * 8
	if len(f) == 0 || len(s) < 3 || nbits&(nbits-1) != 0 {
		return true
	}
	g := uint32(s[0])<<8 | uint32(s[1])
	for i := 2; i < len(s); i++ {
		g = (g<<8 | uint32(s[i])) & 0xFFFFFF
		h := gramHash(g) & (nbits - 1)
		if f[h>>3]&(1<<(h&7)) == 0 {
			return false
		}
	}
	return true
}
