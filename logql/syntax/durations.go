package syntax

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Two duration syntaxes meet in LogQL. Ranges and offsets ([5m], offset 1h) use Prometheus'
// units, which include days, weeks and years but no sub-millisecond units. Label filters
// (duration > 1500ms) use Go's time.ParseDuration. Byte sizes (size > 20MiB) accept decimal
// (KB = 1000) and binary (KiB = 1024) units, as in Loki.

var promUnits = []struct {
	unit string
	d    time.Duration
}{
	{"y", 365 * 24 * time.Hour},
	{"w", 7 * 24 * time.Hour},
	{"d", 24 * time.Hour},
	{"h", time.Hour},
	{"m", time.Minute},
	{"s", time.Second},
	{"ms", time.Millisecond},
}

// ParseDuration parses a Prometheus-style duration: one or more <integer><unit> pairs with
// units y, w, d, h, m, s, ms in that order, each at most once (1h30m, 5m, 2d, 500ms).
// "0" alone is accepted as zero. Error messages are those of Prometheus' model package,
// which Loki returns for a bad range.
func ParseDuration(s string) (time.Duration, error) {
	switch s {
	case "":
		return 0, errors.New("empty duration string")
	case "0":
		return 0, nil
	}
	var total time.Duration
	rest := s
	last := -1
	for rest != "" {
		i := 0
		for i < len(rest) && isDigit(rest[i]) {
			i++
		}
		if i == 0 {
			return 0, fmt.Errorf("not a valid duration string: %q", s)
		}
		n, err := strconv.ParseInt(rest[:i], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("not a valid duration string: %q", s)
		}
		rest = rest[i:]
		j := 0
		for j < len(rest) && !isDigit(rest[j]) {
			j++
		}
		if j == 0 {
			return 0, fmt.Errorf("not a valid duration string: %q", s)
		}
		unit := rest[:j]
		rest = rest[j:]
		idx := -1
		for k, u := range promUnits {
			if u.unit == unit {
				idx = k
				break
			}
		}
		if idx < 0 {
			return 0, fmt.Errorf("unknown unit %q in duration %q", unit, s)
		}
		if idx <= last {
			return 0, fmt.Errorf("not a valid duration string: %q", s)
		}
		last = idx
		d := promUnits[idx].d
		if n > math.MaxInt64/int64(d) || total > time.Duration(math.MaxInt64)-time.Duration(n)*d {
			return 0, errors.New("duration out of range")
		}
		total += time.Duration(n) * d
	}
	return total, nil
}

// FormatDuration renders d in the syntax ParseDuration reads, largest units first (1h30m).
// Negative durations get a leading minus sign. A duration with a sub-millisecond part,
// which only Go's syntax can express (an offset of 1.5us), is rendered by time.Duration's
// String, which Go's time.ParseDuration reads back.
func FormatDuration(d time.Duration) string {
	if d == 0 {
		return "0s"
	}
	if d%time.Millisecond != 0 {
		return d.String()
	}
	var b strings.Builder
	if d < 0 {
		b.WriteByte('-')
		d = -d
	}
	for _, u := range promUnits {
		if n := d / u.d; n > 0 {
			b.WriteString(strconv.FormatInt(int64(n), 10))
			b.WriteString(u.unit)
			d -= n * u.d
		}
	}
	return b.String()
}

// byteUnits maps a size suffix to its multiplier. Matching is case-insensitive on the
// unit, as humanize (which Loki uses) is.
var byteUnits = map[string]float64{
	"b":   1,
	"kb":  1e3,
	"mb":  1e6,
	"gb":  1e9,
	"tb":  1e12,
	"pb":  1e15,
	"eb":  1e18,
	"kib": 1 << 10,
	"mib": 1 << 20,
	"gib": 1 << 30,
	"tib": 1 << 40,
	"pib": 1 << 50,
	"eib": 1 << 60,
	"k":   1e3,
	"m":   1e6,
	"g":   1e9,
	"t":   1e12,
	"p":   1e15,
	"e":   1e18,
	"ki":  1 << 10,
	"mi":  1 << 20,
	"gi":  1 << 30,
	"ti":  1 << 40,
	"pi":  1 << 50,
	"ei":  1 << 60,
}

// ParseBytes parses a byte size such as 150KB, 2MiB, 1.5GB or 42B into a number of bytes.
func ParseBytes(s string) (float64, error) {
	i := 0
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
		i++
	}
	if i == 0 || i == len(s) {
		return 0, fmt.Errorf("not a valid byte size: %q", s)
	}
	n, err := strconv.ParseFloat(s[:i], 64)
	if err != nil {
		return 0, fmt.Errorf("not a valid byte size: %q", s)
	}
	mult, ok := byteUnits[strings.ToLower(s[i:])]
	if !ok {
		return 0, fmt.Errorf("not a valid byte size: %q", s)
	}
	return n * mult, nil
}
