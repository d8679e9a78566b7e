package e2e

import (
	"bufio"
	"bytes"
	"strconv"
	"strings"
	"testing"
)

// metricValue reads one sample from /metrics by its exact series text; 0 when absent.
func metricValue(t *testing.T, p *proc, series string) float64 {
	t.Helper()
	st, body := do(t, "GET", p.URL+"/metrics", "", nil, nil)
	if st != 200 {
		t.Fatalf("/metrics: %d", st)
	}
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, series+" ") {
			v, err := strconv.ParseFloat(strings.TrimSpace(line[len(series):]), 64)
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
	}
	return 0
}
