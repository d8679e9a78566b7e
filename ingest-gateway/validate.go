package gateway

import (
	"fmt"
	"sync/atomic"
	"time"

	"github.com/grafana/loki/pkg/push"
)

// Loki's discard reasons (the reason label of loki_discarded_samples_total).
const (
	reasonInvalidLabels       = "invalid_labels"
	reasonMissingLabels       = "missing_labels"
	reasonMaxLabelNames       = "max_label_names_per_series"
	reasonLabelNameTooLong    = "label_name_too_long"
	reasonLabelValueTooLong   = "label_value_too_long"
	reasonDuplicateLabelNames = "duplicate_label_names"
	reasonLineTooLong         = "line_too_long"
	reasonTooOld              = "greater_than_max_sample_age"
	reasonTooNew              = "too_far_in_future"
	reasonSMDisallowed        = "disallowed_structured_metadata"
	reasonSMTooLarge          = "structured_metadata_too_large"
	reasonSMTooMany           = "structured_metadata_too_many"
	reasonRateLimited         = "rate_limited"
	reasonStreamLimit         = "stream_limit"
	reasonStreamRateLimit     = "per_stream_rate_limit"
)

// streamVerdict is the outcome of validating one label string against one *Limits.
type streamVerdict struct {
	limits    *Limits
	canonical string // sorted, Loki syntax, service_name added; the stream's identity
	reason    string // empty when valid
	msg       string
}

type verdictPtr = atomic.Pointer[streamVerdict]

// streamVerdictFor validates a stream's labels, memoised in ps per limits object.
func streamVerdictFor(ps *parsedStream, raw string, l *Limits) *streamVerdict {
	if v := ps.verdict.Load(); v != nil && v.limits == l {
		return v
	}
	v := checkLabels(ps, raw, l)
	ps.verdict.Store(v)
	return v
}

// checkLabels applies Loki's label checks, in Loki's order.
func checkLabels(ps *parsedStream, raw string, l *Limits) *streamVerdict {
	v := &streamVerdict{limits: l}
	if ps.err != nil { // the handler refuses such pushes first; kept for other callers
		v.reason, v.msg = reasonInvalidLabels, fmt.Sprintf("Error parsing labels '%s' with error: %s", raw, ps.err)
		return v
	}
	if len(ps.ls) == 0 {
		v.reason, v.msg = reasonMissingLabels, "error at least one label pair is required per stream"
		return v
	}
	ls := withServiceName(ps.ls, l.DiscoverServiceName)
	v.canonical = ls.String()
	n := len(ls)
	if ls.Has(serviceNameLabel) {
		n-- // Loki does not count service_name against the limit
	}
	if l.MaxLabelNamesPerSeries > 0 && n > l.MaxLabelNamesPerSeries {
		v.reason, v.msg = reasonMaxLabelNames, fmt.Sprintf("entry for stream '%s' has %d label names; limit %d", v.canonical, n, l.MaxLabelNamesPerSeries)
		return v
	}
	last := ""
	for _, lb := range ls {
		switch {
		case l.MaxLabelNameLength > 0 && len(lb.Name) > l.MaxLabelNameLength:
			v.reason, v.msg = reasonLabelNameTooLong, fmt.Sprintf("stream '%s' has label name too long: '%s'", v.canonical, lb.Name)
		case l.MaxLabelValueLength > 0 && len(lb.Value) > l.MaxLabelValueLength:
			v.reason, v.msg = reasonLabelValueTooLong, fmt.Sprintf("stream '%s' has label value too long: '%s'", v.canonical, lb.Value)
		case lb.Name == last:
			v.reason, v.msg = reasonDuplicateLabelNames, fmt.Sprintf("stream '%s' has duplicate label name: '%s'", v.canonical, lb.Name)
		}
		if v.reason != "" {
			return v
		}
		last = lb.Name
	}
	return v
}

// entryBounds are the time limits of one request, computed once.
type entryBounds struct {
	oldest, newest time.Time // zero oldest: no lower bound
}

