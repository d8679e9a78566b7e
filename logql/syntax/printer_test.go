package syntax

import (
	"bufio"
	"os"
	"reflect"
	"strings"
	"testing"
)

// readCorpus returns the queries of testdata/corpus.txt: one per line, # lines skipped.
func readCorpus(t testing.TB) []string {
	t.Helper()
	f, err := os.Open("testdata/corpus.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var qs []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "# ") {
			continue
		}
		qs = append(qs, line)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return qs
}

// checkRoundTrip asserts that e prints to LogQL which parses back to an equal tree and
// that printing is a fixed point.
func checkRoundTrip(t testing.TB, src string, e Expr) {
	t.Helper()
	out := e.String()
	e2, err := ParseExpr(out)
	if err != nil {
		t.Fatalf("%q printed as %q, which does not parse: %v", src, out, err)
	}
	if !reflect.DeepEqual(e, e2) {
		t.Fatalf("%q printed as %q, which parses to a different tree:\n%#v\n%#v", src, out, e, e2)
	}
	if out2 := e2.String(); out2 != out {
		t.Fatalf("%q: printing is not stable: %q then %q", src, out, out2)
	}
}

func TestRoundTripCorpus(t *testing.T) {
	qs := readCorpus(t)
	if len(qs) < 150 {
		t.Fatalf("corpus has %d queries, want at least 150", len(qs))
	}
	for _, q := range qs {
		e, err := ParseExpr(q)
		if err != nil {
			t.Errorf("corpus query %q: %v", q, err)
			continue
		}
		checkRoundTrip(t, q, e)
	}
}

func TestPrinterCanonical(t *testing.T) {
	f := func(in, want string) {
		t.Helper()
		e, err := ParseExpr(in)
		if err != nil {
			t.Fatalf("ParseExpr(%q): %v", in, err)
		}
		if got := e.String(); got != want {
			t.Fatalf("ParseExpr(%q).String()\n got %s\nwant %s", in, got, want)
		}
	}
	f(`{app="api",pod=~"a.*"} |= "x" or "y" | json a="b.c" | level="error"`,
		`{app="api", pod=~"a.*"} |= "x" or "y" | json a="b.c" | level="error"`)
	f(`sum by(level)(count_over_time({app="web"}|logfmt[5m]))`,
		`sum by (level) (count_over_time({app="web"} | logfmt [5m]))`)
	f(`quantile_over_time(0.95,{a="b"}|unwrap duration(d)|__error__=""[10m])by(method)`,
		`quantile_over_time(0.95, {a="b"} | unwrap duration(d) | __error__="" [10m]) by (method)`)
	f(`count_over_time({a="b"}[90m])`, `count_over_time({a="b"}[1h30m])`)
	f(`count_over_time({a="b"}[7d] offset 60s)`, `count_over_time({a="b"}[1w] offset 1m)`)
	f(`count_over_time({a="b"}[5m] | json)`, `count_over_time({a="b"} | json [5m])`)
	f(`sum(rate({a="b"}[1m])) by (x)`, `sum by (x) (rate({a="b"}[1m]))`)
	f(`topk(2,rate({a="b"}[1m]))by(x)`, `topk by (x) (2, rate({a="b"}[1m]))`)
	f(`rate({a="b"}[1m]) - (rate({a="b"}[1m]) - rate({a="b"}[1m]))`,
		`rate({a="b"}[1m]) - (rate({a="b"}[1m]) - rate({a="b"}[1m]))`)
	f(`(rate({a="b"}[1m]) - rate({a="b"}[1m])) - rate({a="b"}[1m])`,
		`rate({a="b"}[1m]) - rate({a="b"}[1m]) - rate({a="b"}[1m])`)
	f(`(rate({a="b"}[1m]) ^ 2) ^ 3`, `(rate({a="b"}[1m]) ^ 2) ^ 3`)
	f(`rate({a="b"}[1m]) ^ (2 ^ 3)`, `rate({a="b"}[1m]) ^ 8`)
	f(`rate({a="b"}[1m]) > bool on(x) group_left(y) rate({a="b"}[1m])`,
		`rate({a="b"}[1m]) > bool on (x) group_left (y) rate({a="b"}[1m])`)
	f(`{a="b"} | x="1" , y="2" z="3"`, `{a="b"} | x="1" and (y="2" and z="3")`)
	f(`{a="b"} | x="1" , y="2" or z="3"`, `{a="b"} | x="1" and (y="2" or z="3")`)
	f(`{a="b"} | (x="1" or y="2") and z="3"`, `{a="b"} | (x="1" or y="2") and z="3"`)
	f(`{a="b"} | x="1" and (y="2" and z="3")`, `{a="b"} | x="1" and (y="2" and z="3")`)
	f(`{a="b"} | x = 5`, `{a="b"} | x==5`)
	f(`{a="b"} | json b`, `{a="b"} | json b="b"`)
	f("{a=`x\"y`}", `{a="x\"y"}`)
	f(`label_replace(vector(1),"d","r","s","(.*)")`, `label_replace(vector(1), "d", "r", "s", "(.*)")`)
	f(`1 + 2 * 3`, `7`)
	f(`1 / 0`, `1 / 0`)
}
