package gateway

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Tenant handling follows Loki (dskit's user and tenant packages): the header names the
// tenant, at most 150 characters from [A-Za-z0-9!-_.*'()], not "." or "..". Push accepts one
// tenant only; "a|b" is refused. schemas.TenantToken later escapes '.', '*' and the rest, so a
// valid ID can never form another subject or object key.
const (
	orgIDHeader     = "X-Scope-OrgID"
	noAuthTenant    = "fake"
	maxTenantLength = 150
)

var (
	errNoOrgID        = errors.New("no org id")
	errTooManyOrgIDs  = errors.New("multiple org IDs present")
	errTenantTooLong  = fmt.Errorf("tenant ID is too long: max %d characters", maxTenantLength)
	errUnsafeTenantID = errors.New("tenant ID is '.' or '..'")
)

// tenantError carries the status Loki answers for a tenant problem.
type tenantError struct {
	status int
	err    error
}

func (e *tenantError) Error() string { return e.err.Error() }

// tenantFromRequest returns the push's tenant or a *tenantError (401 when missing, 400 invalid).
func tenantFromRequest(r *http.Request, authEnabled bool) (string, error) {
	if !authEnabled {
		return noAuthTenant, nil
	}
	id := r.Header.Get(orgIDHeader)
	if id == "" {
		return "", &tenantError{http.StatusUnauthorized, errNoOrgID}
	}
	if strings.Contains(id, "|") {
		return "", &tenantError{http.StatusBadRequest, errTooManyOrgIDs}
	}
	if err := validTenantID(id); err != nil {
		return "", &tenantError{http.StatusBadRequest, err}
	}
	return id, nil
}

// validTenantID applies Loki's tenant ID rules.
func validTenantID(s string) error {
	for i := 0; i < len(s); i++ {
		if !tenantByte(s[i]) {
			return fmt.Errorf("tenant ID '%s' contains unsupported character '%c'", s, rune(s[i]))
		}
	}
	if len(s) > maxTenantLength {
		return errTenantTooLong
	}
	if s == "." || s == ".." {
		return errUnsafeTenantID
	}
	return nil
}

func tenantByte(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	switch c {
	case '!', '-', '_', '.', '*', '\'', '(', ')':
		return true
	}
	return false
}
