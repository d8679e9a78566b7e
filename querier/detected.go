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

// errorLabels are the pipeline's error labels, never reported as fields.
var errorLabels = map[string]bool{"__error__": true, "__error_details__": true, "__preserve_error__": true}

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
	// typed holds the fields whose type was set from the current stream: as in Loki, a
	// field's type comes from its first value in a stream, and a later stream re-decides it.
	typed map[string]bool
}

func newFieldDetector() *fieldDetector {
	return &fieldDetector{fields: map[string]*detectedField{}, typed: map[string]bool{}}
}

// nextStream starts a new stream: field types are decided again from its values.
func (d *fieldDetector) nextStream() { clear(d.typed) }

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
	if !d.typed[name] {
		d.typed[name] = true
		f.typ = valueType(value)
	}
}

// addEntry detects the fields of one entry: its structured metadata, the labels the query's
// own parsers extracted, and its line parsed as JSON (when it is an object) or else logfmt.
func (d *fieldDetector) addEntry(e logql.Entry) {
	for _, l := range e.StructuredMetadata {
		d.add(l.Name, l.Value, "", nil)
	}
	parser := ""
	line := strings.TrimSpace(e.Line)
	var obj map[string]any
	if strings.HasPrefix(line, "{") && json.Unmarshal([]byte(line), &obj) == nil {
		parser = "json"
		d.addJSON(obj, nil)
	} else if kvs := parseLogfmt(line); len(kvs) > 0 {
		parser = "logfmt"
		for _, kv := range kvs {
			d.add(kv[0], kv[1], parser, nil)
		}
	}
	for _, l := range e.Parsed {
		if !errorLabels[l.Name] {
			d.add(l.Name, l.Value, parser, nil)
		}
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

// valueType classifies one value, trying the types in Loki's order.
func valueType(v string) string {
	if _, err := strconv.ParseInt(v, 10, 64); err == nil {
		return typeInt
	}
	if _, err := strconv.ParseFloat(v, 64); err == nil {
		return typeFloat
	}
	if _, err := strconv.ParseBool(v); err == nil {
		return typeBoolean
	}
	if _, err := time.ParseDuration(v); err == nil {
		return typeDuration
	}
	if _, err := syntax.ParseBytes(v); err == nil && strings.IndexAny(v, "0123456789") == 0 {
		return typeBytes
	}
	return typeString
}

// staticLabels are always offered by detected_labels, whatever their values (Loki's set).
var staticLabels = map[string]bool{"cluster": true, "namespace": true, "instance": true, "pod": true}

// rejectLabel reports whether detected_labels leaves a label out, as Loki does: when it has
// no values, or every value is an ID (a number or a UUID) — except a label whose one or two
// values are all "0" or "1", which looks like a flag.
func rejectLabel(values []string) bool {
	if len(values) == 0 {
		return true
	}
	if len(values) <= 2 {
		flag := true
		for _, v := range values {
			if v != "0" && v != "1" {
				flag = false
			}
		}
		if flag {
			return false
		}
	}
	for _, v := range values {
		if _, err := strconv.ParseFloat(v, 64); err != nil && !isUUID(v) {
			return false
		}
	}
	return true
}

// isUUID accepts the forms Loki's UUID parser does: 8-4-4-4-12 hex digits, optionally in
// braces or after "urn:uuid:", or 32 hex digits without dashes.
func isUUID(s string) bool {
	switch {
	case len(s) == 45 && strings.EqualFold(s[:9], "urn:uuid:"):
		s = s[9:]
	case len(s) == 38 && s[0] == '{' && s[37] == '}':
		s = s[1:37]
	case len(s) == 32:
		return isHex(s)
	}
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return false
	}
	return isHex(s[:8]) && isHex(s[9:13]) && isHex(s[14:18]) && isHex(s[19:23]) && isHex(s[24:])
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
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
