package querier

import (
	"context"
	"errors"
	"net/http"

	"github.com/jetlog/jetlog/logql"
	"github.com/jetlog/jetlog/logql/syntax"
)

// statusClientClosedRequest is nginx's (and Loki's) status for a client that went away.
const statusClientClosedRequest = 499

// Loki 3.7's bodies for cancelled and timed-out requests (pkg/util/server).
const (
	msgClientCanceled   = "the request was cancelled by the client"
	msgDeadlineExceeded = "request timed out, decrease the duration of the request or add more label matchers (prefer exact match over regex match) to reduce the amount of data processed"
)

// httpError is an error with the status the API answers it with.
type httpError struct {
	status int
	msg    string
}

func (e *httpError) Error() string { return e.msg }

func badRequest(msg string) error { return &httpError{status: http.StatusBadRequest, msg: msg} }

// errorStatus maps an error to Loki's status and text body: 400 for parameter, parse and
// user errors (their message verbatim), 499 when the client went away, 504 when the query
// timed out, 503 when a dependency (the bus, the object store) cannot answer now, so that
// clients and proxies retry, 500 otherwise.
func errorStatus(ctx context.Context, err error) (int, string) {
	var he *httpError
	var pe *syntax.ParseError
	var ue *logql.UserError
	switch {
	case errors.As(err, &he):
		return he.status, he.msg
	case errors.As(err, &pe):
		return http.StatusBadRequest, pe.Error()
	case errors.As(err, &ue):
		return http.StatusBadRequest, ue.Msg
	case errors.Is(err, context.Canceled) && ctx.Err() != nil:
		return statusClientClosedRequest, msgClientCanceled
	case errors.Is(err, context.DeadlineExceeded):
		return http.StatusGatewayTimeout, msgDeadlineExceeded
	case ctx.Err() != nil && errors.Is(ctx.Err(), context.Canceled):
		return statusClientClosedRequest, msgClientCanceled
	case isUnavailable(err):
		return http.StatusServiceUnavailable, err.Error()
	default:
		return http.StatusInternalServerError, err.Error()
	}
}

// writeError writes status and msg as text/plain, as Loki does.
func writeError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(msg))
}

// unavailable is implemented by errors meaning "a dependency cannot answer now, retry later"
// (the bus's and the store's); the querier never imports them.
type unavailable interface{ Unavailable() bool }

func isUnavailable(err error) bool {
	var u unavailable
	return errors.As(err, &u) && u.Unavailable()
}
