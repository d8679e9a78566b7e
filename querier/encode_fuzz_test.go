package querier

import (
	"encoding/json"
	"testing"
	"unicode/utf8"
)

// FuzzAppendString checks that appendString produces JSON that decodes back to the input
// (with invalid UTF-8 replaced, as encoding/json does).
func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "plain", "quote\"back\\slash", "ctl\x00\x1f\n\r\t", "\u2028\u2029", "中文", "\xff\xfe bad", "\x1b[32mINFO\x1b[0m"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b := appendString(nil, s)
		var got string
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("appendString(%q) = %s: invalid JSON: %v", s, b, err)
		}
		want := s
		if !utf8.ValidString(s) {
			// encoding/json replaces each invalid byte with U+FFFD; so must we.
			sb, err := json.Marshal(s)
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(sb, &want); err != nil {
				t.Fatal(err)
			}
		}
		if got != want {
			t.Fatalf("appendString(%q) decodes to %q, want %q", s, got, want)
		}
	})
}
