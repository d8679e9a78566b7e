package labels

import "testing"

func TestParseRoundTrip(t *testing.T) {
	f := func(in, want string) {
		t.Helper()
		ls, err := Parse(in)
		if err != nil {
			t.Fatalf("Parse(%q): %v", in, err)
		}
		if got := ls.String(); got != want {
			t.Fatalf("Parse(%q) = %s, want %s", in, got, want)
		}
	}
	f(`{}`, `{}`)
	f(`{app="api"}`, `{app="api"}`)
	f(`{b="2", a="1"}`, `{a="1", b="2"}`)
	f(`{a="x, y=\"z\"", c="中文"}`, `{a="x, y=\"z\"", c="中文"}`)
	for _, bad := range []string{``, `{`, `{a}`, `{a="x}`, `{a="x" b="y"}`, `a="x"`} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add(`{a="1", b="2"}`)
	f.Fuzz(func(t *testing.T, s string) {
		ls, err := Parse(s)
		if err != nil {
			return
		}
		again, err := Parse(ls.String())
		if err != nil || !Equal(ls, again) {
			t.Fatalf("round trip of %q: %v %v", s, again, err)
		}
	})
}
