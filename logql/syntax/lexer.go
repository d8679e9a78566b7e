package syntax

import (
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// lexer turns a query into tokens, skipping white space and # comments.
type lexer struct {
	src       string
	pos       int
	line, col int // position of src[pos]
}

func newLexer(src string) *lexer { return &lexer{src: src, line: 1, col: 1} }

func (l *lexer) errAt(line, col int, msg string) *ParseError {
	return &ParseError{Msg: msg, Line: line, Col: col}
}

// advance moves past n bytes, keeping line and column (counted in runes) up to date.
func (l *lexer) advance(n int) {
	for _, r := range l.src[l.pos : l.pos+n] {
		if r == '\n' {
			l.line++
			l.col = 1
		} else {
			l.col++
		}
	}
	l.pos += n
}

func (l *lexer) skipSpaceAndComments() {
	for l.pos < len(l.src) {
		r, size := utf8.DecodeRuneInString(l.src[l.pos:])
		switch {
		case r == '#':
			end := strings.IndexByte(l.src[l.pos:], '\n')
			if end < 0 {
				end = len(l.src) - l.pos
			}
			l.advance(end)
		case unicode.IsSpace(r):
			l.advance(size)
		default:
			return
		}
	}
}

var twoCharOps = map[string]tokKind{
	"!=": tokNeq, "=~": tokRe, "!~": tokNre, "|=": tokPipeEq, "|~": tokPipeRe, "|>": tokPipePat,
	"!>": tokNotPat, "==": tokCmpEq, ">=": tokGte, "<=": tokLte,
}

var oneCharOps = map[byte]tokKind{
	'{': tokLBrace, '}': tokRBrace, '(': tokLParen, ')': tokRParen, ',': tokComma, '=': tokEq,
	'|': tokPipe, '>': tokGt, '<': tokLt, '+': tokAdd, '-': tokSub, '*': tokMul, '/': tokDiv,
	'%': tokMod, '^': tokPow,
}

// next returns the next token.
func (l *lexer) next() (token, error) {
	l.skipSpaceAndComments()
	start, line, col := l.pos, l.line, l.col
	tok := func(k tokKind) (token, error) {
		return token{kind: k, text: l.src[start:l.pos], line: line, col: col}, nil
	}
	if l.pos >= len(l.src) {
		return tok(tokEOF)
	}
	c := l.src[l.pos]
	switch {
	case c == '"' || c == '`':
		return l.lexString(line, col)
	case c == '[':
		end := strings.IndexByte(l.src[l.pos:], ']')
		if end < 0 {
			return token{}, l.errAt(0, col, "missing closing ']' in duration")
		}
		l.advance(end + 1)
		t, _ := tok(tokRange)
		t.val = l.src[start+1 : l.pos-1]
		return t, nil
	case isDigit(c) || c == '.' && l.pos+1 < len(l.src) && isDigit(l.src[l.pos+1]):
		return l.lexNumber(line, col)
	case c == '-' && strings.HasPrefix(l.src[l.pos:], "--") && l.pos+2 < len(l.src) && isLetter(rune(l.src[l.pos+2])):
		end := l.pos + 2
		for end < len(l.src) && (isLetter(rune(l.src[end])) || l.src[end] == '-') {
			end++
		}
		if flag := l.src[l.pos:end]; flag == "--strict" || flag == "--keep-empty" {
			l.advance(end - l.pos)
			t, _ := tok(tokFlag)
			t.val = flag
			return t, nil
		}
	}
	if r, _ := utf8.DecodeRuneInString(l.src[l.pos:]); isLetter(r) {
		end := l.pos
		for end < len(l.src) {
			r, size := utf8.DecodeRuneInString(l.src[end:])
			if !isLetter(r) && !unicode.IsDigit(r) {
				break
			}
			end += size
		}
		l.advance(end - l.pos)
		return tok(tokIdent)
	}
	if l.pos+2 <= len(l.src) {
		if k, ok := twoCharOps[l.src[l.pos:l.pos+2]]; ok {
			l.advance(2)
			return tok(k)
		}
	}
	if k, ok := oneCharOps[c]; ok {
		l.advance(1)
		return tok(k)
	}
	r, _ := utf8.DecodeRuneInString(l.src[l.pos:])
	if r == utf8.RuneError {
		return token{}, l.errAt(line, col, "invalid UTF-8 encoding")
	}
	return token{}, l.errAt(line, col, "syntax error: unexpected character "+strconv.QuoteRune(r))
}

func (l *lexer) lexString(line, col int) (token, error) {
	start := l.pos
	q := l.src[l.pos]
	i := l.pos + 1
	for ; i < len(l.src); i++ {
		if l.src[i] == '\\' && q == '"' {
			i++
			continue
		}
		if l.src[i] == q {
			break
		}
		if l.src[i] == '\n' && q == '"' {
			return token{}, l.errAt(line, col, "literal not terminated")
		}
	}
	if i >= len(l.src) {
		return token{}, l.errAt(line, col, "literal not terminated")
	}
	text := l.src[start : i+1]
	if !utf8.ValidString(text) {
		return token{}, l.errAt(line, col, "invalid UTF-8 encoding")
	}
	val, err := strconv.Unquote(text)
	if err != nil {
		return token{}, l.errAt(line, col, err.Error())
	}
	l.advance(i + 1 - start)
	return token{kind: tokString, text: text, val: val, line: line, col: col}, nil
}

// lexNumber reads a number and, glued to it, any unit: 5m and 1h30m are durations, 150KB a
// byte size, 1e3 and 0x1F plain numbers. A number followed by letters that form no unit is
// an error rather than two tokens, so that typos like 5mn are reported where they are.
func (l *lexer) lexNumber(line, col int) (token, error) {
	start := l.pos
	i := l.pos
	if strings.HasPrefix(l.src[i:], "0x") || strings.HasPrefix(l.src[i:], "0X") {
		i += 2
		for i < len(l.src) && isHex(l.src[i]) {
			i++
		}
		if i < len(l.src) && isLetter(rune(l.src[i])) {
			return token{}, l.errAt(line, col, "invalid number "+strconv.Quote(l.src[start:i+1]))
		}
		l.advance(i - start)
		return token{kind: tokNumber, text: l.src[start:i], line: line, col: col}, nil
	}
	for i < len(l.src) && isDigit(l.src[i]) {
		i++
	}
	if i < len(l.src) && l.src[i] == '.' {
		i++
		for i < len(l.src) && isDigit(l.src[i]) {
			i++
		}
	}
	if i < len(l.src) && (l.src[i] == 'e' || l.src[i] == 'E') {
		j := i + 1
		if j < len(l.src) && (l.src[j] == '+' || l.src[j] == '-') {
			j++
		}
		if j >= len(l.src) || !isDigit(l.src[j]) {
			return token{}, l.errAt(line, col, "exponent has no digits")
		}
		for j < len(l.src) && isDigit(l.src[j]) {
			j++
		}
		i = j
	}
	numEnd := i
	// Units: letters, µ, and further digits and dots for composites like 1h30m or 1m1.5s.
	for i < len(l.src) {
		r, size := utf8.DecodeRuneInString(l.src[i:])
		if !isLetter(r) && !isDigit(l.src[i]) && l.src[i] != '.' {
			break
		}
		i += size
	}
	text := l.src[start:i]
	kind := tokNumber
	if i > numEnd {
		switch {
		case isDurationText(text):
			kind = tokDuration
		case isBytesText(text):
			kind = tokBytes
		default:
			return token{}, l.errAt(line, col, "invalid number, duration or byte size "+strconv.Quote(text))
		}
	}
	l.advance(i - start)
	return token{kind: kind, text: text, line: line, col: col}, nil
}

// parseLabelDuration reads a label-filter duration: Prometheus syntax first (which adds d,
// w, y), then Go's time.ParseDuration (which adds fractions, us and ns), as Loki does.
func parseLabelDuration(s string) (time.Duration, error) {
	if d, err := ParseDuration(s); err == nil {
		return d, nil
	}
	return time.ParseDuration(s)
}

func isDurationText(s string) bool {
	_, err := parseLabelDuration(s)
	return err == nil
}

func isBytesText(s string) bool {
	_, err := ParseBytes(s)
	return err == nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isHex(c byte) bool { return isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

func isLetter(r rune) bool { return r == '_' || unicode.IsLetter(r) }

// tokenize lexes the whole input; the parser works on the slice, which makes lookahead free.
func tokenize(src string) ([]token, error) {
	l := newLexer(src)
	var toks []token
	for {
		t, err := l.next()
		if err != nil {
			return nil, err
		}
		if lokiLinelessToken(t.kind) {
			t.line = 0
		}
		toks = append(toks, t)
		if t.kind == tokEOF {
			markFunctions(toks)
			return toks, nil
		}
	}
}
