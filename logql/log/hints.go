package log

import (
	"maps"
	"slices"

	"github.com/jetlog/jetlog/logql/syntax"
)

// extractionHints computes the labels a metric query's parsers must extract when the
// caller keeps only the `by` labels of the result, as Loki's parser hints do: the by
// labels, the unwrapped label and every label a later stage or post filter reads. It
// returns nil (extract everything) when a template could read any label.
func extractionHints(stages []syntax.Stage, unwrap *syntax.Unwrap, by []string) map[string]struct{} {
	wanted := map[string]struct{}{}
	add := func(names ...string) {
		for _, n := range names {
			wanted[n] = struct{}{}
			wanted[n+duplicateSuffix] = struct{}{}
		}
	}
	add(by...)
	if unwrap != nil {
		add(unwrap.Label)
		for _, f := range unwrap.PostFilters {
			add(labelFilterNames(f)...)
		}
	}
	for _, s := range stages {
		switch s := s.(type) {
		case *syntax.LabelFilterStage:
			add(labelFilterNames(s.Filter)...)
		case *syntax.LineFormatStage:
			return nil
		case *syntax.LabelFormatStage:
			for _, op := range s.Ops {
				if !op.Rename {
					return nil
				}
				add(op.Value, op.Dst)
			}
		case *syntax.KeepStage:
			for _, l := range s.Labels {
				add(l.Name)
				if l.Matcher != nil {
					add(l.Matcher.Name)
				}
			}
		case *syntax.ParserStage:
			for _, e := range s.Extractions {
				add(e.Label)
			}
		}
	}
	return wanted
}

func labelFilterNames(f syntax.LabelFilter) []string {
	switch f := f.(type) {
	case *syntax.BinaryLabelFilter:
		return append(labelFilterNames(f.Left), labelFilterNames(f.Right)...)
	case *syntax.StringLabelFilter:
		if f.Matcher != nil {
			return []string{f.Matcher.Name}
		}
	case *syntax.NumericLabelFilter:
		return []string{f.Name}
	case *syntax.IPLabelFilter:
		return []string{f.Name}
	}
	return nil
}

// hints indexes what extractionHints computes for the builder. Every wanted name has an
// index. A required name (one whose _extracted variant is wanted too) makes a group of the
// two, either of which satisfies it; a parser may stop once every group is satisfied. A
// name may be in two groups (status_extracted, when status and status_extracted are both
// required).
type hints struct {
	index  map[string]int // wanted name -> index
	groups [][]int        // by index: the groups the name satisfies
	n      int            // the number of groups
}

func newHints(wanted map[string]struct{}) *hints {
	if wanted == nil {
		return nil
	}
	names := slices.Sorted(maps.Keys(wanted)) // deterministic indexes
	h := &hints{index: make(map[string]int, len(names)), groups: make([][]int, len(names))}
	for i, n := range names {
		h.index[n] = i
	}
	for i, n := range names {
		if j, ok := h.index[n+duplicateSuffix]; ok {
			h.groups[i] = append(h.groups[i], h.n)
			h.groups[j] = append(h.groups[j], h.n)
			h.n++
		}
	}
	return h
}

// useHints sets the hints of the builder's entries.
func (b *builder) useHints(h *hints) {
	b.hints = h
	if h != nil {
		b.gotName = make([]bool, len(h.groups))
		b.gotGroup = make([]bool, h.n)
	}
}

// extractedAll reports whether, with hints, every required label is extracted, so that a
// parser may stop reading the line.
func (b *builder) extractedAll() bool {
	return b.hints != nil && b.groupsGot == b.hints.n
}

// setExtracted is setParsed for a wanted label whose name already had the _extracted rule
// applied (parsers that cache it per stream).
func (b *builder) setExtracted(name, value string) {
	if b.hints != nil {
		if i, ok := b.hints.index[name]; ok {
			b.setWanted(i, name, value, b.baseHas(name))
			return
		}
	}
	b.set(name, cleanUTF8(value))
}

// setWanted is setExtracted with hints for the wanted name of index i, told whether the
// entry came with a label of that name: parsers that resolve their keys once per stream
// know both. The first value of an entry wins.
func (b *builder) setWanted(i int, name, value string, base bool) {
	if b.gotName[i] {
		return
	}
	b.gotName[i] = true
	for _, g := range b.hints.groups[i] {
		if !b.gotGroup[g] {
			b.gotGroup[g] = true
			b.groupsGot++
		}
	}
	if name == ErrorLabel || name == ErrorDetailsLabel {
		b.set(name, cleanUTF8(value))
		return
	}
	b.setLabel(name, cleanUTF8(value), base)
}

// wants reports whether parsers should extract the label (final name, after the
// _extracted rule). Without hints every label is wanted.
func (b *builder) wants(name string) bool {
	if b.hints == nil {
		return true
	}
	_, ok := b.hints.index[name]
	return ok
}

// wantsKey is wants for a key before the _extracted rule is applied.
func (b *builder) wantsKey(name string) bool {
	if b.hints == nil {
		return true
	}
	if b.baseHas(name) {
		name += duplicateSuffix
	}
	return b.wants(name)
}

// parsedKey is what a parsed key's label name resolves to in one stream, for entries
// without structured metadata (which may add a name clash, and so an _extracted rename):
// the label it fills, whether the hints want that label (and its index in them) and
// whether the stream has a label of that name. It does not depend on the entry.
type parsedKey struct {
	name, label      string
	wanted, inStream bool
	index            int
}

// wantedBy reports whether the query wants the label k fills for b's entry. It is small
// enough to inline: parsers ask it for every key.
func (k *parsedKey) wantedBy(b *builder) bool {
	if len(b.metadata) > 0 {
		return k.wantedWithMetadata(b)
	}
	return k.wanted
}

// wantedWithMetadata is wantedBy for an entry with structured metadata, which may rename
// the label (_extracted): decided per entry.
func (k *parsedKey) wantedWithMetadata(b *builder) bool { return b.wantsKey(k.name) }

// set gives b's entry the label k fills, which wantedBy said the query wants.
func (k *parsedKey) set(b *builder, value string) {
	switch {
	case len(b.metadata) > 0:
		b.setParsed(k.name, value)
	case b.hints != nil:
		b.setWanted(k.index, k.label, value, k.inStream)
	default:
		b.setExtracted(k.label, value)
	}
}

// resolve sets what name resolves to in b's stream.
func (k *parsedKey) resolve(b *builder) {
	k.label = k.name
	if b.stream.Has(k.label) {
		k.label += duplicateSuffix
	}
	k.wanted, k.inStream = b.wants(k.label), b.stream.Has(k.label)
	if k.wanted && b.hints != nil {
		k.index = b.hints.index[k.label]
	}
}
