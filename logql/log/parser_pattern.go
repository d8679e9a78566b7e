package log

// patternParser sets a label for every named capture of a matching line; a line that does
// not match gets no labels and no error, as in Loki.
type patternParser struct {
	p *pattern
	b *builder
}

func (pp *patternParser) process(_ int64, line []byte, b *builder) ([]byte, bool) {
	pp.b = b
	pp.p.matches(line, true, pp.set)
	return line, true
}

func (pp *patternParser) set(name string, value []byte) {
	pp.b.setParsed(name, string(value))
}
