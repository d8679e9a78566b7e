package log

import "testing"

func TestLabelRegexMatcher(t *testing.T) {
	for _, tc := range []struct {
		re, value string
		want      bool
	}{
		{"foo", "foo", true},
		{"foo", "xfoo", false}, // a lone literal is an equality test
		{"foo|bar", "bar", true},
		{"foo|bar", "foobar", false},
		{"(?i)foo", "FOO", true},
		{"0.*", "1703", true}, // Loki's quirk: a concatenation is a substring test
		{"0.*", "17", false},
		{".*err.*", "an error", true},
		{"b(ar|uzz)", "xbuzzy", true},
		{".*", "", true},
		{".+", "", false},
		{".+", "x", true},
		{"", "", true},
		{"[0-9]+", "123", true}, // not simplified: anchored regexp
		{"[0-9]+", "a123", false},
		{"a.c", "a\nc", false}, // no (?s): "." does not match a newline
		{"(foo)", "foo", true},
	} {
		m, err := newLabelRegexMatcher(tc.re)
		if err != nil {
			t.Fatalf("%q: %v", tc.re, err)
		}
		if got := m(tc.value); got != tc.want {
			t.Errorf("%q on %q = %v, want %v", tc.re, tc.value, got, tc.want)
		}
	}
	if _, err := newLabelRegexMatcher("(("); err == nil {
		t.Error("bad regexp: want error")
	}
}
