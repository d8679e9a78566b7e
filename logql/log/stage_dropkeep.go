package log

import (
	"fmt"

	"github.com/jetlog/jetlog/logql/syntax"
)

// dropStage removes the named labels (any category), or those whose value matches.
type dropStage struct {
	sels []syntax.LabelSel
}

func newDrop(sels []syntax.LabelSel) (stageFactory, error) {
	if len(sels) == 0 {
		return nil, fmt.Errorf("drop needs at least one label")
	}
	s := &dropStage{sels: sels} // stateless: shared by all streams
	return func() stage { return s }, nil
}

func (s *dropStage) process(_ int64, line []byte, b *builder) ([]byte, bool) {
	for _, sel := range s.sels {
		if sel.Matcher == nil {
			b.del(sel.Name)
			continue
		}
		if v, ok := b.get(sel.Matcher.Name); ok && sel.Matcher.Matches(v) {
			b.del(sel.Matcher.Name)
		}
	}
	return line, true
}

// keepStage keeps only the listed labels; __error__ and __error_details__ are never removed,
// as in Loki, so that errors still surface.
type keepStage struct {
	sels  []syntax.LabelSel
	names []string
}

func newKeep(sels []syntax.LabelSel) (stageFactory, error) {
	if len(sels) == 0 {
		return nil, fmt.Errorf("keep needs at least one label")
	}
	return func() stage { return &keepStage{sels: sels} }, nil
}

func (s *keepStage) keeps(name, value string) bool {
	for _, sel := range s.sels {
		if sel.Matcher == nil {
			if sel.Name == name {
				return true
			}
			continue
		}
		if sel.Matcher.Name == name && sel.Matcher.Matches(value) {
			return true
		}
	}
	return false
}

func (s *keepStage) process(_ int64, line []byte, b *builder) ([]byte, bool) {
	s.names = s.names[:0]
	b.each(func(_ category, name, value string) {
		if name == ErrorLabel || name == ErrorDetailsLabel {
			return
		}
		if !s.keeps(name, value) {
			s.names = append(s.names, name)
		}
	})
	for _, n := range s.names {
		b.del(n)
	}
	return line, true
}
