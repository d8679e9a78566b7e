package log

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"text/template"
	"time"
	"unicode"
	"unicode/utf8"
)

// templateFuncs are the functions of line_format and label_format templates: Loki's set,
// which includes a subset of sprig's. __line__ and __timestamp__ are bound per entry by
// the template stage (see templateState).
func templateFuncs(st *templateState) template.FuncMap {
	return template.FuncMap{
		"__line__":      func() string { return string(st.line) },
		"__timestamp__": func() time.Time { return time.Unix(0, st.ts) },
		"_steps":        st.steps, // see guardSteps

		"ToLower":    strings.ToLower,
		"ToUpper":    strings.ToUpper,
		"lower":      strings.ToLower,
		"upper":      strings.ToUpper,
		"title":      titleCase,
		"Replace":    st.replaceN,
		"replace":    func(old, new, s string) (string, error) { return st.replaceN(s, old, new, -1) },
		"Trim":       strings.Trim,
		"TrimLeft":   strings.TrimLeft,
		"TrimRight":  strings.TrimRight,
		"TrimSpace":  strings.TrimSpace,
		"TrimPrefix": strings.TrimPrefix,
		"TrimSuffix": strings.TrimSuffix,
		"trim":       strings.TrimSpace,
		"trimAll":    func(cut, s string) string { return strings.Trim(s, cut) },
		"trimPrefix": func(prefix, s string) string { return strings.TrimPrefix(s, prefix) },
		"trimSuffix": func(suffix, s string) string { return strings.TrimSuffix(s, suffix) },
		"contains":   func(sub, s string) bool { return strings.Contains(s, sub) },
		"hasPrefix":  func(prefix, s string) bool { return strings.HasPrefix(s, prefix) },
		"hasSuffix":  func(suffix, s string) bool { return strings.HasSuffix(s, suffix) },
		"trunc":      trunc,
		"substr":     substr,
		"repeat":     st.repeat,
		"indent":     st.indent,
		"nindent":    func(n int, s string) (string, error) { s, err := st.indent(n, s); return "\n" + s, err },
		"alignLeft":  func(n int, s string) (string, error) { return st.align(alignLeft, n, s) },
		"alignRight": func(n int, s string) (string, error) { return st.align(alignRight, n, s) },
		"count":      count,
		"printf":     st.printf,
		"default":    dfault,

		"regexReplaceAll":        func(expr, s, repl string) (string, error) { return st.regexReplace(expr, s, repl, false) },
		"regexReplaceAllLiteral": func(expr, s, repl string) (string, error) { return st.regexReplace(expr, s, repl, true) },

		"fromJson":         fromJSON,
		"b64enc":           func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) },
		"b64dec":           b64dec,
		"urlencode":        url.QueryEscape,
		"urldecode":        url.QueryUnescape,
		"bytes":            func(s string) (float64, error) { n, err := parseBytes(s); return float64(n), err },
		"duration":         durationSeconds,
		"duration_seconds": durationSeconds,

		"unixEpoch":       func(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) },
		"unixEpochMillis": func(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) },
		"unixEpochNanos":  func(t time.Time) string { return strconv.FormatInt(t.UnixNano(), 10) },
		"unixToTime":      unixToTime,
		"toDate":          toDate,
		"toDateInZone":    toDateInZone,
		"date":            date,
		"now":             time.Now,

		"add":     func(vs ...any) int64 { return foldInt(0, vs, func(x, y int64) int64 { return x + y }) },
		"sub":     func(a, b any) int64 { return toInt64(a) - toInt64(b) },
		"mul":     func(a any, vs ...any) int64 { return foldInt(a, vs, func(x, y int64) int64 { return x * y }) },
		"div":     intDiv,
		"mod":     intMod,
		"addf":    func(vs ...any) float64 { return foldFloat(0, vs, func(x, y float64) float64 { return x + y }) },
		"subf":    func(a any, vs ...any) float64 { return foldFloat(a, vs, func(x, y float64) float64 { return x - y }) },
		"mulf":    func(a any, vs ...any) float64 { return foldFloat(a, vs, func(x, y float64) float64 { return x * y }) },
		"divf":    func(a any, vs ...any) float64 { return foldFloat(a, vs, func(x, y float64) float64 { return x / y }) },
		"ceil":    func(a any) float64 { return math.Ceil(toFloat64(a)) },
		"floor":   func(a any) float64 { return math.Floor(toFloat64(a)) },
		"round":   round,
		"max":     func(a any, rest ...any) int64 { return foldInt(a, rest, func(x, y int64) int64 { return max(x, y) }) },
		"min":     func(a any, rest ...any) int64 { return foldInt(a, rest, func(x, y int64) int64 { return min(x, y) }) },
		"maxf":    func(a any, rest ...any) float64 { return foldFloat(a, rest, math.Max) },
		"minf":    func(a any, rest ...any) float64 { return foldFloat(a, rest, math.Min) },
		"int":     toInt64,
		"float64": toFloat64,
	}
}

