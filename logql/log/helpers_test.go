package log

import (
	"testing"

	"github.com/jetlog/jetlog/logql/syntax"
	"github.com/jetlog/jetlog/schemas/labels"
)

// stagesOf parses `{x="y"} <pipeline>` and returns its stages.
func stagesOf(t testing.TB, pipeline string) []syntax.Stage {
	t.Helper()
	e, err := syntax.ParseLogSelector(`{x="y"} ` + pipeline)
	if err != nil {
		t.Fatalf("parse %q: %v", pipeline, err)
	}
	return e.Pipeline
}

// entryCase is one entry through one pipeline and what must come out.
type entryCase struct {
	name     string
	pipeline string
	stream   labels.Labels
	metadata labels.Labels
	line     string
	keep     bool
	wantLine string // checked when keep; "" means the input line
	want     string // All labels, as labels.String(); checked when keep
	parsed   string // Parsed labels; checked when not ""
}

func runEntryCases(t *testing.T, cases []entryCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := NewPipeline(stagesOf(t, tc.pipeline))
			if err != nil {
				t.Fatalf("NewPipeline: %v", err)
			}
			stream := tc.stream
			if stream == nil {
				stream = labels.FromStrings("app", "api")
			}
			sp := p.ForStream(stream)
			in := []byte(tc.line)
			orig := string(in)
			// Twice: the second run checks state does not leak between entries.
			for run := 0; run < 2; run++ {
				out, lbs, keep := sp.Process(1700000000000000000, in, tc.metadata)
				if string(in) != orig {
					t.Fatalf("input line modified: %q", in)
				}
				if keep != tc.keep {
					t.Fatalf("run %d: keep = %v, want %v (labels %v)", run, keep, tc.keep, lbs)
				}
				if !keep {
					continue
				}
				wantLine := tc.wantLine
				if wantLine == "" {
					wantLine = tc.line
				}
				if string(out) != wantLine {
					t.Errorf("run %d: line = %q, want %q", run, out, wantLine)
				}
				if got := lbs.All.String(); got != tc.want {
					t.Errorf("run %d: labels = %s, want %s", run, got, tc.want)
				}
				if tc.parsed != "" {
					if got := lbs.Parsed.String(); got != tc.parsed {
						t.Errorf("run %d: parsed = %s, want %s", run, got, tc.parsed)
					}
				}
				if lbs.Hash != lbs.All.Hash() {
					t.Errorf("hash mismatch")
				}
			}
		})
	}
}

func mustLabels(nv ...string) labels.Labels { return labels.FromStrings(nv...) }
