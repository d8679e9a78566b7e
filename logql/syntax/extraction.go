package syntax

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Loki parses the expressions of `json a="x.y[0]"` and `logfmt a="k"` when it builds the
// pipeline and reports a bad one as a parse error naming the stage. The checkers below
// accept the same expressions and fail with the same messages, so the engine may assume
// well-formed expressions.

// stageError is Loki's wrapping of an error found while building a stage.
func stageError(s Stage, format string, args ...any) *ParseError {
	return newParseError("stage '%s' : %s", s, fmt.Sprintf(format, args...))
}

func isFieldByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// checkJSONPath validates a JSON extraction path: fields joined by dots, and bracketed
// indexes or quoted keys: a.b[0], ["a b"].c, [2].
func checkJSONPath(expr string) error {
	const (
		stStart = iota // nothing read: expect FIELD or [
		stAfter        // an element read: expect $end, . or [
		stDot          // after .: expect FIELD
		stLSB          // after [: expect STRING or INDEX
		stRSB          // after [STRING or [INDEX: expect ]
	)
	state := stStart
	syntaxErr := func(tok string) error {
		want := map[int]string{stStart: ", expecting LSB or FIELD", stDot: ", expecting FIELD",
			stLSB: ", expecting STRING or INDEX", stRSB: ", expecting RSB"}[state]
		return fmt.Errorf("syntax error: unexpected %s%s", tok, want)
	}
	for i := 0; i < len(expr); {
		c := expr[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
			continue
		case c == '.':
			if state != stAfter {
				return syntaxErr("DOT")
			}
			state = stDot
			i++
		case c == '[':
			if state != stStart && state != stAfter {
				return syntaxErr("LSB")
			}
			state = stLSB
			i++
		case c == ']':
			if state != stRSB {
				return syntaxErr("RSB")
			}
			state = stAfter
			i++
		case c == '"':
			end := i + 1
			for end < len(expr) && expr[end] != '"' {
				if expr[end] == '\\' {
					end++
				}
				end++
			}
			if end >= len(expr) {
				return fmt.Errorf("unexpected end of string %s", expr[i:])
			}
			if _, err := strconv.Unquote(expr[i : end+1]); err != nil {
				return fmt.Errorf("invalid string %s: %w", expr[i:end+1], err)
			}
			if state != stLSB {
				return syntaxErr("STRING")
			}
			state = stRSB
			i = end + 1
		case isFieldByte(c):
			end := i
			for end < len(expr) && isFieldByte(expr[end]) {
				end++
			}
			word := expr[i:end]
			i = end
			if state == stLSB && strings.Trim(word, "0123456789") == "" {
				if strings.TrimSpace(expr[i:]) == "" {
					return syntaxErr("$end") // Loki reads an index only with its ]
				}
				state = stRSB
				continue
			}
			if state != stStart && state != stDot {
				return syntaxErr("FIELD")
			}
			state = stAfter
		default:
			r, _ := utf8.DecodeRuneInString(expr[i:])
			return fmt.Errorf("unexpected char %c", r)
		}
	}
	if state != stAfter {
		return syntaxErr("$end")
	}
	return nil
}

// LogfmtKey returns the line key a logfmt extraction expression names, reading it as Loki's
// expression lexer and grammar do: one KEY (a letter or _, then letters, digits or _), or
// double-quoted STRINGs taken verbatim up to the next " or ], the first possibly a KEY.
// Whitespace is space, tab or newline; a NUL byte ends the input. Any other character is an
// error, and so is a dash: `user-id` is not a key (Loki's lexer stops the KEY at the dash).
//
// Loki compares the key with the sanitised line key (user-id is read as user_id), so only a
// key of letters, digits and _ can ever match. It formats an expression of several parts
// with a single %v verb, which leaves a '%' in the name: such an expression matches no key,
// and LogfmtKey returns "" for it.
func LogfmtKey(expr string) (string, error) {
	var parts []string
	i := 0
scan:
	for i < len(expr) {
		c := expr[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n':
			i++
		case c == 0:
			break scan
		case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			if len(parts) > 0 {
				return "", fmt.Errorf("syntax error: unexpected KEY")
			}
			j := i + 1
			for j < len(expr) && isFieldByte(expr[j]) {
				j++
			}
			parts = append(parts, expr[i:j])
			i = j
		case c == '"':
			j := i + 1
			for j < len(expr) && expr[j] != '"' && expr[j] != ']' && expr[j] != 0 {
				j++
			}
			parts = append(parts, expr[i+1:j])
			i = j + 1
		default:
			if len(parts) == 0 {
				// The lexer's error ends the input; the grammar then reports the empty one.
				break scan
			}
			r, _ := utf8.DecodeRuneInString(expr[i:])
			return "", fmt.Errorf("unexpected char %c", r)
		}
	}
	switch len(parts) {
	case 0:
		return "", fmt.Errorf("syntax error: unexpected $end, expecting STRING or KEY")
	case 1:
		return parts[0], nil
	}
	return "", nil
}

// checkExtractions validates the parameters of a json or logfmt stage.
func checkExtractions(s *ParserStage) error {
	check := checkJSONPath
	if s.Kind == ParserLogfmt {
		check = func(expr string) error { _, err := LogfmtKey(expr); return err }
	}
	for _, x := range s.Extractions {
		if err := check(x.Expr); err != nil {
			return stageError(s, "cannot parse expression [%s]: %s", x.Expr, err)
		}
	}
	return nil
}
