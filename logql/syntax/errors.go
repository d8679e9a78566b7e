package syntax

import (
	"errors"
	"fmt"
)

// Errors of ParseLogSelector, ParseSampleExpr and ParseMatchers for a query that parses
// but is of the wrong kind. Loki returns these texts without the "parse error" prefix;
// the HTTP API answers them with status 400 like a *ParseError.
var (
	ErrNotLogSelector = errors.New("only log selector is supported")
	ErrNotSampleExpr  = errors.New("only sample expression supported")
	ErrNotMatchers    = errors.New("only label matchers are supported")
)

// ParseError is a LogQL syntax or validation error. Its text mimics Loki's, because the HTTP
// API returns it verbatim with status 400 and Grafana shows it to the user. Line and Col are
// 1-based; both are zero for errors found after parsing (semantic checks), which Loki
// reports without a position.
type ParseError struct {
	Msg       string
	Line, Col int
}

func (e *ParseError) Error() string {
	if e.Line == 0 && e.Col == 0 {
		return "parse error : " + e.Msg
	}
	return fmt.Sprintf("parse error at line %d, col %d: %s", e.Line, e.Col, e.Msg)
}

// newParseError is an error without a position (Loki's semantic checks).
func newParseError(format string, args ...any) *ParseError {
	return &ParseError{Msg: fmt.Sprintf(format, args...)}
}
