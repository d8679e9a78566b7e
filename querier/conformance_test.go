package querier

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jetlog/jetlog/logql"
)

// conformanceCase is one request of the conformance kit (testdata/conformance_cases.json,
// made from /work/shared/conformance queries.json and the status, error body and result
// type of Loki's answer).
type conformanceCase struct {
	Name       string            `json:"name"`
	Tenant     string            `json:"tenant"`
	Path       string            `json:"path"`
	Params     map[string]string `json:"params"`
	Status     int               `json:"status"`
	Error      string            `json:"error"`
	ResultType string            `json:"resultType"`
}

// TestConformanceRequests sends every request of the conformance kit through the HTTP layer
// with an engine that answers an empty result of the type Loki answered. Each request must
// be accepted with its parameters read as Loki reads them, or refused with Loki's exact
// status and body; the answers themselves are the engine's business.
func TestConformanceRequests(t *testing.T) {
	b, err := os.ReadFile("testdata/conformance_cases.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []conformanceCase
	if err := json.Unmarshal(b, &cases); err != nil {
		t.Fatal(err)
	}
	if len(cases) != 47 {
		t.Fatalf("%d cases, want the kit's 47", len(cases))
	}
	ts := newTestServer(t, nil)
	seedMeta(ts)
	ts.eng.result = func(p logql.Params) logql.Result {
		for _, c := range cases {
			if c.Params["query"] == p.Query && c.ResultType != "" {
				return emptyResult(logql.ResultType(c.ResultType))
			}
		}
		t.Errorf("engine called with unexpected query %q", p.Query)
		return emptyResult(logql.ResultStreams)
	}
	for _, c := range cases {
		params := url.Values{}
		for k, v := range c.Params {
			params.Set(k, v)
		}
		before := len(ts.eng.calls)
		resp := ts.get(t, c.Tenant, c.Path, params)
		if resp.status != c.Status {
			t.Errorf("%s: status %d, want %d: %s", c.Name, resp.status, c.Status, truncate(resp.body))
			continue
		}
		if c.Status != http.StatusOK {
			if resp.body != c.Error {
				t.Errorf("%s: body\n got %q\nwant %q", c.Name, resp.body, c.Error)
			}
			continue
		}
		if c.ResultType == "" {
			continue // labels, label values, series: answered from the metadata querier
		}
		var env struct {
			Data struct {
				ResultType string `json:"resultType"`
			} `json:"data"`
		}
		if err := json.Unmarshal([]byte(resp.body), &env); err != nil || env.Data.ResultType != c.ResultType {
			t.Errorf("%s: resultType %q (%v), want %q", c.Name, env.Data.ResultType, err, c.ResultType)
		}
		if len(ts.eng.calls) != before+1 {
			t.Errorf("%s: %d engine calls", c.Name, len(ts.eng.calls)-before)
			continue
		}
		p := ts.eng.last(t)
		if p.Tenant != c.Tenant || p.Query != c.Params["query"] {
			t.Errorf("%s: engine got tenant %q query %q", c.Name, p.Tenant, p.Query)
		}
		if s := c.Params["start"]; s != "" {
			want, _ := parseTimestamp(s, time.Time{})
			if !p.Start.Equal(want) {
				t.Errorf("%s: start %s, want %s", c.Name, p.Start, want)
			}
		}
		if s := c.Params["step"]; s != "" {
			want, _ := parseSecondsOrDuration(s)
			if p.Step != want {
				t.Errorf("%s: step %s, want %s", c.Name, p.Step, want)
			}
		}
		if s := c.Params["direction"]; s == "forward" && p.Direction != logql.Forward {
			t.Errorf("%s: direction %v, want forward", c.Name, p.Direction)
		}
	}
}

func emptyResult(rt logql.ResultType) logql.Result {
	switch rt {
	case logql.ResultMatrix:
		return logql.Result{Type: rt, Value: logql.Matrix{}}
	case logql.ResultVector:
		return logql.Result{Type: rt, Value: logql.Vector{}}
	case logql.ResultScalar:
		return logql.Result{Type: rt, Value: logql.Scalar{}}
	default:
		return logql.Result{Type: logql.ResultStreams, Value: logql.Streams{}}
	}
}
