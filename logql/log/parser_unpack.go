package log

// unpackParser reads Promtail's packed JSON: the "_entry" key replaces the line and every
// other top-level string becomes a label. Other values are ignored.
type unpackParser struct {
	s   jsonScanner
	out []byte
}

const packedEntryKey = "_entry"

func (p *unpackParser) process(_ int64, line []byte, b *builder) ([]byte, bool) {
	p.s = jsonScanner{data: line, buf: p.s.buf}
	if p.s.peek() != '{' {
		b.setErr(errJSON, "Value looks like object, but can't find opening '{' symbol")
		return line, true
	}
	var entry []byte
	hasEntry := false
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
			entry = append(p.out[:0], v...)
			hasEntry = true
			return nil
		}
		if name := sanitizeLabelKey(k, true); name != "" {
			b.setParsed(name, string(v))
		}
		return nil
	})
	if err == nil {
		err = p.s.end()
	}
	if err != nil {
		b.setErr(errJSON, err.Error())
		return line, true
	}
	if hasEntry {
		p.out = entry
		return entry, true
	}
	return line, true
}
