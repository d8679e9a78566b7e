package log

import (
	"strconv"
	"testing"

	"github.com/jetlog/jetlog/logql/syntax"
	"github.com/jetlog/jetlog/schemas/labels"
)

// FuzzLineFormat: any line_format template over any line keeps the entry, and yields either
// TemplateFormatErr with the line unchanged or a line within the budget; never a panic.
func FuzzLineFormat(f *testing.F) {
	f.Add(`{{ .app | ToUpper }} {{ __line__ }}`, "msg=hi")
	f.Add(`{{ repeat 100000000000 "x" }}`, "x")
	f.Add(`{{ range 100000000000 }}{{ end }}`, "x")
	f.Add(`{{ printf "%*d" 1000000 1 }}`, "x")
	f.Add(`{{ regexReplaceAll "" __line__ "$0$0" }}`, "abc")
	f.Add(`{{ range $k, $v := fromJson __line__ }}{{ $k }}={{ $v }} {{ end }}`, `{"a":"1","b":{"c":2}}`)
	f.Add(`{{ define "a" }}{{ template "a" . }}{{ end }}{{ template "a" }}`, "x")
	f.Fuzz(func(t *testing.T, tmpl, line string) {
		e, err := syntax.ParseLogSelector(`{app="a"} | line_format ` + strconv.Quote(tmpl))
		if err != nil {
			return
		}
		p, err := NewPipeline(e.Pipeline)
		if err != nil {
			return
		}
		out, lbs, keep := p.ForStream(labels.FromStrings("app", "a")).Process(1, []byte(line), nil)
		switch {
		case !keep:
			t.Fatalf("entry dropped")
		case lbs.All.Get(ErrorLabel) == errTemplateFormat && string(out) != line:
			t.Fatalf("failed template changed the line to %q", out)
		case len(out) > templateBudget(len(line)):
			t.Fatalf("%d bytes out, over the budget of %d", len(out), templateBudget(len(line)))
		}
	})
}
