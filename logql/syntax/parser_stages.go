package syntax

import (
	"regexp"
	"strconv"
	"strings"
)

var stageKeywords = map[string]bool{
	"json": true, "logfmt": true, "regexp": true, "pattern": true, "unpack": true,
	"line_format": true, "label_format": true, "drop": true, "keep": true, "decolorize": true,
}

// parseStage reads what follows a `|`: a parser, a formatter, drop/keep, decolorize or a
// label filter. A keyword followed by a comparison (| json="x") is a label filter on a
// label of that name.
func (p *parser) parseStage() (Stage, error) {
	t := p.peek()
	kw := strings.ToLower(t.text)
	if t.kind != tokIdent || !stageKeywords[kw] || isLabelFilterOp(p.peekN(1).kind) {
		f, err := p.parseLabelFilterOr()
		if err != nil {
			return nil, err
		}
		return &LabelFilterStage{Filter: f}, nil
	}
	p.next()
	switch kw {
	case "json":
		xs, err := p.parseExtractions()
		if err != nil {
			return nil, err
		}
		s := &ParserStage{Kind: ParserJSON, Extractions: xs}
		return s, checkExtractions(s)
	case "logfmt":
		s := &ParserStage{Kind: ParserLogfmt}
		for p.peek().kind == tokFlag {
			switch p.next().val {
			case "--strict":
				s.Strict = true
			case "--keep-empty":
				s.KeepEmpty = true
			}
		}
		var err error
		if s.Extractions, err = p.parseExtractions(); err != nil {
			return nil, err
		}
		return s, checkExtractions(s)
	case "regexp":
		s, err := p.expect(tokString)
		if err != nil {
			return nil, err
		}
		if err := validateRegexpParser(s.val); err != nil {
			return nil, err
		}
		return &ParserStage{Kind: ParserRegexp, Param: s.val}, nil
	case "pattern":
		s, err := p.expect(tokString)
		if err != nil {
			return nil, err
		}
		if err := validatePattern(s.val); err != nil {
			return nil, err
		}
		return &ParserStage{Kind: ParserPattern, Param: s.val}, nil
	case "unpack":
		return &ParserStage{Kind: ParserUnpack}, nil
	case "decolorize":
		return &DecolorizeStage{}, nil
	case "line_format":
		s, err := p.expect(tokString)
		if err != nil {
			return nil, err
		}
		return &LineFormatStage{Template: s.val}, nil
	case "label_format":
		return p.parseLabelFormat()
	case "drop":
		ls, err := p.parseLabelSels()
		return &DropStage{Labels: ls}, err
	case "keep":
		ls, err := p.parseLabelSels()
		return &KeepStage{Labels: ls}, err
	}
	return nil, p.unexpected(t)
}

// parseExtractions reads the optional parameters of json and logfmt: a="expr", b, ...
func (p *parser) parseExtractions() ([]LabelExtraction, error) {
	var xs []LabelExtraction
	if p.peek().kind != tokIdent {
		return nil, nil
	}
	for {
		name, err := p.expect(tokIdent)
		if err != nil {
			return nil, err
		}
		x := LabelExtraction{Label: name.text, Expr: name.text}
		if p.peek().kind == tokEq {
			p.next()
			s, err := p.expect(tokString)
			if err != nil {
				return nil, err
			}
			x.Expr = s.val
		}
		xs = append(xs, x)
		if p.peek().kind != tokComma {
			return xs, nil
		}
		p.next()
	}
}

// parseLabelFormat reads dst=src (rename) or dst="template", comma separated, with
// Loki's checks: a label is the target of one operation only, and __error__ is never one.
func (p *parser) parseLabelFormat() (Stage, error) {
	s := &LabelFormatStage{}
	for {
		dst, err := p.expect(tokIdent)
		if err != nil {
			return nil, err
		}
		if _, err := p.expect(tokEq); err != nil {
			return nil, err
		}
		v := p.next()
		op := LabelFmt{Dst: dst.text}
		switch v.kind {
		case tokIdent:
			op.Rename, op.Value = true, v.text
		case tokString:
			op.Value = v.val
		default:
			return nil, p.unexpected(v, "IDENTIFIER", "STRING")
		}
		s.Ops = append(s.Ops, op)
		if p.peek().kind != tokComma {
			break
		}
		p.next()
	}
	seen := map[string]bool{}
	for _, op := range s.Ops {
		if op.Dst == "__error__" {
			return nil, newParseError("stage '%s' : __error__ cannot be formatted", lokiLabelFormat(s))
		}
		if seen[op.Dst] {
			return nil, newParseError("stage '%s' : multiple label name '%s' not allowed in a single format operation", lokiLabelFormat(s), op.Dst)
		}
		seen[op.Dst] = true
	}
	return s, nil
}

