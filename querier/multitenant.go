package querier

import "github.com/jetlog/jetlog/logql/syntax"

// How a query over several tenants is answered. Loki reads every tenant's streams with a
// __tenant_id__ label added and evaluates the query once over all of them. The engine here
// answers one tenant at a time, so the API merges per-tenant answers, which is exact only
// when no part of the query combines series: log queries, range aggregations without
// grouping (each series keeps its tenant label), and queries that read no data at all.
type tenantMode int

const (
	perTenant   tenantMode = iota // run for each tenant, add __tenant_id__, merge
	once                          // reads no logs: one evaluation answers for every tenant
	unsupported                   // combines series across tenants: not answerable by merging
)

const msgMultiTenantUnsupported = "multi-tenant metric queries that aggregate or combine series are not supported yet; query each tenant separately or aggregate by __tenant_id__ on the client"

func multiTenantMode(e syntax.Expr) tenantMode {
	switch x := e.(type) {
	case *syntax.LogSelectorExpr:
		return perTenant
	case *syntax.RangeAggregationExpr:
		if x.Grouping == nil {
			return perTenant
		}
		return unsupported
	case *syntax.LiteralExpr, *syntax.VectorExpr:
		return once
	case *syntax.BinOpExpr:
		if multiTenantMode(x.LHS) == once && multiTenantMode(x.RHS) == once {
			return once
		}
		return unsupported
	case *syntax.LabelReplaceExpr:
		if m := multiTenantMode(x.Left); m != unsupported {
			return m
		}
		return unsupported
	default:
		return unsupported
	}
}
