package log

import (
	"strings"
	"testing"

	"github.com/jetlog/jetlog/schemas/labels"
)

// TestTemplateBudget: a template that would build more than its budget (twice the line
// plus 64 KiB) fails the entry with TemplateFormatErr instead of allocating; one within it
// still works, in line_format and label_format alike.
func TestTemplateBudget(t *testing.T) {
	f := func(tmpl, line string, wantLen int) {
		t.Helper()
		for _, pipeline := range []string{"| line_format `" + tmpl + "`", "| label_format out=`" + tmpl + "`"} {
			p, err := NewPipeline(stagesOf(t, pipeline))
			if err != nil {
				t.Fatalf("%s: %v", pipeline, err)
			}
			out, lbs, keep := p.ForStream(labels.FromStrings("app", "a")).Process(1, []byte(line), nil)
			if !keep {
				t.Fatalf("%s: entry dropped", pipeline)
			}
			errLabel := lbs.All.Get(ErrorLabel)
			got := len(out)
			if strings.HasPrefix(pipeline, "| label_format") {
				got = len(lbs.All.Get("out"))
			}
			switch {
			case wantLen < 0 && (errLabel != errTemplateFormat || string(out) != line):
				t.Errorf("%s: got %d bytes, error %q; want TemplateFormatErr and the line kept", pipeline, got, errLabel)
			case wantLen < 0 && !strings.Contains(lbs.All.Get(ErrorDetailsLabel), "over the limit of"):
				t.Errorf("%s: details %q", pipeline, lbs.All.Get(ErrorDetailsLabel))
			case wantLen >= 0 && (errLabel != "" || got != wantLen):
				t.Errorf("%s: got %d bytes, error %q %q; want %d bytes", pipeline, got, errLabel, lbs.All.Get(ErrorDetailsLabel), wantLen)
			}
		}
	}
	big := strings.Repeat("y", 100_000) // budget 264 KiB
	f(`{{ repeat 100000000000 "x" }}`, "x", -1)
	f(`{{ repeat 9223372036854775807 "xx" }}`, "x", -1)
	f(`{{ repeat 60000 "x" }}`, "x", 60000)
	f(`{{ repeat 2 __line__ }}`, big, 200_000)
	f(`{{ repeat 3 __line__ }}`, big, -1)
	f(`{{ repeat -5 "x" }}`, "x", 0)
	f(`{{ indent 100000 "a" }}`, "x", -1)
	f(`{{ indent 1 __line__ }}`, strings.Repeat("\n", 1000), 2001)
	f(`{{ nindent 70000 "a" }}`, "x", -1)
	f(`{{ alignLeft 9223372036854775807 "a" }}`, "x", -1)
	f(`{{ alignRight 1000000000 "a" }}`, "x", -1)
	f(`{{ alignRight 10 "a" }}`, "x", 10)
	f(`{{ replace "" (repeat 1000 "z") __line__ }}`, big, -1)
	f(`{{ replace "y" "zz" __line__ }}`, big, 200_000)
	f(`{{ Replace __line__ "y" "zzzz" 10 }}`, big, 100_030)
	f(`{{ Replace __line__ "y" "zzzz" -1 }}`, big, -1)
	f(`{{ regexReplaceAll "" __line__ (repeat 1000 "z") }}`, big, -1)
	f(`{{ regexReplaceAll "(y)" __line__ "$1$1" }}`, big, 200_000)
	f(`{{ regexReplaceAll "(y+)" __line__ "$1$1$1$1" }}`, big, -1)
	f(`{{ regexReplaceAllLiteral "y" __line__ "zz" }}`, big, 200_000)
	f(`{{ printf "%1000000d" 1 }}`, "x", -1)
	f(`{{ printf "%*d" 1000000 1 }}`, "x", -1)
	f(`{{ printf "%.999999f" 1.5 }}`, "x", -1)
	f(`{{ printf "%q%q%q" __line__ __line__ __line__ }}`, big, -1)
	f(`{{ printf "%05d|%s" 42 "ab" }}`, "x", 8)
	f(`{{ printf "%d" 5000000000 }}`, "x", 10)
	f(`{{ printf "ts=17000000000000 %[1]d %[1]d" 7 }}`, "x", 21)
	// The output as a whole is bounded too, whatever builds it.
	f(strings.Repeat(`{{ repeat 60000 "x" }}`, 3), "x", -1)
	f(`{{ range 10 }}{{ repeat 10000 "x" }}{{ end }}`, "x", -1)
	f(`{{ __line__ }}{{ __line__ }}`, big, 200_000)
	// So are loops, which text/template does not stop at the query's deadline.
	f(`{{ range 100000000000 }}{{ end }}x`, "x", -1)
	f(`{{ range $i := 1000 }}{{ range 1000 }}{{ range 1000 }}{{ end }}{{ end }}{{ end }}x`, "x", -1)
	f(`{{ define "a" }}{{ if lt (len .) 40 }}{{ template "a" (printf "%sx" .) }}{{ template "a" (printf "%sx" .) }}{{ end }}{{ end }}{{ template "a" "" }}x`, "x", -1)
	f(`{{ range $k, $v := fromJson __line__ }}{{ $k }}{{ $v }}{{ end }}`, `{"a":"1","b":"2"}`, 4)
	f(`{{ range 3 }}ab{{ else }}none{{ end }}`, "x", 6)
	f(`{{ define "t" }}[{{ . }}]{{ end }}{{ template "t" "v" }}{{ template "t" }}`, "x", len("[v][<no value>]"))
}
