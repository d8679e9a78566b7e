package log

import (
	"encoding/binary"
	"slices"
	"strings"
	"unicode/utf8"
	"unsafe"

	"github.com/jetlog/jetlog/schemas/labels"
)

// Names of the error labels set by stages, and their values, as in Loki.
const (
	ErrorLabel        = "__error__"
	ErrorDetailsLabel = "__error_details__"

	errJSON             = "JSONParserErr"
	errLogfmt           = "LogfmtParserErr"
	errLabelFilter      = "LabelFilterErr"
	errTemplateFormat   = "TemplateFormatErr"
	errSampleExtraction = "SampleExtractionErr"

	// duplicateSuffix is appended to a parsed label whose name is a stream label.
	duplicateSuffix = "_extracted"
)

// LabelsResult is an entry's labels after the pipeline, split as Loki's categorize-labels
// response format splits them. Stream is the stream labels minus those dropped;
// StructuredMetadata the entry's metadata minus those dropped; Parsed the labels added by
// parsers and label_format, plus __error__ and __error_details__. All is their union as
// Loki shows it when labels are not categorized, and Hash is All.Hash().
//
// A LabelsResult and its slices are read-only: entries that change no label share one
// cached result per stream, and Stream may be the caller's stream labels.
type LabelsResult struct {
	Stream, StructuredMetadata, Parsed, All labels.Labels
	Hash                                    uint64
}

// category says where a label of the builder lives.
type category int

const (
	catStream category = iota
	catMetadata
	catParsed
)

// builder holds one entry's labels while the stages run. Stream and metadata labels are
// never copied: deletions are recorded, and parsed labels are appended unsorted. Parsed
// values may alias the entry's line (see entryString): the results copy those they keep.
type builder struct {
	stream   labels.Labels
	metadata labels.Labels
	deleted  []string // stream or metadata labels removed (dropped or overridden)
	parsed   []labels.Label
	err      string
	details  string

	// hints, when not nil, restricts the labels parsers extract (see extractionHints). As
	// with Loki's parser hints, a wanted label is then extracted once per entry (the first
	// value wins), and parsers may stop once every required name (or its _extracted
	// variant) is extracted: gotName and gotGroup mark, by index, the names and the required
	// groups extracted so far, groupsGot counts the latter.
	hints             *hints
	gotName, gotGroup []bool
	groupsGot         int

	mdBuf, parsedBuf, allBuf labels.Labels
	cache                    map[uint64]*LabelsResult
	// groups caches groupedResult's results by the values of the by labels (keyBuf).
	groups map[string]*LabelsResult
	keyBuf []byte
	// streamOnly caches the result of an entry that changed nothing, streamGrouped its
	// groupedResult.
	streamOnly, streamGrouped *LabelsResult
}

func (b *builder) init(stream labels.Labels) {
	b.stream = stream
	b.streamOnly = &LabelsResult{Stream: stream, All: stream, Hash: stream.Hash()}
}

// reset starts a new entry. As in Loki, a metadata label named like a stream label is
// renamed <name>_extracted (a rare case, which allocates).
func (b *builder) reset(metadata labels.Labels) {
	b.metadata = metadata
	for _, l := range metadata {
		if b.stream.Has(l.Name) {
			b.metadata = b.renameMetadata(metadata)
			break
		}
	}
	b.deleted = b.deleted[:0]
	b.parsed = b.parsed[:0]
	if b.hints != nil {
		clear(b.gotName)
		clear(b.gotGroup)
		b.groupsGot = 0
	}
	b.err, b.details = "", ""
}

func (b *builder) renameMetadata(md labels.Labels) labels.Labels {
	out := make(labels.Labels, 0, len(md))
	for _, l := range md {
		if b.stream.Has(l.Name) {
			l.Name += duplicateSuffix
		}
		out = append(out, l)
	}
	slices.SortStableFunc(out, func(x, y labels.Label) int { return strings.Compare(x.Name, y.Name) })
	return out
}

func (b *builder) isDeleted(name string) bool {
	for _, d := range b.deleted {
		if d == name {
			return true
		}
	}
	return false
}

// baseHas reports whether the entry came with the label, as a stream label or as
// structured metadata: a parsed label of that name is renamed <name>_extracted (Loki 3.7
// answers `| json` on an entry with trace_id metadata with trace_id and trace_id_extracted).
func (b *builder) baseHas(name string) bool {
	return b.stream.Has(name) || b.metadata.Has(name)
}

