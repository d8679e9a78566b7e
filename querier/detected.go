package querier

import (
	"encoding/json"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jetlog/jetlog/logql"
	"github.com/jetlog/jetlog/logql/syntax"
)

// Field types of detected_fields, Loki's names.
const (
	typeString   = "string"
	typeInt      = "int"
	typeFloat    = "float"
	typeBoolean  = "boolean"
	typeDuration = "duration"
	typeBytes    = "bytes"
)

// detectedField accumulates one field across the sampled lines.
type detectedField struct {
	name    string
	typ     string
	values  map[string]struct{}
	parsers map[string]struct{} // "json", "logfmt"; empty for structured metadata
	path    []string            // JSON path of a json field
}

// fieldDetector collects fields from log lines. Values are kept to count cardinality
// exactly: the sample is bounded by the line limit, so the memory is too.
type fieldDetector struct {
	fields map[string]*detectedField
}

func newFieldDetector() *fieldDetector { return &fieldDetector{fields: map[string]*detectedField{}} }

func (d *fieldDetector) add(name, value, parser string, path []string) {
	f := d.fields[name]
	if f == nil {
		f = &detectedField{name: name, values: map[string]struct{}{}, parsers: map[string]struct{}{}, path: path}
		d.fields[name] = f
	}
	f.values[value] = struct{}{}
	if parser != "" {
		f.parsers[parser] = struct{}{}
	}
	f.typ = mergeType(f.typ, valueType(value))
}

// addEntry detects the fields of one entry: its structured metadata, then its line as JSON
// (when it looks like an object) or logfmt.
func (d *fieldDetector) addEntry(e logql.Entry) {
	for _, l := range e.StructuredMetadata {
		d.add(l.Name, l.Value, "", nil)
	}
	line := strings.TrimSpace(e.Line)
	if strings.HasPrefix(line, "{") {
		var obj map[string]any
		if json.Unmarshal([]byte(line), &obj) == nil {
			d.addJSON(obj, nil)
			return
		}
	}
	for _, kv := range parseLogfmt(line) {
		d.add(kv[0], kv[1], "logfmt", nil)
	}
}

// addJSON flattens nested objects with '_' as Loki's json parser does.
func (d *fieldDetector) addJSON(obj map[string]any, path []string) {
	for k, v := range obj {
		p := append(append([]string(nil), path...), k)
		switch x := v.(type) {
		case map[string]any:
			d.addJSON(x, p)
		case string:
			d.add(sanitizeName(strings.Join(p, "_")), x, "json", p)
		case float64:
			d.add(sanitizeName(strings.Join(p, "_")), strconv.FormatFloat(x, 'f', -1, 64), "json", p)
		case bool:
			d.add(sanitizeName(strings.Join(p, "_")), strconv.FormatBool(x), "json", p)
		}
	}
}

// sanitizeName turns a key into a valid label name, as Loki's parsers do.
func sanitizeName(s string) string {
	b := []byte(s)
	for i, c := range b {
		ok := c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || (i > 0 && c >= '0' && c <= '9')
		if !ok {
			b[i] = '_'
		}
	}
	return string(b)
}

// parseLogfmt returns the key=value pairs of a logfmt line; bare words are skipped and a
// line without any pair yields nothing.
func parseLogfmt(line string) [][2]string {
	var out [][2]string
	i := 0
	for i < len(line) {
		for i < len(line) && line[i] == ' ' {
			i++
		}
		ks := i
		for i < len(line) && line[i] != '=' && line[i] != ' ' {
			i++
		}
		key := line[ks:i]
		if i >= len(line) || line[i] != '=' {
			continue
		}
		i++
		var val string
		if i < len(line) && line[i] == '"' {
			j := i + 1
			for j < len(line) && line[j] != '"' {
				if line[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(line) {
				return out
			}
			if v, err := strconv.Unquote(line[i : j+1]); err == nil {
				val = v
			} else {
				val = line[i+1 : j]
			}
			i = j + 1
		} else {
			vs := i
			for i < len(line) && line[i] != ' ' {
				i++
			}
			val = line[vs:i]
		}
		if key != "" {
			out = append(out, [2]string{sanitizeName(key), val})
		}
	}
	return out
}

// valueType classifies one value.
func valueType(v string) string {
	if v == "true" || v == "false" {
		return typeBoolean
	}
	if _, err := strconv.ParseInt(v, 10, 64); err == nil {
		return typeInt
	}
	if _, err := strconv.ParseFloat(v, 64); err == nil {
		return typeFloat
	}
	if _, err := time.ParseDuration(v); err == nil {
		return typeDuration
	}
	if _, err := syntax.ParseBytes(v); err == nil && strings.IndexAny(v, "0123456789") == 0 {
		return typeBytes
	}
	return typeString
}

// mergeType is the type of a field seen with both a and b: ints widen to floats, any other
// disagreement makes a string.
func mergeType(a, b string) string {
	switch {
	case a == "" || a == b:
		return b
	case (a == typeInt && b == typeFloat) || (a == typeFloat && b == typeInt):
		return typeFloat
	default:
		return typeString
	}
}

// sorted returns the fields by name.
func (d *fieldDetector) sorted() []*detectedField {
	out := make([]*detectedField, 0, len(d.fields))
	for _, f := range d.fields {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}
