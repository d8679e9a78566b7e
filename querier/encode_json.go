package querier

import (
	"math"
	"strconv"
	"unicode/utf8"

	"github.com/jetlog/jetlog/schemas/labels"
)

// The append helpers below build JSON without reflection: results of log queries hold up to
// max_entries_limit_per_query lines and metric results thousands of points, and encoding/json
// over maps of interfaces costs several allocations per value.

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string. Invalid UTF-8 becomes U+FFFD, as encoding/json.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		// U+2028 and U+2029 break JavaScript string literals; escape them as encoding/json does.
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// appendLabels appends ls as a JSON object {"name":"value",...}.
func appendLabels(dst []byte, ls labels.Labels) []byte {
	dst = append(dst, '{')
	for i, l := range ls {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendString(dst, l.Name)
		dst = append(dst, ':')
		dst = appendString(dst, l.Value)
	}
	return append(dst, '}')
}

// appendValue appends a sample value as Loki (Prometheus) does: a JSON string holding the
// shortest decimal form, "NaN", "+Inf" or "-Inf".
func appendValue(dst []byte, v float64) []byte {
	dst = append(dst, '"')
	switch {
	case math.IsNaN(v):
		dst = append(dst, "NaN"...)
	case math.IsInf(v, 1):
		dst = append(dst, "+Inf"...)
	case math.IsInf(v, -1):
		dst = append(dst, "-Inf"...)
	default:
		dst = strconv.AppendFloat(dst, v, 'f', -1, 64)
	}
	return append(dst, '"')
}

// appendMillis appends a millisecond timestamp as Prometheus' seconds number: 1795169100 or
// 1795169100.5 written as "1795169100.500".
func appendMillis(dst []byte, t int64) []byte {
	if t < 0 {
		dst = append(dst, '-')
		t = -t
	}
	dst = strconv.AppendInt(dst, t/1000, 10)
	if f := t % 1000; f != 0 {
		dst = append(dst, '.')
		if f < 100 {
			dst = append(dst, '0')
		}
		if f < 10 {
			dst = append(dst, '0')
		}
		dst = strconv.AppendInt(dst, f, 10)
	}
	return dst
}

// appendPoint appends [t, "v"].
func appendPoint(dst []byte, t int64, v float64) []byte {
	dst = append(dst, '[')
	dst = appendMillis(dst, t)
	dst = append(dst, ',')
	dst = appendValue(dst, v)
	return append(dst, ']')
}