// titleCase upper-cases the first letter of every word, words being separated as sprig's
// title (strings.Title) separates them: by anything but letters, digits and "_".
func titleCase(s string) string {
	prev := ' '
	return strings.Map(func(r rune) rune {
		defer func() { prev = r }()
		if isWordSeparator(prev) {
			return unicode.ToTitle(r)
		}
		return r
	}, s)
}

func isWordSeparator(r rune) bool {
	if r < utf8.RuneSelf {
		return !(r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
	}
	if unicode.IsLetter(r) || unicode.IsDigit(r) {
		return false
	}
	return unicode.IsSpace(r)
}

// trunc keeps the first n runes, or the last -n when n is negative.
func trunc(n int, s string) string {
	r := []rune(s)
	if n < 0 && len(r)+n > 0 {
		return string(r[len(r)+n:])
	}
	if n >= 0 && len(r) > n {
		return string(r[:n])
	}
	return s
}

// substr is s[start:end] in runes; a negative start means from the beginning and a
// negative or too large end means to the end.
func substr(start, end int, s string) string {
	r := []rune(s)
	end = min(end, len(r))
	start = min(start, len(r))
	if start < 0 {
		if end < 0 {
			return ""
		}
		return string(r[:end])
	}
	if end < 0 {
		return string(r[start:])
	}
	if start > end {
		return ""
	}
	return string(r[start:end])
}

func indent(n int, s string) string {
	pad := strings.Repeat(" ", max(n, 0))
	return pad + strings.ReplaceAll(s, "\n", "\n"+pad)
}

// alignLeft pads or cuts s to n runes, text on the left.
func alignLeft(n int, s string) string {
	if n < 0 {
		return s
	}
	if c := utf8.RuneCountInString(s); c < n {
		return s + strings.Repeat(" ", n-c)
	}
	return string([]rune(s)[:n])
}

// alignRight pads or cuts s to n runes, text on the right.
func alignRight(n int, s string) string {
	if n < 0 {
		return s
	}
	r := []rune(s)
	if len(r) < n {
		return strings.Repeat(" ", n-len(r)) + s
	}
	return string(r[len(r)-n:])
}

// count returns the number of matches of the regexp in s.
func count(expr, s string) (int, error) {
	re, err := regexp.Compile(expr)
	if err != nil {
		return 0, err
	}
	return len(re.FindAllStringIndex(s, -1)), nil
}

// dfault returns the given value unless it is empty, then the default.
func dfault(def any, given ...any) any {
	if len(given) == 0 || isEmpty(given[0]) {
		return def
	}
	return given[0]
}

func isEmpty(v any) bool {
	switch v := v.(type) {
	case nil:
		return true
	case string:
		return v == ""
	case bool:
		return !v
	case int:
		return v == 0
	case int64:
		return v == 0
	case float64:
		return v == 0
	}
	return false
}

func fromJSON(s string) (map[string]any, error) {
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return nil, err
	}
	return m, nil
}

// b64dec returns the error text instead of failing, as sprig does.
func b64dec(s string) string {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return err.Error()
	}
	return string(b)
}

func durationSeconds(s string) (float64, error) {
	d, err := parseDuration(s)
	if err != nil {
		return 0, err
	}
	return d.Seconds(), nil
}

// unixToTime reads an epoch in days, seconds, milliseconds, microseconds or nanoseconds,
// told apart by length (5, 10, 13, 16, 19 digits) as Loki does.
func unixToTime(s string) (time.Time, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("unixToTime: %w", err)
	}
	switch len(s) {
	case 5:
		return time.Unix(n*86400, 0), nil
	case 10:
		return time.Unix(n, 0), nil
	case 13:
		return time.UnixMilli(n), nil
	case 16:
		return time.UnixMicro(n), nil
	case 19:
		return time.Unix(0, n), nil
	}
	return time.Time{}, fmt.Errorf("unable to parse time '%v': not an epoch in days, s, ms, us or ns", s)
}

// toDate parses in the local zone; a bad value gives the zero time, as in sprig.
func toDate(layout, value string) time.Time {
	t, _ := time.ParseInLocation(layout, value, time.Local)
	return t
}

// toDateInZone parses in the zone (UTC if unknown); a bad value gives the zero time.
func toDateInZone(layout, zone, value string) time.Time {
	loc, err := time.LoadLocation(zone)
	if err != nil {
		loc = time.UTC
	}
	t, _ := time.ParseInLocation(layout, value, loc)
	return t
}

func date(layout string, t any) (string, error) {
	switch t := t.(type) {
	case time.Time:
		return t.Format(layout), nil
	case *time.Time:
		return t.Format(layout), nil
	case int64:
		return time.Unix(t, 0).Format(layout), nil
	case int:
		return time.Unix(int64(t), 0).Format(layout), nil
	}
	return "", fmt.Errorf("date: unsupported time value %T", t)
}
