package log

import (
	"bytes"
	"testing"

	"github.com/jetlog/jetlog/logql/syntax"
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

// TestPlainEnd compares the 8-byte walk with the byte table for every byte value at every
// offset of a word, before and after the point where the walk falls back to single bytes.
func TestPlainEnd(t *testing.T) {
	slow := func(line []byte, i int) int {
		for i < len(line) && logfmtPlain[line[i]] {
			i++
		}
		return i
	}
	for n := 0; n <= 19; n++ {
		for at := 0; at < n; at++ {
			for c := 0; c < 256; c++ {
				line := bytes.Repeat([]byte{'a'}, n)
				line[at] = byte(c)
				for start := 0; start <= min(n, 3); start++ {
					if got, want := plainEnd(line, start), slow(line, start); got != want {
						t.Fatalf("plainEnd(%q, %d) = %d, want %d", line, start, got, want)
					}
				}
			}
		}
	}
}

// FuzzLogfmtKeyCache: a parser's per-stream key cache (keys by position, from the previous
// line) never changes a result: line b after line a gives what b alone gives, with and
// without hints.
func FuzzLogfmtKeyCache(f *testing.F) {
	for _, s := range [][2]string{
		{`a=1 b=2 c=3`, `a=1 b=2 c=3`},
		{`status=200 duration=5ms`, `status=200 durationx=7ms duration=2s`},
		{`k=1 k=2`, `k= k=3`},
		{`a="x" b c=1`, `a b="x" c=1`},
		{`app=1 a-b=2`, `app=1 a_b=3 a-b=4`},
	} {
		f.Add([]byte(s[0]), []byte(s[1]))
	}
	stream := labels.FromStrings("app", "x")
	// Each ForStream starts with empty caches.
	var pipes []Pipeline
	for _, q := range []string{`| logfmt`, `| logfmt --strict --keep-empty`, `| logfmt k, duration="a_b"`} {
		p, err := NewPipeline(stagesOf(f, q))
		if err != nil {
			f.Fatal(err)
		}
		pipes = append(pipes, p)
	}
	e, err := syntax.ParseSampleExpr(`count_over_time({app="x"} | logfmt | duration > 1s [1m])`)
	if err != nil {
		f.Fatal(err)
	}
	se, err := NewGroupedSampleExtractor(e.(*syntax.RangeAggregationExpr).Left.Left.Pipeline, CountSamples, nil, []string{"status", "app"})
	if err != nil {
		f.Fatal(err)
	}
	hinted := func() StreamSampleExtractor { return se.ForStream(stream) }
	f.Fuzz(func(t *testing.T, a, b []byte) {
		for _, p := range pipes {
			warm := p.ForStream(stream)
			warm.Process(0, a, nil)
			_, got, gotKeep := warm.Process(0, b, nil)
			_, want, wantKeep := p.ForStream(stream).Process(0, b, nil)
			if gotKeep != wantKeep || got.All.String() != want.All.String() {
				t.Fatalf("after %q: %q gives %v %v, alone %v %v", a, b, gotKeep, got.All, wantKeep, want.All)
			}
		}
		warm := hinted()
		warm.Process(0, a, nil)
		gv, got, gotOK := warm.Process(0, b, nil)
		wv, want, wantOK := hinted().Process(0, b, nil)
		if gotOK != wantOK || gv != wv || gotOK && got.All.String() != want.All.String() {
			t.Fatalf("hinted, after %q: %q gives %v %v %v, alone %v %v %v", a, b, gotOK, gv, got, wantOK, wv, want)
		}
	})
}
