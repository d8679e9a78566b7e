package log

import (
	"fmt"
	"sync"
	"testing"

	"github.com/jetlog/jetlog/logql/syntax"
)

func TestPipelineEndToEnd(t *testing.T) {
	runEntryCases(t, []entryCase{
		{name: "empty pipeline", pipeline: ``, line: `x`, keep: true, want: `{app="api"}`},
		{name: "trailing text after json is ignored", pipeline: `| json`, line: `{"a":"b"} tail`, keep: true, want: `{a="b", app="api"}`},
		{name: "filter, parse, filter, format", line: `{"level":"error","status":503,"msg":"upstream down","dur":"1.2s"}`,
			pipeline: `|= "error" | json | status >= 500 and dur > 1s | line_format "{{.status}} {{.msg}}" | drop dur`, keep: true,
			wantLine: "503 upstream down", want: `{app="api", level="error", msg="upstream down", status="503"}`},
		{name: "dropped by the label filter", line: `{"level":"error","status":200}`, pipeline: `| json | status >= 500`, keep: false},
		{name: "filters after line_format see the new line", pipeline: `| line_format "hello" |= "hello"`, line: `x`, keep: true,
			wantLine: "hello", want: `{app="api"}`},
	})
}

func TestNewPipelineErrors(t *testing.T) {
	for _, stages := range [][]syntax.Stage{
		{nil},
		{&syntax.DropStage{}},
		{&syntax.KeepStage{}},
		{&syntax.LabelFormatStage{}},
		{&syntax.LineFilterStage{Filter: syntax.LineFilter{Op: syntax.LineFilterOp(42), Values: []string{"x"}}}},
	} {
		if _, err := NewPipeline(stages); err == nil {
			t.Errorf("%v: want error", stages)
		}
	}
}

// TestFilterPathDoesNotAllocate pins the no-parser fast path of issue 6.
func TestFilterPathDoesNotAllocate(t *testing.T) {
	p, err := NewPipeline(stagesOf(t, `|= "status" != "debug" |~ "(?i)STATUS=2"`))
	if err != nil {
		t.Fatal(err)
	}
	sp := p.ForStream(mustLabels("app", "api"))
	line := []byte("level=info status=200 msg=ok")
	allocs := testing.AllocsPerRun(100, func() {
		if _, _, keep := sp.Process(0, line, nil); !keep {
			t.Fatal("dropped")
		}
	})
	if allocs != 0 {
		t.Errorf("filter-only pipeline allocates %v times per entry", allocs)
	}
}

// TestConcurrentStreams runs one Pipeline from many goroutines, one stream each.
func TestConcurrentStreams(t *testing.T) {
	p, err := NewPipeline(stagesOf(t, `| logfmt | label_format s="{{.n}}-{{__line__ | len}}" | line_format "{{.s}}"`))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			sp := p.ForStream(mustLabels("g", fmt.Sprint(g)))
			for i := 0; i < 200; i++ {
				line := []byte(fmt.Sprintf("n=%d", i))
				out, _, keep := sp.Process(0, line, nil)
				if want := fmt.Sprintf("%d-%d", i, len(line)); !keep || string(out) != want {
					errs <- fmt.Errorf("goroutine %d entry %d: %q, want %q", g, i, out, want)
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
