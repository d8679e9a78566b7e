package log

// unpackParser reads Promtail's packed JSON: the "_entry" key replaces the line and the
// other top-level string values become labels. As in Loki, labels are added only when the
// object has an "_entry"; other value types are ignored; an empty line is left alone.
type unpackParser struct {
	s      jsonScanner
	out    []byte
	labels []string // name, value pairs waiting for the _entry check
}

const packedEntryKey = "_entry"

// errNotJSONObject is Loki's message for a line that does not start with '{'.
const errNotJSONObject = "expecting json object(6), but it is not"

func (p *unpackParser) process(_ int64, line []byte, b *builder) ([]byte, bool) {
	if len(line) == 0 {
		return line, true
	}
	if line[0] != '{' {
		b.setErr(errJSON, errNotJSONObject)
		return line, true
	}
	p.s = jsonScanner{data: line, buf: p.s.buf}
	p.labels = p.labels[:0]
	packed := false
	err := p.s.eachMember(0, func(key []byte) error {
		if p.s.peek() != '"' {
			_, err := p.s.skipValue(1)
			return err
		}
		k := string(key)
		v, err := p.s.readString()
		if err != nil {
			return err
		}
		if k == packedEntryKey {
			p.out = append(p.out[:0], v...)
			packed = true
			return nil
		}
		if b.baseHas(k) {
			k += duplicateSuffix
		}
		p.labels = append(p.labels, sanitizeLabelKey(k, true), cleanUTF8(string(v)))
		return nil
	})
	if err != nil {
		b.setErr(errJSON, lokiJSONError(err))
		return line, true
	}
	if !packed {
		return line, true
	}
	for i := 0; i+1 < len(p.labels); i += 2 {
		if p.labels[i] != "" {
			b.set(p.labels[i], p.labels[i+1])
		}
	}
	return p.out, true
}
