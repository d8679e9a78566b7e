package logql

import (
	"github.com/jetlog/jetlog/logql/log"
	"github.com/jetlog/jetlog/logql/syntax"
	"github.com/jetlog/jetlog/schemas/labels"
)

// maxFollowedStreams bounds the per-stream pipelines a LogProcessor keeps: a tail that runs
// for an hour over churning streams (pods come and go) must not grow without end. Past it
// the cache starts over, which costs only the streams' pipeline set-up again.
const maxFollowedStreams = 4096

// LogProcessor runs a log query's pipeline over entries that do not come through
// Engine.Query, such as the live tail's new entries, and yields exactly what a log query
// would return for them: the same lines and the same labels. Selecting the streams that
// match the query's matchers is the caller's part, as it is storage's for a query.
//
// A LogProcessor is not safe for concurrent use.
type LogProcessor struct {
	pl         log.Pipeline
	categorize bool
	streams    map[uint64]log.StreamPipeline
}

// NewLogProcessor compiles sel's pipeline. With categorize, entries carry their structured
// metadata and parsed labels apart from the stream labels, as with Params.CategorizeLabels.
// A pipeline that does not compile is a *UserError, as from Engine.Query.
func NewLogProcessor(sel *syntax.LogSelectorExpr, categorize bool) (*LogProcessor, error) {
	pl, err := newPipeline(sel)
	if err != nil {
		return nil, err
	}
	return &LogProcessor{pl: pl, categorize: categorize, streams: map[uint64]log.StreamPipeline{}}, nil
}

// Process runs the entries of b, in order, through the pipeline and calls fn for each one
// kept with its labels (the stream labels when categorizing) and the entry. fn owns what it
// gets: lines and labels are copies, and b may be reused once Process returns.
func (p *LogProcessor) Process(b *Batch, fn func(ls labels.Labels, e Entry)) {
	sp, ok := p.streams[b.Hash]
	if !ok {
		if len(p.streams) >= maxFollowedStreams {
			clear(p.streams)
		}
		sp = p.pl.ForStream(b.Labels)
		p.streams[b.Hash] = sp
	}
	for i := range b.Entries {
		en := &b.Entries[i]
		out, lbs, keep := sp.Process(en.Timestamp, en.Line, en.Metadata)
		if !keep {
			continue
		}
		ls, md, prs := entryLabels(lbs, p.categorize)
		fn(ls, Entry{Timestamp: en.Timestamp, Line: string(out), StructuredMetadata: md, Parsed: prs})
	}
}

// newPipeline compiles a log query's pipeline; what does not compile is the user's error.
func newPipeline(sel *syntax.LogSelectorExpr) (log.Pipeline, error) {
	pl, err := log.NewPipeline(sel.Pipeline)
	if err != nil {
		return nil, NewUserError(err.Error())
	}
	return pl, nil
}

// entryLabels copies the labels a log query returns for an entry the pipeline kept: all of
// them, or, categorized, the stream labels, structured metadata and parsed labels apart.
func entryLabels(lbs *log.LabelsResult, categorize bool) (stream, md, parsed labels.Labels) {
	if categorize {
		return lbs.Stream.Copy(), lbs.StructuredMetadata.Copy(), lbs.Parsed.Copy()
	}
	return lbs.All.Copy(), nil, nil
}
