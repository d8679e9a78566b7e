package log

import (
	"fmt"
	"math"
	"math/bits"
	"strconv"
	"strings"
	"time"

	"github.com/jetlog/jetlog/logql/syntax"
	"github.com/jetlog/jetlog/schemas/labels"
)

// labelFilter tests an entry's labels; it may set __error__ (LabelFilterErr).
type labelFilter interface {
	filter(b *builder) bool
}

type labelFilterStage struct{ f labelFilter }

func (s *labelFilterStage) process(_ int64, line []byte, b *builder) ([]byte, bool) {
	return line, s.f.filter(b)
}

func newLabelFilter(f syntax.LabelFilter) (labelFilter, error) {
	switch f := f.(type) {
	case *syntax.BinaryLabelFilter:
		l, err := newLabelFilter(f.Left)
		if err != nil {
			return nil, err
		}
		r, err := newLabelFilter(f.Right)
		if err != nil {
			return nil, err
		}
		return &binaryFilter{and: f.And, left: l, right: r}, nil
	case *syntax.StringLabelFilter:
		if f.Matcher == nil {
			return nil, fmt.Errorf("string label filter without matcher")
		}
		sf := &stringFilter{name: f.Matcher.Name, value: f.Matcher.Value}
		switch f.Matcher.Type {
		case labels.MatchEqual:
			sf.test = func(v string) bool { return v == sf.value }
		case labels.MatchNotEqual:
			sf.test, sf.negate = func(v string) bool { return v == sf.value }, true
		case labels.MatchRegexp, labels.MatchNotRegexp:
			m, err := newLabelRegexMatcher(f.Matcher.Value)
			if err != nil {
				return nil, err
			}
			sf.test, sf.negate = m, f.Matcher.Type == labels.MatchNotRegexp
		default:
			return nil, fmt.Errorf("unknown matcher type %d", f.Matcher.Type)
		}
		return sf, nil
	case *syntax.NumericLabelFilter:
		return &numericFilter{f: f}, nil
	case *syntax.IPLabelFilter:
		m, err := newIPMatcher(f.CIDR)
		if err != nil {
			return nil, err
		}
		return &ipFilter{name: f.Name, negate: f.Negate, m: m}, nil
	case nil:
		return nil, fmt.Errorf("nil label filter")
	}
	return nil, fmt.Errorf("unsupported label filter %T", f)
}

type binaryFilter struct {
	and         bool
	left, right labelFilter
}

// filter evaluates both sides of "and" (so both may set errors, as in Loki) and stops
// "or" at the first success.
func (f *binaryFilter) filter(b *builder) bool {
	l := f.left.filter(b)
	if !f.and && l {
		return true
	}
	r := f.right.filter(b)
	if f.and {
		return l && r
	}
	return r
}

// stringFilter compares a label as a string; a missing label reads as "". Regular
// expressions get Loki's simplification (see simplifyRegex).
type stringFilter struct {
	name, value string
	test        valueMatcher
	negate      bool
}

func (f *stringFilter) filter(b *builder) bool {
	v, _ := b.get(f.name)
	return f.test(v) != f.negate
}

// numericFilter compares a label as a number, duration or byte size. As in Loki: a missing
// label fails; a value that does not convert passes and sets LabelFilterErr, unless the entry
// already has an error, which is kept as the more useful one.
type numericFilter struct{ f *syntax.NumericLabelFilter }

func (f *numericFilter) filter(b *builder) bool {
	v, ok := b.get(f.f.Name)
	if !ok {
		return false
	}
	var x float64
	var err error
	switch f.f.Kind {
	case syntax.DurationKind:
		var d time.Duration
		d, err = parseDuration(v)
		x = d.Seconds()
	case syntax.BytesKind:
		var n uint64
		n, err = parseBytes(v)
		x = float64(n)
	default:
		x, err = strconv.ParseFloat(v, 64)
	}
	if err != nil {
		if !b.hasErr() {
			b.setErr(errLabelFilter, err.Error())
		}
		return true
	}
	return compare(f.f.Op, x, f.f.Value)
}

// parseDuration is time.ParseDuration with a shortcut for its most common input in logs, a
// whole number and one unit ("1234ms"): the same result without ParseDuration's map lookup
// of the unit. Anything else, including a product that could overflow, goes to it.
func parseDuration(s string) (time.Duration, error) {
	i := 0
	for i < len(s) && i < 15 && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	unit := durationUnit(s[i:])
	if i == 0 || unit == 0 {
		return time.ParseDuration(s)
	}
	var n int64
	for _, c := range s[:i] {
		n = n*10 + int64(c-'0')
	}
	// An overflow check by multiplication: a division costs more than the rest.
	if hi, lo := bits.Mul64(uint64(n), uint64(unit)); hi != 0 || lo > math.MaxInt64 {
		return time.ParseDuration(s)
	}
	return time.Duration(n) * unit, nil
}

// durationUnit is the value of one of time.ParseDuration's units, or 0.
func durationUnit(u string) time.Duration {
	switch u {
	case "ns":
		return time.Nanosecond
	case "us", "µs", "μs":
		return time.Microsecond
	case "ms":
		return time.Millisecond
	case "s":
		return time.Second
	case "m":
		return time.Minute
	case "h":
		return time.Hour
	}
	return 0
}

func compare(op syntax.CmpOp, a, b float64) bool {
	switch op {
	case syntax.CmpEq:
		return a == b
	case syntax.CmpNe:
		return a != b
	case syntax.CmpGt:
		return a > b
	case syntax.CmpGe:
		return a >= b
	case syntax.CmpLt:
		return a < b
	case syntax.CmpLe:
		return a <= b
	}
	return false
}

type ipFilter struct {
	name   string
	negate bool
	m      *ipMatcher
}

// filter follows Loki: an entry with an error passes (only string matchers may drop it), a
// missing label fails, and the value is searched for an address like a line.
func (f *ipFilter) filter(b *builder) bool {
	if b.hasErr() {
		return true
	}
	v, ok := b.get(f.name)
	if !ok {
		return false
	}
	return f.m.find([]byte(v)) != f.negate
}

var byteUnits = map[string]float64{
	"": 1, "b": 1,
	"k": 1e3, "kb": 1e3, "ki": 1 << 10, "kib": 1 << 10,
	"m": 1e6, "mb": 1e6, "mi": 1 << 20, "mib": 1 << 20,
	"g": 1e9, "gb": 1e9, "gi": 1 << 30, "gib": 1 << 30,
	"t": 1e12, "tb": 1e12, "ti": 1 << 40, "tib": 1 << 40,
	"p": 1e15, "pb": 1e15, "pi": 1 << 50, "pib": 1 << 50,
	"e": 1e18, "eb": 1e18, "ei": 1 << 60, "eib": 1 << 60,
}

// parseBytes reads a human byte size such as "150KB", "1.5 MiB" or "42" (SI units are
// powers of 1000, IEC units of 1024; case-insensitive).
func parseBytes(s string) (uint64, error) {
	s = strings.TrimSpace(s)
	i := 0
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.' || s[i] == ',') {
		i++
	}
	num := strings.ReplaceAll(s[:i], ",", "")
	f, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return 0, fmt.Errorf("invalid byte size %q", s)
	}
	mult, ok := byteUnits[strings.ToLower(strings.TrimSpace(s[i:]))]
	if !ok {
		return 0, fmt.Errorf("invalid byte size %q: unknown unit %q", s, strings.TrimSpace(s[i:]))
	}
	v := f * mult
	if v >= 1<<64 {
		return 0, fmt.Errorf("invalid byte size %q: too large", s)
	}
	return uint64(v), nil
}
