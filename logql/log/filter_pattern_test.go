package log

import (
	"strings"
	"testing"
)

func TestPatternParse(t *testing.T) {
	for _, tc := range []struct {
		in        string
		forParser bool
		bad       bool
	}{
		{in: "<a> <b>", forParser: true},
		{in: "<_> x", forParser: true, bad: true},  // needs a named capture
		{in: "<a><b>", forParser: true, bad: true}, // consecutive captures
		{in: "<a> <a>", forParser: true, bad: true},
		{in: "<_> x <_>"},
		{in: "<a> x", bad: true}, // named capture in a line filter
		{in: "<1a> literal <_>"}, // not a capture name: literal text
		{in: ""},
	} {
		_, err := compilePattern(tc.in, tc.forParser)
		if (err != nil) != tc.bad {
			t.Errorf("compilePattern(%q, %v) error = %v, want error %v", tc.in, tc.forParser, err, tc.bad)
		}
	}
}

func TestPatternCaptures(t *testing.T) {
	p, err := compilePattern(`<ip> [<_>] "<method> <path>"`, true)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	ok := p.matches([]byte(`1.2.3.4 [now] "GET /x"`), true, func(name string, v []byte) {
		got = append(got, name+"="+string(v))
	})
	if want := "ip=1.2.3.4 method=GET path=/x"; !ok || strings.Join(got, " ") != want {
		t.Errorf("captures = %q (ok %v), want %q", strings.Join(got, " "), ok, want)
	}
}