func boundsFor(l *Limits, now time.Time) entryBounds {
	b := entryBounds{newest: now.Add(l.CreationGracePeriod)}
	if l.RejectOldSamples {
		b.oldest = now.Add(-l.RejectOldSamplesMaxAge)
	}
	return b
}

// checkEntry applies Loki's entry checks; it may truncate e.Line when configured to. It returns
// the reason and message of a rejection, or "" when e is accepted.
func checkEntry(e *push.Entry, stream string, l *Limits, b entryBounds) (reason, msg string) {
	if !b.oldest.IsZero() && e.Timestamp.Before(b.oldest) {
		return reasonTooOld, fmt.Sprintf("entry for stream '%s' has timestamp too old: %v, oldest acceptable timestamp is: %v",
			stream, e.Timestamp.UTC().Format(time.RFC3339), b.oldest.UTC().Format(time.RFC3339))
	}
	if e.Timestamp.After(b.newest) {
		return reasonTooNew, fmt.Sprintf("entry for stream '%s' has timestamp too new: %v", stream, e.Timestamp.UTC().Format(time.RFC3339))
	}
	if max := int(l.MaxLineSize); max > 0 && len(e.Line) > max {
		if !l.MaxLineSizeTruncate {
			return reasonLineTooLong, fmt.Sprintf("Max entry size '%d' bytes exceeded for stream '%s' while adding an entry with length '%d' bytes", max, stream, len(e.Line))
		}
		e.Line = e.Line[:max]
	}
	if n := len(e.StructuredMetadata); n > 0 {
		if !l.AllowStructuredMetadata {
			return reasonSMDisallowed, fmt.Sprintf("stream '%s' includes structured metadata, but this feature is disallowed. Please see `limits_config.allow_structured_metadata` or contact your Loki administrator to enable it.", stream)
		}
		if size := metadataSize(e.StructuredMetadata); l.MaxStructuredMetadataSize > 0 && size > int(l.MaxStructuredMetadataSize) {
			return reasonSMTooLarge, fmt.Sprintf("stream '%s' has structured metadata too large: '%d' bytes, limit: '%d' bytes. Please see `limits_config.max_structured_metadata_size` or contact your Loki administrator to increase it.", stream, size, int(l.MaxStructuredMetadataSize))
		}
		if max := l.MaxStructuredMetadataEntriesCount; max > 0 && n > max {
			return reasonSMTooMany, fmt.Sprintf("stream '%s' has too many structured metadata labels: '%d', limit: '%d'. Please see `limits_config.max_structured_metadata_entries_count` or contact your Loki administrator to increase it.", stream, n, max)
		}
	}
	return "", ""
}

func metadataSize(md push.LabelsAdapter) int {
	n := 0
	for _, l := range md {
		n += len(l.Name) + len(l.Value)
	}
	return n
}

// entrySize is what Loki counts against rate limits and in bytes metrics: line plus metadata.
func entrySize(e *push.Entry) int { return len(e.Line) + metadataSize(e.StructuredMetadata) }

// groupedErrors collects rejection messages the way Loki's GroupedErrors prints them:
// distinct messages joined by "; ", each prefixed with "N errors like: " when there is more
// than one message or it repeats. Order is first occurrence (Loki's is map order).
type groupedErrors struct {
	order  []string
	counts map[string]int
}

// maxDistinctErrors bounds the response body of a hostile push.
const maxDistinctErrors = 1000

func (g *groupedErrors) add(msg string) {
	if g.counts == nil {
		g.counts = make(map[string]int)
	}
	if _, ok := g.counts[msg]; !ok {
		if len(g.order) >= maxDistinctErrors {
			return
		}
		g.order = append(g.order, msg)
	}
	g.counts[msg]++
}

func (g *groupedErrors) empty() bool { return len(g.order) == 0 }

func (g *groupedErrors) String() string {
	var b []byte
	for i, m := range g.order {
		if i > 0 {
			b = append(b, "; "...)
		}
		if n := g.counts[m]; len(g.order) > 1 || n > 1 {
			b = fmt.Appendf(b, "%d errors like: ", n)
		}
		b = append(b, m...)
	}
	return string(b)
}
