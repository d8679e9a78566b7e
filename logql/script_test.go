package logql_test

import (
	"bufio"
	"context"
	"embed"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jetlog/jetlog/logql"
	"github.com/jetlog/jetlog/logql/logqltest"
	"github.com/jetlog/jetlog/schemas/labels"
)

// Scripted engine tests, in the spirit of Prometheus' promqltest. Each testdata/*.test file is
// a sequence of commands; times are seconds after 2026-11-20T10:00:00Z.
//
//	load {app="a"}                     stream labels; indented lines follow:
//	  <secs> "<line>" [{metadata}]
//	eval logs <start> <end> <limit> <forward|backward> <query>
//	  {labels} <secs> "<line>"         every entry, streams by labels, entries by direction
//	eval categorized <start> <end> <limit> <forward|backward> <query>
//	  {stream} <secs> "<line>" {metadata} {parsed}
//	                                   as logs, with X-Loki-Response-Encoding-Flags:
//	                                   categorize-labels (labels split by origin)
//	eval range <start> <end> <step> <query>
//	  {labels} <t>=<v> ...              every series with its points
//	eval instant <at> <query>
//	  {labels} <v>     or    scalar <v>
//	eval error <query>
//	  <text the error message contains>
//
//go:embed testdata/*.test
var scripts embed.FS

var t0 = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)

func TestScripts(t *testing.T) {
	files, err := fs.Glob(scripts, "testdata/*.test")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scripts: %v", err)
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(strings.TrimPrefix(f, "testdata/"), ".test"), func(t *testing.T) {
			data, _ := scripts.ReadFile(f)
			runScript(t, string(data))
		})
	}
}

type command struct {
	line   int
	head   string
	body   []string
	lineNo []int
}

func parseScript(t *testing.T, src string) []command {
	var cmds []command
	sc := bufio.NewScanner(strings.NewReader(src))
	n := 0
	for sc.Scan() {
		n++
		l := sc.Text()
		trimmed := strings.TrimSpace(l)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		if l[0] == ' ' || l[0] == '\t' {
			if len(cmds) == 0 {
				t.Fatalf("line %d: indented line outside a command", n)
			}
			c := &cmds[len(cmds)-1]
			c.body = append(c.body, trimmed)
			c.lineNo = append(c.lineNo, n)
			continue
		}
		cmds = append(cmds, command{line: n, head: trimmed})
	}
	return cmds
}

func secs(t *testing.T, s string) time.Time {
	t.Helper()
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("bad time %q", s)
	}
	return t0.Add(time.Duration(f * float64(time.Second)))
}

func relSecs(ns int64) string {
	return strconv.FormatFloat(float64(ns-t0.UnixNano())/1e9, 'f', -1, 64)
}

func runScript(t *testing.T, src string) {
	q := logqltest.New()
	eng := logql.NewEngine(logql.EngineConfig{MaxSeries: 1000}, q, nil)
	for _, c := range parseScript(t, src) {
		f := strings.Fields(c.head)
		switch f[0] {
		case "load":
			ls, err := labels.Parse(strings.TrimSpace(strings.TrimPrefix(c.head, "load")))
			if err != nil {
				t.Fatalf("line %d: %v", c.line, err)
			}
			for i, b := range c.body {
				sp := strings.IndexByte(b, ' ')
				ts := secs(t, b[:sp])
				rest := strings.TrimSpace(b[sp:])
				qs, err := strconv.QuotedPrefix(rest)
				if err != nil {
					t.Fatalf("line %d: %v", c.lineNo[i], err)
				}
				line, _ := strconv.Unquote(qs)
				var md labels.Labels
				if m := strings.TrimSpace(rest[len(qs):]); m != "" {
					if md, err = labels.Parse(m); err != nil {
						t.Fatalf("line %d: %v", c.lineNo[i], err)
					}
				}
				q.Add("t", ls, logql.RawEntry{Timestamp: ts.UnixNano(), Line: []byte(line), Metadata: md})
			}
		case "eval":
			evalCommand(t, eng, c, f)
		default:
			t.Fatalf("line %d: unknown command %q", c.line, f[0])
		}
	}
}

func evalCommand(t *testing.T, eng *logql.Engine, c command, f []string) {
	t.Helper()
	rest := func(n int) string { // the query: everything after the first n fields
		s := c.head
		for i := 0; i < n; i++ {
			s = strings.TrimSpace(s)
			s = s[strings.IndexAny(s, " \t"):]
		}
		return strings.TrimSpace(s)
	}
	p := logql.Params{Tenant: "t"}
	var kind string
	switch kind = f[1]; kind {
	case "logs", "categorized":
		p.CategorizeLabels = kind == "categorized"
		p.Start, p.End = secs(t, f[2]), secs(t, f[3])
		p.Limit, _ = strconv.Atoi(f[4])
		if f[5] == "forward" {
			p.Direction = logql.Forward
		}
		p.Query = rest(6)
	case "range":
		p.Start, p.End = secs(t, f[2]), secs(t, f[3])
		st, _ := strconv.ParseFloat(f[4], 64)
		p.Step = time.Duration(st * float64(time.Second))
		p.Query = rest(5)
	case "instant":
		p.Start = secs(t, f[2])
		p.End, p.Instant = p.Start, true
		p.Query = rest(3)
	case "error":
		p.Start, p.End, p.Step, p.Limit = t0, t0.Add(time.Hour), time.Minute, 100
		p.Query = rest(2)
		_, err := eng.Query(context.Background(), p)
		if err == nil || len(c.body) == 0 || !strings.Contains(err.Error(), c.body[0]) {
			t.Fatalf("line %d: %s: error %v, want one containing %q", c.line, p.Query, err, strings.Join(c.body, ""))
		}
		return
	default:
		t.Fatalf("line %d: unknown eval kind %q", c.line, kind)
	}
	res, err := eng.Query(context.Background(), p)
	if err != nil {
		t.Fatalf("line %d: %s: %v", c.line, p.Query, err)
	}
	got := render(res, p.CategorizeLabels)
	if strings.Join(got, "\n") != strings.Join(c.body, "\n") {
		t.Fatalf("line %d: %s\ngot:\n  %s\nwant:\n  %s", c.line, p.Query, strings.Join(got, "\n  "), strings.Join(c.body, "\n  "))
	}
}

func render(res logql.Result, categorized bool) []string {
	var out []string
	num := func(v float64) string { return strconv.FormatFloat(v, 'g', 10, 64) }
	switch v := res.Value.(type) {
	case logql.Streams:
		for _, s := range v {
			for _, e := range s.Entries {
				l := fmt.Sprintf("%s %s %q", s.Labels, relSecs(e.Timestamp), e.Line)
				if categorized {
					l += fmt.Sprintf(" %s %s", e.StructuredMetadata, e.Parsed)
				}
				out = append(out, l)
			}
		}
	case logql.Matrix:
		for _, s := range v {
			parts := []string{s.Metric.String()}
			for _, pt := range s.Points {
				parts = append(parts, relSecs(pt.T*1e6)+"="+num(pt.V))
			}
			out = append(out, strings.Join(parts, " "))
		}
	case logql.Vector:
		for _, s := range v {
			out = append(out, s.Metric.String()+" "+num(s.V))
		}
	case logql.Scalar:
		out = append(out, "scalar "+num(v.V))
	}
	return out
}
