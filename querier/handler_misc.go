package querier

import (
	"net/http"
	"runtime"
	"runtime/debug"

	"github.com/jetlog/jetlog/logql/syntax"
)

// handleFormatQuery answers the query in canonical form: {"status":"success","data":"..."}.
func (a *API) handleFormatQuery(w http.ResponseWriter, r *http.Request) error {
	if _, err := form(r); err != nil {
		return err
	}
	expr, err := syntax.ParseExpr(r.Form.Get("query"))
	if err != nil {
		return badRequest(err.Error())
	}
	buf := append([]byte(`{"status":"success","data":`), nil...)
	buf = appendString(buf, expr.String())
	return writeJSON(w, append(buf, '}'))
}

// handlePatterns answers an empty but valid pattern list: jetlog does not mine patterns.
func (a *API) handlePatterns(w http.ResponseWriter, r *http.Request) error {
	if _, _, err := a.requestTenants(r); err != nil {
		return err
	}
	return writeJSON(w, []byte(`{"status":"success","data":[]}`))
}

// handleBuildInfo answers Prometheus-style build information, which Grafana reads.
func (a *API) handleBuildInfo(w http.ResponseWriter, r *http.Request) error {
	version, revision := "dev", ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				revision = s.Value
			}
		}
	}
	buf := []byte(`{"version":`)
	buf = appendString(buf, version)
	buf = append(buf, `,"revision":`...)
	buf = appendString(buf, revision)
	buf = append(buf, `,"branch":"","buildUser":"","buildDate":"","goVersion":`...)
	buf = appendString(buf, runtime.Version())
	return writeJSON(w, append(buf, '}'))
}
