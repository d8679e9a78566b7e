// Package labels is jetlog's label model: a sorted set of name/value pairs identifying a
// stream, and the matchers LogQL selectors are made of. It is shared by every layer, from
// the push decoder to the query engine, and so depends on nothing but the standard library.
package labels

import (
	"sort"
	"strconv"
	"strings"

	"github.com/cespare/xxhash/v2"
)

// Label is one name/value pair.
type Label struct {
	Name, Value string
}

// Labels is a set of labels sorted by name, with unique names. The zero value is the empty set.
// Functions that build Labels (New, FromMap, Builder) keep the order; code that builds a
// Labels literal by hand must sort it itself.
type Labels []Label

// New returns the labels sorted by name. With duplicate names the last one wins.
func New(ls ...Label) Labels {
	out := make(Labels, len(ls))
	copy(out, ls)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	// Keep the last occurrence of a duplicate name.
	w := 0
	for i := range out {
		if w > 0 && out[w-1].Name == out[i].Name {
			out[w-1] = out[i]
			continue
		}
		out[w] = out[i]
		w++
	}
	return out[:w]
}

// FromStrings builds labels from name, value pairs. It panics on an odd count: it is for tests
// and literals.
func FromStrings(nv ...string) Labels {
	if len(nv)%2 != 0 {
		panic("labels.FromStrings: odd number of arguments")
	}
	ls := make([]Label, 0, len(nv)/2)
	for i := 0; i < len(nv); i += 2 {
		ls = append(ls, Label{nv[i], nv[i+1]})
	}
	return New(ls...)
}

// FromMap builds labels from a map.
func FromMap(m map[string]string) Labels {
	ls := make(Labels, 0, len(m))
	for k, v := range m {
		ls = append(ls, Label{k, v})
	}
	sort.Slice(ls, func(i, j int) bool { return ls[i].Name < ls[j].Name })
	return ls
}

// Map returns the labels as a map.
func (ls Labels) Map() map[string]string {
	m := make(map[string]string, len(ls))
	for _, l := range ls {
		m[l.Name] = l.Value
	}
	return m
}

// Get returns the value of name, or "" when absent.
func (ls Labels) Get(name string) string {
	for _, l := range ls {
		if l.Name == name {
			return l.Value
		}
	}
	return ""
}

// Has reports whether name is present.
func (ls Labels) Has(name string) bool {
	for _, l := range ls {
		if l.Name == name {
			return true
		}
	}
	return false
}

// String renders the labels the way Loki and Prometheus do: {a="1", b="2"}.
func (ls Labels) String() string {
	n := 2
	for _, l := range ls {
		n += len(l.Name) + len(l.Value) + 5 // ", " '=' and quotes; escapes may add more
	}
	b := make([]byte, 0, n)
	b = append(b, '{')
	for i, l := range ls {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = append(b, l.Name...)
		b = append(b, '=')
		b = strconv.AppendQuote(b, l.Value)
	}
	b = append(b, '}')
	return string(b)
}

const sep = '\xff'

// Hash is a stable 64-bit hash of the labels (xxhash over name, value pairs). It is part of
// jetlog's storage format: do not change it.
func (ls Labels) Hash() uint64 {
	var buf [512]byte
	b := buf[:0]
	for _, l := range ls {
		b = append(b, l.Name...)
		b = append(b, sep)
		b = append(b, l.Value...)
		b = append(b, sep)
	}
	return xxhash.Sum64(b)
}

// Equal reports whether both sets hold the same pairs.
func Equal(a, b Labels) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Compare orders label sets: by names and values pair by pair, shorter first on a tie.
func Compare(a, b Labels) int {
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		if c := strings.Compare(a[i].Name, b[i].Name); c != 0 {
			return c
		}
		if c := strings.Compare(a[i].Value, b[i].Value); c != 0 {
			return c
		}
	}
	return len(a) - len(b)
}

// Copy returns a copy that shares no backing array with ls.
func (ls Labels) Copy() Labels {
	out := make(Labels, len(ls))
	copy(out, ls)
	return out
}

// Without returns the labels minus the given names.
func (ls Labels) Without(names ...string) Labels {
	out := make(Labels, 0, len(ls))
outer:
	for _, l := range ls {
		for _, n := range names {
			if l.Name == n {
				continue outer
			}
		}
		out = append(out, l)
	}
	return out
}

// Only returns the labels restricted to the given names.
func (ls Labels) Only(names ...string) Labels {
	out := make(Labels, 0, len(names))
	for _, l := range ls {
		for _, n := range names {
			if l.Name == n {
				out = append(out, l)
				break
			}
		}
	}
	return out
}

// Merge returns a ∪ b; on a shared name b's value wins.
func Merge(a, b Labels) Labels {
	out := make(Labels, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i].Name < b[j].Name:
			out = append(out, a[i])
			i++
		case a[i].Name > b[j].Name:
			out = append(out, b[j])
			j++
		default:
			out = append(out, b[j])
			i++
			j++
		}
	}
	out = append(out, a[i:]...)
	return append(out, b[j:]...)
}
