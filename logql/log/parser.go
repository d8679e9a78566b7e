package log

import (
	"fmt"

	"github.com/jetlog/jetlog/logql/syntax"
)

// newParser compiles a parser stage.
func newParser(s *syntax.ParserStage) (stageFactory, error) {
	switch s.Kind {
	case syntax.ParserJSON:
		if len(s.Extractions) == 0 {
			return func() stage { return &jsonParser{} }, nil
		}
		p, err := newJSONExtractParser(s.Extractions)
		if err != nil {
			return nil, err
		}
		return func() stage { return p.clone() }, nil
	case syntax.ParserLogfmt:
		p := newLogfmtParser(s)
		return func() stage { return p.clone() }, nil
	case syntax.ParserRegexp:
		p, err := newRegexpParser(s.Param)
		if err != nil {
			return nil, err
		}
		return func() stage { return p }, nil
	case syntax.ParserPattern:
		p, err := compilePattern(s.Param, true)
		if err != nil {
			return nil, err
		}
		return func() stage { return &patternParser{p: p} }, nil
	case syntax.ParserUnpack:
		return func() stage { return &unpackParser{} }, nil
	}
	return nil, fmt.Errorf("unknown parser kind %d", s.Kind)
}