// get returns the current value of a label, looking at parsed, metadata then stream labels.
func (b *builder) get(name string) (string, bool) {
	switch name {
	case ErrorLabel:
		return b.err, b.err != ""
	case ErrorDetailsLabel:
		return b.details, b.details != ""
	}
	for i := len(b.parsed) - 1; i >= 0; i-- {
		if b.parsed[i].Name == name {
			return b.parsed[i].Value, true
		}
	}
	if b.isDeleted(name) {
		return "", false
	}
	for _, l := range b.metadata {
		if l.Name == name {
			return l.Value, true
		}
	}
	for _, l := range b.stream {
		if l.Name == name {
			return l.Value, true
		}
	}
	return "", false
}

func (b *builder) hasParsed(name string) bool {
	for _, l := range b.parsed {
		if l.Name == name {
			return true
		}
	}
	return false
}

// set sets a label as parsed, moving it out of the stream or metadata labels.
func (b *builder) set(name, value string) {
	if name == ErrorLabel {
		b.err = value
		return
	}
	if name == ErrorDetailsLabel {
		b.details = value
		return
	}
	b.setLabel(name, value, b.baseHas(name))
}

// setLabel is set for a name other than the error labels, told whether the entry came
// with it (as a stream or metadata label).
func (b *builder) setLabel(name, value string, base bool) {
	for i := range b.parsed {
		if b.parsed[i].Name == name {
			b.parsed[i].Value = value
			return
		}
	}
	if base && !b.isDeleted(name) {
		b.deleted = append(b.deleted, name)
	}
	b.parsed = append(b.parsed, labels.Label{Name: name, Value: value})
}

// setParsed is how parsers add a label: a stream label's name gets the _extracted suffix;
// a later value of the same name replaces the earlier one, as Loki's builder does. Invalid
// UTF-8 is replaced by spaces (Prometheus rejects the replacement rune).
func (b *builder) setParsed(name, value string) {
	if b.baseHas(name) {
		name += duplicateSuffix
	}
	if b.wants(name) {
		b.setExtracted(name, value)
	}
}

func cleanUTF8(s string) string {
	if isASCII(s) || utf8.ValidString(s) && !strings.ContainsRune(s, utf8.RuneError) {
		return s
	}
	var sb strings.Builder
	for _, r := range s {
		if r == utf8.RuneError {
			r = ' '
		}
		sb.WriteRune(r)
	}
	return sb.String()
}

// isASCII is cleanUTF8's shortcut for the common value, which needs no rune decoding.
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// del removes a label from every category.
func (b *builder) del(name string) {
	switch name {
	case ErrorLabel:
		b.err = ""
		return
	case ErrorDetailsLabel:
		b.details = ""
		return
	}
	for i := range b.parsed {
		if b.parsed[i].Name == name {
			b.parsed = append(b.parsed[:i], b.parsed[i+1:]...)
			break
		}
	}
	if (b.stream.Has(name) || b.metadata.Has(name)) && !b.isDeleted(name) {
		b.deleted = append(b.deleted, name)
	}
}

func (b *builder) setErr(err, details string) {
	b.err = err
	b.details = details
}

func (b *builder) hasErr() bool { return b.err != "" }

// each calls f for every current label (any order).
func (b *builder) each(f func(cat category, name, value string)) {
	for _, l := range b.stream {
		if !b.isDeleted(l.Name) {
			f(catStream, l.Name, l.Value)
		}
	}
	for _, l := range b.metadata {
		if !b.isDeleted(l.Name) {
			f(catMetadata, l.Name, l.Value)
		}
	}
	for _, l := range b.parsed {
		f(catParsed, l.Name, l.Value)
	}
	if b.err != "" {
		f(catParsed, ErrorLabel, b.err)
	}
	if b.details != "" {
		f(catParsed, ErrorDetailsLabel, b.details)
	}
}

