package log

import "testing"

func TestDecolorize(t *testing.T) {
	for in, want := range map[string]string{
		"\x1b[31mred\x1b[0m":              "red",
		"\x1b[1;32mbold green\x1b[m tail": "bold green tail",
		"\x1b]0;title\x07text":            "text",
		"no escapes":                      "no escapes",
		"\u009b31mcsi8\u009b0m":           "csi8",
		"\x1b[38;5;196mextended\x1b[39m":  "extended",
		"":                                "",
	} {
		d := &decolorize{}
		in := []byte(in)
		orig := string(in)
		out, keep := d.process(0, in, nil)
		if !keep || string(out) != want {
			t.Errorf("decolorize(%q) = %q, want %q", orig, out, want)
		}
		if string(in) != orig {
			t.Errorf("input modified: %q", in)
		}
	}
}
