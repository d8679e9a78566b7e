package log

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/jetlog/jetlog/logql/syntax"
	"github.com/jetlog/jetlog/schemas/labels"
)

// SampleMode says what value a log entry contributes to a metric query.
type SampleMode int

const (
	CountSamples  SampleMode = iota // 1 per entry: count_over_time, rate, ...
	BytesSamples                    // the length of the line after the pipeline: bytes_*
	UnwrapSamples                   // a label's value: sum_over_time(... | unwrap x) & co
)

// SampleExtractor turns log entries into samples; it is safe for concurrent use.
type SampleExtractor interface {
	ForStream(stream labels.Labels) StreamSampleExtractor
}

// StreamSampleExtractor extracts the samples of one stream; not safe for concurrent use.
type StreamSampleExtractor interface {
	// Process runs the pipeline and extracts the value. ok is false when the entry is
	// filtered out. With UnwrapSamples the unwrapped label is not in lbs; an entry without
	// the label (or with an empty value) gives no sample, as in Loki; a failed conversion
	// sets __error__="SampleExtractionErr" and __error_details__ and keeps the sample
	// (value 0), so that post-unwrap filters may drop it.
	Process(ts int64, line []byte, metadata labels.Labels) (value float64, lbs *LabelsResult, ok bool)
}

// NewSampleExtractor builds the extractor of a metric query from its log stages.
func NewSampleExtractor(stages []syntax.Stage, mode SampleMode, unwrap *syntax.Unwrap) (SampleExtractor, error) {
	return newSampleExtractor(stages, mode, unwrap, nil)
}

// NewGroupedSampleExtractor is NewSampleExtractor for a caller that keeps only the `by`
// labels of each sample (a `by (...)` grouping of the range aggregation, or of the vector
// aggregation right above one without its own grouping). Parsers then extract only the
// labels the query needs, as Loki's parser hints do, which saves most of their work; the
// returned labels of an entry with an error are all its labels (Loki reports the error
// whatever the grouping); those of any other entry are only its by labels, in All (the
// categories are left empty). The caller must still group. An empty by (`by ()`) keeps no
// label.
func NewGroupedSampleExtractor(stages []syntax.Stage, mode SampleMode, unwrap *syntax.Unwrap, by []string) (SampleExtractor, error) {
	if by == nil {
		by = []string{}
	}
	return newSampleExtractor(stages, mode, unwrap, by)
}

func newSampleExtractor(stages []syntax.Stage, mode SampleMode, unwrap *syntax.Unwrap, by []string) (SampleExtractor, error) {
	if needsNoLabel(stages, unwrap, by) {
		stages = withoutParsers(stages)
	}
	fs, err := compileStages(stages)
	if err != nil {
		return nil, err
	}
	se := &sampleExtractor{factories: fs, mode: mode}
	if by != nil {
		se.by = slices.Clone(by) // not nil for by (), which keeps no label
		slices.Sort(se.by)
		se.by = slices.Compact(se.by)
		se.hints = newHints(extractionHints(stages, unwrap, by))
	}
	switch mode {
	case CountSamples, BytesSamples:
	case UnwrapSamples:
		if unwrap == nil || unwrap.Label == "" {
			return nil, fmt.Errorf("unwrap samples need an unwrap label")
		}
		conv, err := converter(unwrap.Conv)
		if err != nil {
			return nil, err
		}
		se.label, se.conv = unwrap.Label, conv
		for _, pf := range unwrap.PostFilters {
			f, err := newLabelFilter(pf)
			if err != nil {
				return nil, fmt.Errorf("unwrap post filter: %w", err)
			}
			se.post = append(se.post, f)
		}
	default:
		return nil, fmt.Errorf("unknown sample mode %d", mode)
	}
	return se, nil
}

// needsNoLabel reports whether a grouped extractor that keeps no label (by ()) needs none
// from its stages either: no label filter, format or keep reads one. Loki then runs no
// parser (its parser hints' noLabels), so a line a parser would reject counts as any other,
// and unpack leaves the line as it is.
func needsNoLabel(stages []syntax.Stage, unwrap *syntax.Unwrap, by []string) bool {
	if by == nil || len(by) > 0 || unwrap != nil {
		return false
	}
	for _, st := range stages {
		switch st := st.(type) {
		case *syntax.ParserStage, *syntax.LineFilterStage, *syntax.DecolorizeStage:
		case *syntax.DropStage:
			for _, l := range st.Labels {
				if l.Matcher != nil {
					return false // drops by value
				}
			}
		default:
			return false
		}
	}
	return true
}

// withoutParsers is stages without its parsers.
func withoutParsers(stages []syntax.Stage) []syntax.Stage {
	var out []syntax.Stage
	for _, st := range stages {
		if _, ok := st.(*syntax.ParserStage); !ok {
			out = append(out, st)
		}
	}
	return out
}

func converter(conv string) (func(string) (float64, error), error) {
	switch conv {
	case "":
		return func(s string) (float64, error) { return strconv.ParseFloat(s, 64) }, nil
	case "duration", "duration_seconds":
		return durationSeconds, nil
	case "bytes":
		return func(s string) (float64, error) { n, err := parseBytes(s); return float64(n), err }, nil
	}
	return nil, fmt.Errorf("unknown unwrap conversion %q", conv)
}

type sampleExtractor struct {
	factories []stageFactory
	mode      SampleMode
	label     string
	conv      func(string) (float64, error)
	post      []labelFilter
	by        []string // sorted, each once; nil: the caller keeps every label
	hints     *hints   // nil: extract every label
}

func (se *sampleExtractor) ForStream(stream labels.Labels) StreamSampleExtractor {
	p := &pipeline{factories: se.factories}
	sp := p.ForStream(stream).(*streamPipeline)
	sp.b.useHints(se.hints)
	return &streamSampleExtractor{se: se, sp: sp}
}

// result is the labels of an entry whose sample is kept.
func (s *streamSampleExtractor) result() *LabelsResult {
	if s.se.by != nil {
		return s.sp.b.groupedResult(s.se.by)
	}
	return s.sp.b.result()
}

type streamSampleExtractor struct {
	se *sampleExtractor
	sp *streamPipeline
}

func (s *streamSampleExtractor) Process(ts int64, line []byte, metadata labels.Labels) (float64, *LabelsResult, bool) {
	sp := s.sp
	sp.b.reset(metadata)
	for _, st := range sp.stages {
		var keep bool
		line, keep = st.process(ts, line, &sp.b)
		if !keep {
			return 0, nil, false
		}
	}
	switch s.se.mode {
	case CountSamples:
		return 1, s.result(), true
	case BytesSamples:
		return float64(len(line)), s.result(), true
	}
	raw, _ := sp.b.get(s.se.label)
	if raw == "" {
		// As in Loki, an entry without the label (or with an empty value) has no sample.
		return 0, nil, false
	}
	v, err := s.se.conv(raw)
	if err != nil {
		v = 0
		sp.b.setErr(errSampleExtraction, err.Error())
	}
	sp.b.del(s.se.label)
	for _, f := range s.se.post {
		if !f.filter(&sp.b) {
			return 0, nil, false
		}
	}
	return v, s.result(), true
}
