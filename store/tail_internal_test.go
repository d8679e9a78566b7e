package store

import (
	"fmt"
	"testing"

	"github.com/jetlog/jetlog/logql"
)

// busOrder puts runs of entries gathered out of bus order back in it, keeping each run's
// own order, and leaves runs gathered in order as they are.
func TestBusOrder(t *testing.T) {
	gather := func(seqs ...uint64) (busOrder, []logql.RawEntry) {
		var o busOrder
		var es []logql.RawEntry
		for i, s := range seqs {
			o.mark(s, len(es))
			es = append(es, logql.RawEntry{Timestamp: int64(s), Line: []byte(fmt.Sprint(i))})
		}
		return o, es
	}
	show := func(es []logql.RawEntry) string {
		var out []string
		for _, e := range es {
			out = append(out, fmt.Sprintf("%d/%s", e.Timestamp, e.Line))
		}
		return fmt.Sprint(out)
	}
	o, es := gather(7, 7, 3, 9, 9, 9, 1, 4)
	if got, want := show(o.apply(es)), "[1/6 3/2 4/7 7/0 7/1 9/3 9/4 9/5]"; got != want {
		t.Errorf("out of order: %s, want %s", got, want)
	}
	o, es = gather(1, 1, 2, 5)
	if got := o.apply(es); &got[0] != &es[0] {
		t.Error("entries already in bus order were copied")
	}
}
