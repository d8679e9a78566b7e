// Package log runs the per-entry part of a LogQL query: line filters, parsers, label
// filters, formatters and sample extraction, with Loki 3.x semantics.
//
// It follows Loki's two-level design: NewPipeline compiles the stages once per query and
// Pipeline.ForStream returns a per-stream runner that caches stream state and reuses its
// buffers. Stages never modify the input line.
package log

import (
	"fmt"

	"github.com/jetlog/jetlog/logql/syntax"
	"github.com/jetlog/jetlog/schemas/labels"
)

// Pipeline is a compiled log pipeline; it is safe for concurrent use.
type Pipeline interface {
	// ForStream returns the runner for one stream. It caches per-stream state; a runner is
	// not safe for concurrent use.
	ForStream(stream labels.Labels) StreamPipeline
}

// StreamPipeline runs the pipeline on the entries of one stream.
type StreamPipeline interface {
	// Process runs the stages on one entry. It must not modify line; the returned line may
	// alias an internal buffer valid until the next Process call on this StreamPipeline.
	// The returned *LabelsResult is valid until the next Process call as well.
	Process(ts int64, line []byte, metadata labels.Labels) (out []byte, lbs *LabelsResult, keep bool)
}

// stage is one compiled step. process returns the new line (which may alias a stage
// buffer, never the input when it changed) and whether the entry is kept.
type stage interface {
	process(ts int64, line []byte, b *builder) ([]byte, bool)
}

// stageFactory compiles a stage per stream, so stages may own buffers.
type stageFactory func() stage

type pipeline struct {
	factories []stageFactory
}

// NewPipeline builds the per-entry pipeline of a log query from its stages.
func NewPipeline(stages []syntax.Stage) (Pipeline, error) {
	fs, err := compileStages(stages)
	if err != nil {
		return nil, err
	}
	return &pipeline{factories: fs}, nil
}

func compileStages(stages []syntax.Stage) ([]stageFactory, error) {
	fs := make([]stageFactory, 0, len(stages))
	for i, s := range stages {
		f, err := compileStage(s)
		if err != nil {
			return nil, fmt.Errorf("pipeline stage %d (%s): %w", i+1, stageName(s), err)
		}
		fs = append(fs, f)
	}
	return fs, nil
}

func stageName(s syntax.Stage) string {
	if s == nil {
		return "nil"
	}
	return fmt.Sprintf("%T", s)
}

func compileStage(s syntax.Stage) (stageFactory, error) {
	switch s := s.(type) {
	case *syntax.LineFilterStage:
		return newLineFilter(s.Filter)
	case *syntax.ParserStage:
		return newParser(s)
	case *syntax.LabelFilterStage:
		f, err := newLabelFilter(s.Filter)
		if err != nil {
			return nil, err
		}
		st := &labelFilterStage{f: f}
		return func() stage { return st }, nil
	case *syntax.LineFormatStage:
		return newLineFormat(s.Template)
	case *syntax.LabelFormatStage:
		return newLabelFormat(s.Ops)
	case *syntax.DropStage:
		return newDrop(s.Labels)
	case *syntax.KeepStage:
		return newKeep(s.Labels)
	case *syntax.DecolorizeStage:
		return func() stage { return &decolorize{} }, nil
	case nil:
		return nil, fmt.Errorf("nil stage")
	default:
		return nil, fmt.Errorf("unsupported stage type %T", s)
	}
}

func (p *pipeline) ForStream(stream labels.Labels) StreamPipeline {
	sp := &streamPipeline{stages: make([]stage, len(p.factories))}
	for i, f := range p.factories {
		sp.stages[i] = f()
	}
	sp.b.init(stream)
	return sp
}

type streamPipeline struct {
	stages []stage
	b      builder
}

func (sp *streamPipeline) Process(ts int64, line []byte, metadata labels.Labels) ([]byte, *LabelsResult, bool) {
	sp.b.reset(metadata)
	for _, s := range sp.stages {
		var keep bool
		line, keep = s.process(ts, line, &sp.b)
		if !keep {
			return nil, nil, false
		}
	}
	return line, sp.b.result(), true
}
