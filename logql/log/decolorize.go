package log

import "regexp"

// ansiEscape matches ANSI terminal escape sequences: CSI sequences (ESC [ ... final byte),
// OSC sequences ended by BEL or ESC \, and two-character escapes.
var ansiEscape = regexp.MustCompile("(?:\x1b\\[|\u009b)[0-?]*[ -/]*[@-~]|\x1b\\][^\x07\x1b]*(?:\x07|\x1b\\\\)|\x1b[@-Z\\\\-_]")

// decolorize strips ANSI escape sequences from the line.
type decolorize struct{ buf []byte }

func (d *decolorize) process(_ int64, line []byte, _ *builder) ([]byte, bool) {
	if !containsEscape(line) {
		return line, true
	}
	d.buf = ansiEscape.ReplaceAll(line, nil)
	return d.buf, true
}

func containsEscape(line []byte) bool {
	for i, c := range line {
		if c == 0x1b || c == 0xc2 && i+1 < len(line) && line[i+1] == 0x9b {
			return true
		}
	}
	return false
}
