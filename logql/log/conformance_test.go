package log

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"testing"

	"github.com/jetlog/jetlog/logql/syntax"
	"github.com/jetlog/jetlog/schemas/labels"
)

// conformanceDir holds the kit recorded from a real Loki 3.7 (see its README.md).
const conformanceDir = "/work/shared/conformance"

type kitEntry struct {
	tenant   string
	stream   labels.Labels
	line     string
	metadata labels.Labels
}

// loadKitDataset runs the kit's generator and indexes every entry by timestamp.
func loadKitDataset(t *testing.T) map[int64][]kitEntry {
	t.Helper()
	if _, err := os.Stat(conformanceDir + "/gen.py"); err != nil {
		t.Skip("conformance kit not present")
	}
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not available to generate the conformance dataset")
	}
	out, err := exec.Command(py, conformanceDir+"/gen.py").Output()
	if err != nil {
		t.Fatalf("gen.py: %v", err)
	}
	byTS := map[int64][]kitEntry{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 0, 1<<20), 64<<20)
	for sc.Scan() {
		var req struct {
			Tenant string `json:"tenant"`
			Body   struct {
				Streams []struct {
					Stream map[string]string   `json:"stream"`
					Values [][]json.RawMessage `json:"values"`
				} `json:"streams"`
			} `json:"body"`
		}
		if err := json.Unmarshal(sc.Bytes(), &req); err != nil {
			t.Fatalf("dataset line: %v", err)
		}
		for _, s := range req.Body.Streams {
			stream := withServiceName(s.Stream)
			for _, v := range s.Values {
				var tsStr, line string
				if err := json.Unmarshal(v[0], &tsStr); err != nil {
					t.Fatal(err)
				}
				if err := json.Unmarshal(v[1], &line); err != nil {
					t.Fatal(err)
				}
				var md labels.Labels
				if len(v) > 2 {
					var m map[string]string
					if err := json.Unmarshal(v[2], &m); err != nil {
						t.Fatal(err)
					}
					md = labels.FromMap(m)
				}
				ts, err := strconv.ParseInt(tsStr, 10, 64)
				if err != nil {
					t.Fatal(err)
				}
				byTS[ts] = append(byTS[ts], kitEntry{tenant: req.Tenant, stream: stream, line: line, metadata: md})
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return byTS
}

// withServiceName adds the service_name label Loki discovers at ingestion.
func withServiceName(m map[string]string) labels.Labels {
	out := map[string]string{}
	for k, v := range m {
		out[k] = v
	}
	if _, ok := out["service_name"]; !ok {
		for _, k := range []string{"service", "app", "application", "name", "app_kubernetes_io_name", "container", "container_name", "component", "workload", "job"} {
			if v, ok := out[k]; ok && v != "" {
				out["service_name"] = v
				break
			}
		}
		if _, ok := out["service_name"]; !ok {
			out["service_name"] = "unknown_service"
		}
	}
	return labels.FromMap(out)
}

// TestConformanceStreams replays the kit's log queries through the pipeline: every entry
// Loki returned must come out of our pipeline with the same line and the same labels
// (structured metadata folded in, as Loki answers without categorize-labels), and when
// Loki returned fewer entries than the limit, no other selected entry may be kept.
func TestConformanceStreams(t *testing.T) {
	byTS := loadKitDataset(t)
	var queries []struct {
		Name   string            `json:"name"`
		Tenant string            `json:"tenant"`
		Path   string            `json:"path"`
		Params map[string]string `json:"params"`
	}
	var answers map[string]struct {
		Status int             `json:"status"`
		Body   json.RawMessage `json:"body"` // an object, or a string for errors
	}
	type streamsBody struct {
		Data struct {
			ResultType string `json:"resultType"`
			Result     []struct {
				Stream map[string]string `json:"stream"`
				Values [][2]string       `json:"values"`
			} `json:"result"`
		} `json:"data"`
	}
	for name, v := range map[string]any{"queries.json": &queries, "answers.json": &answers} {
		b, err := os.ReadFile(conformanceDir + "/" + name)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	checked := 0
	for _, q := range queries {
		raw, ok := answers[q.Name]
		if !ok || raw.Status != 200 || q.Path != "/loki/api/v1/query_range" {
			continue
		}
		var ans struct{ Body streamsBody }
		if err := json.Unmarshal(raw.Body, &ans.Body); err != nil || ans.Body.Data.ResultType != "streams" {
			continue
		}
		sel, err := syntax.ParseLogSelector(q.Params["query"])
		if err != nil {
			continue
		}
		t.Run(q.Name, func(t *testing.T) {
			p, err := NewPipeline(sel.Pipeline)
			if err != nil {
				t.Fatalf("NewPipeline: %v", err)
			}
			run := func(e kitEntry, ts int64) (string, string, bool) {
				out, lbs, keep := p.ForStream(e.stream).Process(ts, []byte(e.line), e.metadata)
				if !keep {
					return "", "", false
				}
				return string(out), lbs.All.String(), true
			}
			want := map[int64]bool{}
			failures := 0
			for _, s := range ans.Body.Data.Result {
				wantLabels := labels.FromMap(s.Stream).String()
				for _, v := range s.Values {
					ts, _ := strconv.ParseInt(v[0], 10, 64)
					want[ts] = true
					// Several entries may share a timestamp (the dup stream): one must match.
					var got []string
					found := false
					for _, e := range byTS[ts] {
						if e.tenant != q.Tenant || !labels.MatchLabels(e.stream, sel.Matchers...) {
							continue
						}
						line, lbs, keep := run(e, ts)
						if keep && line == v[1] && lbs == wantLabels {
							found = true
							break
						}
						got = append(got, fmt.Sprintf("keep=%v line %q labels %s", keep, line, lbs))
					}
					if !found {
						if failures++; failures > 5 {
							t.FailNow()
						}
						t.Errorf("ts %d: got %v; Loki: line %q labels %s", ts, got, v[1], wantLabels)
					}
					checked++
				}
			}
			limit, _ := strconv.Atoi(q.Params["limit"])
			start, _ := strconv.ParseInt(q.Params["start"], 10, 64)
			end, _ := strconv.ParseInt(q.Params["end"], 10, 64)
			if limit == 0 || len(want) >= limit || start == 0 || end == 0 {
				return
			}
			var extra []int64
			for ts, es := range byTS {
				if ts < start*1e9 || ts >= end*1e9 || want[ts] {
					continue
				}
				for _, e := range es {
					if e.tenant != q.Tenant || !labels.MatchLabels(e.stream, sel.Matchers...) {
						continue
					}
					if _, _, keep := run(e, ts); keep {
						extra = append(extra, ts)
					}
				}
			}
			sort.Slice(extra, func(i, j int) bool { return extra[i] < extra[j] })
			if len(extra) > 0 {
				t.Errorf("%d entries kept that Loki dropped, first at ts %d", len(extra), extra[0])
			}
		})
	}
	if checked == 0 {
		t.Fatal("no conformance entries checked")
	}
}
