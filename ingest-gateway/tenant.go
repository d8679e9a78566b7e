package gateway

import (
	"errors"
	"net/http"
	"strings"

	"github.com/jetlog/jetlog/schemas"
)

// Tenant handling follows Loki (dskit's user and tenant packages): the header names the
// tenant, valid by schemas.ValidTenantID. Push accepts one tenant only; "a|b" is refused.
const (
	orgIDHeader  = "X-Scope-OrgID"
	noAuthTenant = "fake"
)

var (
	errNoOrgID       = errors.New("no org id")
	errTooManyOrgIDs = errors.New("multiple org IDs present")
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
	if err := schemas.ValidTenantID(id); err != nil {
		return "", &tenantError{http.StatusBadRequest, err}
	}
	return id, nil
}
