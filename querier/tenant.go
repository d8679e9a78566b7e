package querier

import (
	"net/http"
	"strings"

	"github.com/jetlog/jetlog/schemas"
)

const (
	orgIDHeader = "X-Scope-OrgID"
	// defaultTenant is Loki's tenant when auth_enabled is false.
	defaultTenant = "fake"
	// tenantLabel is added to results of multi-tenant queries, as Loki does.
	tenantLabel = "__tenant_id__"
)

// tenants returns the request's tenant IDs: one, or several separated by '|' when
// multi-tenant queries are enabled. Messages are Loki's (dskit's tenant package).
func (a *API) tenants(r *http.Request) ([]string, error) {
	h := r.Header.Get(orgIDHeader)
	if !a.cfg.AuthEnabled {
		if h == "" {
			return []string{defaultTenant}, nil
		}
	} else if h == "" {
		return nil, &httpError{status: http.StatusUnauthorized, msg: "no org id"}
	}
	ids := strings.Split(h, "|")
	if len(ids) > 1 && !a.cfg.MultiTenantQueriesEnabled {
		return nil, badRequest("multiple org IDs present")
	}
	seen := make(map[string]bool, len(ids))
	out := ids[:0]
	for _, id := range ids {
		if err := validTenant(id); err != nil {
			return nil, err
		}
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out, nil
}

// validTenant applies Loki's tenant ID rules with its messages (schemas.ValidTenantID). An
// empty ID, which only "a||b" can give, is refused too.
func validTenant(id string) error {
	if id == "" {
		return badRequest("tenant ID is empty")
	}
	if err := schemas.ValidTenantID(id); err != nil {
		return badRequest(err.Error())
	}
	return nil
}

// requestTenants parses the form and resolves the tenants and their combined limits. The
// tenant comes first, as in Loki, where authentication precedes parameter checks.
func (a *API) requestTenants(r *http.Request) ([]string, Limits, error) {
	tenants, err := a.tenants(r)
	if err != nil {
		return nil, Limits{}, err
	}
	if _, err := form(r); err != nil {
		return nil, Limits{}, err
	}
	return tenants, a.limitsFor(tenants), nil
}
