package log

import (
	"testing"

	"github.com/jetlog/jetlog/schemas/labels"
)

func TestLogfmtParser(t *testing.T) {
	runEntryCases(t, []entryCase{
		{name: "pairs", pipeline: `| logfmt`, line: `level=info msg="hello \"world\"" dur=1.5s app=x`, keep: true,
			want:   `{app="api", app_extracted="x", dur="1.5s", level="info", msg="hello \"world\""}`,
			parsed: `{app_extracted="x", dur="1.5s", level="info", msg="hello \"world\""}`},
		{name: "bare key and empty values dropped", pipeline: `| logfmt`, line: `a b= c=1`, keep: true,
			want: `{app="api", c="1"}`},
		{name: "keep empty", pipeline: `| logfmt --keep-empty | b=""`, line: `a b= c=1`, keep: true,
			want: `{a="", app="api", b="", c="1"}`},
		{name: "sanitised keys", pipeline: `| logfmt`, line: `a.b=1 1x=2 k-y=3`, keep: true,
			want: `{_1x="2", a_b="1", app="api", k_y="3"}`},
		{name: "lenient skips junk", pipeline: `| logfmt`, line: `=x a=1 b="unterminated`, keep: true,
			want: `{a="1", app="api"}`},
		{name: "strict errors", pipeline: `| logfmt --strict`, line: `a=1 =x`, keep: true,
			want: `{__error__="LogfmtParserErr", __error_details__="logfmt syntax error at pos 5 : unexpected '='", a="1", app="api"}`},
		{name: "strict unterminated", pipeline: `| logfmt --strict | __error__!=""`, line: `a="x`, keep: true,
			want: `{__error__="LogfmtParserErr", __error_details__="logfmt syntax error at pos 5 : unterminated quoted value", app="api"}`},
		{name: "params", pipeline: `| logfmt lvl="level", msg`, line: `level=warn msg=hi other=1`, keep: true,
			want: `{app="api", lvl="warn", msg="hi"}`},
		{name: "duplicate key last wins", pipeline: `| logfmt`, line: `a=1 a=2`, keep: true,
			want: `{a="2", app="api"}`},
	})
}

func FuzzLogfmtParser(f *testing.F) {
	for _, s := range []string{`a=1 b="x y" c`, `=`, `a="\u00e9\"`, `k=v=w "q"=1`, ""} {
		f.Add([]byte(s))
	}
	lenient, err1 := NewPipeline(stagesOf(f, `| logfmt`))
	strict, err2 := NewPipeline(stagesOf(f, `| logfmt --strict --keep-empty`))
	if err1 != nil || err2 != nil {
		f.Fatal(err1, err2)
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		orig := string(line)
		for _, p := range []Pipeline{lenient, strict} {
			p.ForStream(labels.FromStrings("app", "x")).Process(0, line, nil)
		}
		if string(line) != orig {
			t.Fatal("line modified")
		}
	})
}

func TestLogfmtStrictErrors(t *testing.T) {
	runEntryCases(t, []entryCase{
		{name: "equals in value", pipeline: `| logfmt --strict`, line: `a=b=c`, keep: true,
			want: `{__error__="LogfmtParserErr", __error_details__="logfmt syntax error at pos 4 : unexpected '='", app="api"}`},
		{name: "quote in key", pipeline: `| logfmt --strict`, line: `a"b=1`, keep: true,
			want: `{__error__="LogfmtParserErr", __error_details__="logfmt syntax error at pos 2 : unexpected '\"'", app="api"}`},
		{name: "bad escape", pipeline: `| logfmt --strict`, line: `a="\q"`, keep: true,
			want: `{__error__="LogfmtParserErr", __error_details__="logfmt syntax error at pos 7 : invalid quoted value", app="api"}`},
		{name: "lenient skips the bad pair only", pipeline: `| logfmt`, line: `a=b=c d=1`, keep: true, want: `{app="api", d="1"}`},
	})
}

// TestLogfmtStreamCaches runs lines whose keys move, repeat and clash through one stream's
// runner, whose caches (keys by position and by name, results) must not change any answer:
// each is compared with a fresh runner's, and the line buffer is overwritten after each
// entry, which the results kept must not see.
func TestLogfmtStreamCaches(t *testing.T) {
	lines := []string{
		`status=200 duration=2s app=x`,
		`status=500 duration=2s app=y`,
		`duration=3s status=404`,
		`app=z status=201 duration=bad`,
		`status=200 duration=2s app=x`,
		`a=1 status=200 status=500 duration=2s`,
		`status="50\"0" duration=2s`,
		`status=200 duration=2s`,
	}
	md := []labels.Labels{nil, nil, mustLabels("status", "md"), nil, mustLabels("app", "m"), nil, nil, nil}
	stream := mustLabels("app", "api")
	for _, q := range []string{
		`count_over_time({a="b"} | logfmt | duration > 1500ms [1m])`,
		`count_over_time({a="b"} | logfmt | app_extracted != "" [1m])`,
		`count_over_time({a="b"} | logfmt --strict [1m])`,
	} {
		for _, by := range [][]string{nil, {"status"}, {"app", "app_extracted"}} {
			stages, _ := unwrapOf(t, q)
			newSE := func() SampleExtractor {
				if by == nil {
					se, err := NewSampleExtractor(stages, CountSamples, nil)
					if err != nil {
						t.Fatal(err)
					}
					return se
				}
				se, err := NewGroupedSampleExtractor(stages, CountSamples, nil, by)
				if err != nil {
					t.Fatal(err)
				}
				return se
			}
			shared := newSE().ForStream(stream)
			var kept []string
			var results []*LabelsResult
			for i, l := range lines {
				buf := []byte(l)
				v, lbs, ok := shared.Process(0, buf, md[i])
				fv, flbs, fok := newSE().ForStream(stream).Process(0, []byte(l), md[i])
				if ok != fok || v != fv || ok && lbs.All.String() != flbs.All.String() {
					t.Fatalf("%s by %v, line %q: got %v %v %v, a fresh runner %v %v %v", q, by, l, v, lbs, ok, fv, flbs, fok)
				}
				if ok {
					kept, results = append(kept, lbs.All.String()), append(results, lbs)
				}
				for j := range buf {
					buf[j] = '#'
				}
			}
			for i, r := range results {
				if r.All.String() != kept[i] {
					t.Errorf("%s by %v: a result changed with its line: %s, was %s", q, by, r.All, kept[i])
				}
			}
		}
	}
}
