package log

import (
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
