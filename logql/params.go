package logql

import (
	"errors"
	"time"
)

// Params is one query as the HTTP API received it, after parsing and defaults.
type Params struct {
	Tenant    string
	Query     string
	Start     time.Time
	End       time.Time
	Step      time.Duration // range queries
	Interval  time.Duration // optional interval of log range queries
	Limit     int
	Direction Direction
	// Instant marks /loki/api/v1/query: Start == End, a log query is rejected with 400.
	Instant bool
	// CategorizeLabels is set by X-Loki-Response-Encoding-Flags: categorize-labels.
	CategorizeLabels bool
}

// UserError is an error caused by the query or its parameters: the API answers 400 with
// its message, as Loki does.
type UserError struct{ Msg string }

func (e *UserError) Error() string { return e.Msg }

// NewUserError returns a *UserError.
func NewUserError(msg string) error { return &UserError{Msg: msg} }

// IsUserError reports whether err (or anything it wraps) is a *UserError.
func IsUserError(err error) bool {
	var ue *UserError
	return errors.As(err, &ue)
}
