package syntax

import "testing"

// TestLogfmtKey pins how a logfmt extraction expression is read: the key it names, or the
// message of Loki's expression parser for a bad one.
func TestLogfmtKey(t *testing.T) {
	f := func(expr, want, wantErr string) {
		t.Helper()
		got, err := LogfmtKey(expr)
		if wantErr != "" {
			if err == nil || err.Error() != wantErr {
				t.Fatalf("LogfmtKey(%q) = %q, %v; want error %q", expr, got, err, wantErr)
			}
			return
		}
		if err != nil || got != want {
			t.Fatalf("LogfmtKey(%q) = %q, %v; want %q", expr, got, err, want)
		}
	}
	f("level", "level", "")
	f(" _id8\t", "_id8", "")
	f(`"field with spaces"`, "field with spaces", "")
	f(`"unterminated`, "unterminated", "")
	f(`"a]`, "a", "")
	f("a\x00-", "a", "")
	// Several parts name no key.
	f(`a "b"`, "", "")
	f(`"a" "b"`, "", "")
	// The KEY ends at the first other character, which the lexer then refuses.
	f("user-id", "", "unexpected char -")
	f("a.b", "", "unexpected char .")
	f("a\r", "", "unexpected char \r")
	f(`a "b" c`, "", "syntax error: unexpected KEY")
	f("a b", "", "syntax error: unexpected KEY")
	// A refused first character leaves the grammar with no token at all.
	f("", "", "syntax error: unexpected $end, expecting STRING or KEY")
	f("-id", "", "syntax error: unexpected $end, expecting STRING or KEY")
	f("1x", "", "syntax error: unexpected $end, expecting STRING or KEY")
	f("\x00a", "", "syntax error: unexpected $end, expecting STRING or KEY")
}