// lokiLabelFormat renders the stage as Loki does in its errors: operations joined by a
// bare comma.
func lokiLabelFormat(s *LabelFormatStage) string {
	parts := make([]string, len(s.Ops))
	for i, op := range s.Ops {
		if op.Rename {
			parts[i] = op.Dst + "=" + op.Value
		} else {
			parts[i] = op.Dst + "=" + strconv.Quote(op.Value)
		}
	}
	return "| label_format " + strings.Join(parts, ",")
}

// parseLabelSels reads the arguments of drop and keep: name or name op "value", comma
// separated.
func (p *parser) parseLabelSels() ([]LabelSel, error) {
	var ls []LabelSel
	for {
		if _, ok := matchOps[p.peekN(1).kind]; ok && p.peekN(2).kind == tokString {
			m, err := p.parseMatcher()
			if err != nil {
				return nil, err
			}
			ls = append(ls, LabelSel{Name: m.Name, Matcher: m})
		} else {
			name, err := p.expect(tokIdent)
			if err != nil {
				return nil, err
			}
			ls = append(ls, LabelSel{Name: name.text})
		}
		if p.peek().kind != tokComma {
			return ls, nil
		}
		p.next()
	}
}

var labelNameRE = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// validateRegexpParser requires a valid RE2 expression with at least one named group, each
// name used once, as Loki's regexp parser does at parse time. Names that are not valid
// label names (1a) are accepted, as Loki does; the stage sanitises them.
func validateRegexpParser(re string) error {
	r, err := regexp.Compile(re)
	if err != nil {
		return newParseError("invalid regexp parser: %s", err.Error())
	}
	seen := map[string]bool{}
	for _, n := range r.SubexpNames() {
		if n == "" {
			continue
		}
		if seen[n] {
			return newParseError("invalid regexp parser: duplicate extracted label name '%s'", n)
		}
		seen[n] = true
	}
	if len(seen) == 0 {
		return newParseError("invalid regexp parser: at least one named capture must be supplied")
	}
	return nil
}

// validatePattern checks a pattern parser expression as Loki does: literals and <name>
// captures (<_> matches without capturing), at least one named capture, no two captures
// side by side and no name twice, checked in that order.
func validatePattern(pat string) error {
	if pat == "" {
		return newParseError("invalid pattern parser: parse error at line 1, col 1: syntax error: unexpected $end, expecting IDENTIFIER or LITERAL")
	}
	type node struct {
		text    string
		capture bool
	}
	var nodes []node
	for i := 0; i < len(pat); {
		if pat[i] == '<' {
			if end := strings.IndexByte(pat[i:], '>'); end > 1 {
				if name := pat[i+1 : i+end]; name == "_" || labelNameRE.MatchString(name) {
					nodes = append(nodes, node{text: pat[i : i+end+1], capture: true})
					i += end + 1
					continue
				}
			}
		}
		if n := len(nodes); n > 0 && !nodes[n-1].capture {
			nodes[n-1].text += pat[i : i+1]
		} else {
			nodes = append(nodes, node{text: pat[i : i+1]})
		}
		i++
	}
	named := 0
	for _, n := range nodes {
		if n.capture && n.text != "<_>" {
			named++
		}
	}
	if named == 0 {
		return newParseError("invalid pattern parser: at least one capture is required")
	}
	for i := 1; i < len(nodes); i++ {
		if nodes[i].capture && nodes[i-1].capture {
			return newParseError("invalid pattern parser: found consecutive capture '%s': invalid expression", nodes[i-1].text+nodes[i].text)
		}
	}
	seen := map[string]bool{}
	for _, n := range nodes {
		if !n.capture || n.text == "<_>" {
			continue
		}
		name := n.text[1 : len(n.text)-1]
		if seen[name] {
			return newParseError("invalid pattern parser: duplicate capture name (%s): invalid expression", name)
		}
		seen[name] = true
	}
	return nil
}
