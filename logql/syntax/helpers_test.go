package syntax

import (
	"reflect"
	"testing"
)

func TestPushdownLineFilters(t *testing.T) {
	f := func(in string, want []LineFilter) {
		t.Helper()
		sel, err := ParseLogSelector(in)
		if err != nil {
			t.Fatal(err)
		}
		if got := sel.PushdownLineFilters(); !reflect.DeepEqual(got, want) {
			t.Fatalf("PushdownLineFilters(%q) = %v, want %v", in, got, want)
		}
	}
	x := LineFilter{Op: LineContains, Values: []string{"x"}}
	y := LineFilter{Op: LineNotMatchRegexp, Values: []string{"y", "z"}}
	f(`{a="b"}`, nil)
	f(`{a="b"} |= "x"`, []LineFilter{x})
	f(`{a="b"} |= "x" | json | drop e | c="d" !~ "y" or "z"`, []LineFilter{x, y})
	f(`{a="b"} |= "x" | line_format "{{.c}}" !~ "y" or "z"`, []LineFilter{x})
	f(`{a="b"} | decolorize |= "x"`, nil)
}

func TestLogSelectors(t *testing.T) {
	f := func(in string, want ...string) {
		t.Helper()
		e, err := ParseExpr(in)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, s := range LogSelectors(e) {
			got = append(got, s.String())
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("LogSelectors(%q) = %q, want %q", in, got, want)
		}
	}
	f(`{a="b"} |= "x"`, `{a="b"} |= "x"`)
	f(`vector(1)`)
	f(`label_replace(sum(rate({a="b"}[1m])), "d", "", "s", "") / count_over_time({c="d"} | json [1m]) + 1`,
		`{a="b"}`, `{c="d"} | json`)
}