// result builds the LabelsResult. Parsed labels keep empty values (logfmt --keep-empty shows
// them, as in Loki). The entry that changed nothing returns the cached stream result.
func (b *builder) result() *LabelsResult {
	if b.unchanged() {
		return b.streamOnly
	}
	// Build the categories in reused buffers; names are unique across them because set()
	// hides stream and metadata labels it overrides and metadata clashing with the stream
	// was renamed.
	b.mdBuf = appendKept(b.mdBuf[:0], b.metadata, b.deleted)
	b.parsedBuf = append(b.parsedBuf[:0], b.parsed...)
	if b.err != "" {
		b.parsedBuf = append(b.parsedBuf, labels.Label{Name: ErrorLabel, Value: b.err})
	}
	if b.details != "" {
		b.parsedBuf = append(b.parsedBuf, labels.Label{Name: ErrorDetailsLabel, Value: b.details})
	}
	slices.SortFunc(b.parsedBuf, compareLabels)
	b.allBuf = appendKept(b.allBuf[:0], b.stream, b.deleted)
	b.allBuf = append(append(b.allBuf, b.mdBuf...), b.parsedBuf...)
	slices.SortFunc(b.allBuf, compareLabels)
	hash := b.allBuf.Hash()

	// Entries of a stream repeat few label sets: reuse the result of an identical one.
	if r, ok := b.cache[hash]; ok && labels.Equal(r.All, b.allBuf) &&
		labels.Equal(r.Parsed, b.parsedBuf) && labels.Equal(r.StructuredMetadata, b.mdBuf) {
		return r
	}
	parsed := slices.Clone(b.parsedBuf)
	for i := range parsed {
		parsed[i].Value = strings.Clone(parsed[i].Value)
	}
	all := appendKept(make(labels.Labels, 0, len(b.allBuf)), b.stream, b.deleted)
	all = append(append(all, b.mdBuf...), parsed...)
	slices.SortFunc(all, compareLabels)
	r := &LabelsResult{
		Stream:             filterLabels(b.stream, b.deleted),
		StructuredMetadata: slices.Clone(b.mdBuf),
		Parsed:             parsed,
		All:                all,
		Hash:               hash,
	}
	if len(r.StructuredMetadata) == 0 {
		r.StructuredMetadata = nil
	}
	if b.cache == nil {
		b.cache = map[uint64]*LabelsResult{}
	}
	if len(b.cache) < maxCachedResults {
		b.cache[hash] = r
	}
	return r
}

// unchanged reports whether the entry has exactly its stream's labels.
func (b *builder) unchanged() bool {
	return len(b.metadata) == 0 && len(b.deleted) == 0 && len(b.parsed) == 0 && b.err == "" && b.details == ""
}

// groupedResult is result for a caller that keeps only the by labels (sorted, each once)
// of an entry without an error: its result holds just those labels, in All, and comes from
// a per-stream cache keyed by their values, so that most entries build, sort and hash no
// label set at all. An entry with an error keeps all its labels, as Loki reports it.
func (b *builder) groupedResult(by []string) *LabelsResult {
	if b.err != "" {
		return b.result()
	}
	if b.unchanged() {
		if b.streamGrouped == nil {
			ls := b.stream.Only(by...)
			b.streamGrouped = &LabelsResult{All: ls, Hash: ls.Hash()}
		}
		return b.streamGrouped
	}
	// The key: per by label 0 when absent, else 1, the value's length and the value.
	key := b.keyBuf[:0]
	for _, n := range by {
		v, ok := b.get(n)
		if !ok {
			key = append(key, 0)
			continue
		}
		key = binary.AppendUvarint(append(key, 1), uint64(len(v)))
		key = append(key, v...)
	}
	b.keyBuf = key
	if r, ok := b.groups[string(key)]; ok {
		return r
	}
	var ls labels.Labels
	for _, n := range by {
		if v, ok := b.get(n); ok {
			ls = append(ls, labels.Label{Name: n, Value: strings.Clone(v)})
		}
	}
	r := &LabelsResult{All: ls, Hash: ls.Hash()}
	if b.groups == nil {
		b.groups = map[string]*LabelsResult{}
	}
	if len(b.groups) < maxCachedResults {
		b.groups[string(key)] = r
	}
	return r
}

// entryString returns b, a part of the entry being processed, as a string without copying
// it. Such a string is valid only while the entry runs: the caller may reuse the line's
// memory for the next entries, so a result that keeps a value copies it.
func entryString(b []byte) string {
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// maxCachedResults bounds the per-stream result cache: a query may hold thousands of
// streams, and high-cardinality labels (trace IDs) would never hit anyway.
const maxCachedResults = 64

func compareLabels(x, y labels.Label) int { return strings.Compare(x.Name, y.Name) }

// appendKept appends the labels of ls whose names are not deleted.
func appendKept(dst, ls labels.Labels, deleted []string) labels.Labels {
	for _, l := range ls {
		if !containsString(deleted, l.Name) {
			dst = append(dst, l)
		}
	}
	return dst
}

// filterLabels returns ls without the deleted names; it returns ls itself
// when nothing is removed.
func filterLabels(ls labels.Labels, deleted []string) labels.Labels {
	if len(ls) == 0 {
		return nil
	}
	keep := true
	for _, l := range ls {
		if containsString(deleted, l.Name) {
			keep = false
			break
		}
	}
	if keep {
		return ls
	}
	out := make(labels.Labels, 0, len(ls))
	for _, l := range ls {
		if !containsString(deleted, l.Name) {
			out = append(out, l)
		}
	}
	return out
}

func containsString(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}
