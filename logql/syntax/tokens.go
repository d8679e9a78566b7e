package syntax

import "strings"

// tokKind is the kind of a lexical token. Words (label names, keywords and function names)
// are all tokIdent: the parser decides from context whether `json` is a parser or a label,
// which keeps keywords case-insensitive and lets labels share names with them.
type tokKind int

const (
	tokEOF tokKind = iota
	tokIdent
	tokString   // "double quoted" (Go escapes) or `raw`; val holds the unquoted text
	tokNumber   // 42, 1.5, 1e3, 0x1f
	tokDuration // 5m, 1h30m, 1.5s: a number glued to duration units
	tokBytes    // 150KB, 2MiB
	tokRange    // [5m]; val holds the text between the brackets
	tokFlag     // --strict, --keep-empty
	tokLBrace   // {
	tokRBrace   // }
	tokLParen   // (
	tokRParen   // )
	tokComma    // ,
	tokEq       // =
	tokNeq      // !=
	tokRe       // =~
	tokNre      // !~
	tokPipeEq   // |=
	tokPipeRe   // |~
	tokPipePat  // |>
	tokNotPat   // !>
	tokPipe     // |
	tokCmpEq    // ==
	tokGt       // >
	tokGte      // >=
	tokLt       // <
	tokLte      // <=
	tokAdd      // +
	tokSub      // -
	tokMul      // *
	tokDiv      // /
	tokMod      // %
	tokPow      // ^
)

var punctText = map[tokKind]string{
	tokLBrace: "{", tokRBrace: "}", tokLParen: "(", tokRParen: ")", tokComma: ",",
	tokEq: "=", tokNeq: "!=", tokRe: "=~", tokNre: "!~", tokPipeEq: "|=", tokPipeRe: "|~",
	tokPipePat: "|>", tokNotPat: "!>", tokPipe: "|", tokCmpEq: "==", tokGt: ">", tokGte: ">=",
	tokLt: "<", tokLte: "<=", tokAdd: "+", tokSub: "-", tokMul: "*", tokDiv: "/", tokMod: "%",
	tokPow: "^",
}

// keywords are the words Loki's lexer turns into their own tokens; errors name them by
// their text ("unexpected by") rather than as IDENTIFIER, as Loki does.
var keywords = map[string]bool{
	"by": true, "without": true, "bool": true, "on": true, "ignoring": true,
	"group_left": true, "group_right": true, "offset": true, "unwrap": true,
	"and": true, "or": true, "unless": true, "json": true, "logfmt": true, "regexp": true,
	"pattern": true, "unpack": true, "line_format": true, "label_format": true,
	"decolorize": true, "drop": true, "keep": true, "ip": true, "label_replace": true,
}

type token struct {
	kind      tokKind
	text      string // source text of the token
	val       string // unquoted string, range body or flag
	line, col int    // 1-based position of the first character
	fn        bool   // a function name used as a call: sum(, rate by (
}

// functionTokens are the words Loki lexes as their own token only when a call follows;
// errors name them by these token names ("unexpected RATE").
var functionTokens = buildFunctionTokens()

func buildFunctionTokens() map[string]string {
	m := map[string]string{
		"bytes": "BYTES_CONV", "duration": "DURATION_CONV", "duration_seconds": "DURATION_SECONDS_CONV",
		"vector": "VECTOR", "approx_topk": "APPROX_TOPK", "label_replace": "label_replace", "ip": "ip",
	}
	for op := range rangeOps {
		m[op] = strings.ToUpper(op)
	}
	for op := range vectorOps {
		m[op] = strings.ToUpper(op)
	}
	return m
}

// describe names the token the way a yacc parser would in "unexpected X".
func (t token) describe() string {
	switch t.kind {
	case tokEOF:
		return "$end"
	case tokIdent:
		l := strings.ToLower(t.text)
		if name, ok := functionTokens[l]; ok && t.fn {
			return name
		}
		if keywords[l] {
			return l
		}
		return "IDENTIFIER"
	case tokString:
		return "STRING"
	case tokNumber:
		return "NUMBER"
	case tokDuration:
		return "DURATION"
	case tokBytes:
		return "BYTES"
	case tokRange:
		return "RANGE"
	case tokFlag:
		return "PARSER_FLAG"
	}
	return punctText[t.kind]
}

// is reports whether t is the word w, ignoring case.
func (t token) is(w string) bool { return t.kind == tokIdent && strings.EqualFold(t.text, w) }

// markFunctions flags function names followed by ( or by/without (, as Loki's lexer does
// to tell sum( from a label named sum.
func markFunctions(toks []token) {
	for i := range toks {
		t := &toks[i]
		if t.kind != tokIdent {
			continue
		}
		if _, ok := functionTokens[strings.ToLower(t.text)]; !ok || i+1 >= len(toks) {
			continue
		}
		n := toks[i+1]
		t.fn = n.kind == tokLParen ||
			(n.is("by") || n.is("without")) && i+2 < len(toks) && toks[i+2].kind == tokLParen
	}
}

// lokiLinelessToken reports the tokens Loki's lexer finishes with Scanner.Next, which
// forgets the line: Loki reports errors at them as "line 0, col N", and so do we.
func lokiLinelessToken(k tokKind) bool {
	switch k {
	case tokRange, tokDuration, tokBytes, tokFlag, tokNeq, tokRe, tokNre, tokNotPat,
		tokPipeEq, tokPipeRe, tokPipePat, tokCmpEq, tokGte, tokLte:
		return true
	}
	return false
}
