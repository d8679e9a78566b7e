package labels

import (
	"fmt"
	"strconv"
	"strings"
)

// Parse reads a label set in Loki's syntax, {a="1", b="2"}, as the gateway writes stream label
// strings on the bus. Values are Go-quoted strings. The result is sorted.
func Parse(s string) (Labels, error) {
	s = strings.TrimSpace(s)
	if len(s) < 2 || s[0] != '{' || s[len(s)-1] != '}' {
		return nil, fmt.Errorf("labels %q: want {name=\"value\", ...}", s)
	}
	rest := strings.TrimSpace(s[1 : len(s)-1])
	var out Labels
	for rest != "" {
		eq := strings.IndexByte(rest, '=')
		if eq <= 0 {
			return nil, fmt.Errorf("labels %q: missing name=", s)
		}
		name := strings.TrimSpace(rest[:eq])
		rest = strings.TrimLeft(rest[eq+1:], " ")
		q, err := strconv.QuotedPrefix(rest)
		if err != nil {
			return nil, fmt.Errorf("labels %q: bad value of %s: %w", s, name, err)
		}
		v, _ := strconv.Unquote(q)
		out = append(out, Label{Name: name, Value: v})
		rest = strings.TrimLeft(rest[len(q):], " ")
		if rest == "" {
			break
		}
		if rest[0] != ',' {
			return nil, fmt.Errorf("labels %q: want , between labels", s)
		}
		rest = strings.TrimLeft(rest[1:], " ")
	}
	return New(out...), nil
}
