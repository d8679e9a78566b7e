package chunker

import (
	"flag"
	"runtime"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/jetlog/jetlog/bus"
	"github.com/jetlog/jetlog/objstore/filesystem"
)

func TestDefaultConcurrentFlushes(t *testing.T) {
	for _, c := range []struct {
		procs  int
		shares bool
		want   int
	}{
		{1, false, 1}, {2, false, 2}, {8, false, 8},
		{1, true, 1}, {2, true, 1}, {3, true, 1}, {8, true, 4},
	} {
		if got := defaultConcurrentFlushes(c.procs, c.shares); got != c.want {
			t.Errorf("defaultConcurrentFlushes(%d, %v) = %d, want %d", c.procs, c.shares, got, c.want)
		}
	}
}

// TestBuildSlots: New sizes its build limit from the configuration, the default only when
// none is set.
func TestBuildSlots(t *testing.T) {
	procs := runtime.GOMAXPROCS(0)
	bucket, err := filesystem.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		flushes int
		shares  bool
		want    int
	}{
		{0, false, procs}, {0, true, max(1, procs/2)}, {3, true, 3}, {3, false, 3},
	} {
		var cfg Config
		cfg.RegisterFlags(flag.NewFlagSet("chunker", flag.PanicOnError))
		cfg.ConcurrentFlushes, cfg.SharesCPU = c.flushes, c.shares
		// The bus is not used: the chunker is not run.
		ch, err := New(cfg, Deps{Bus: &bus.Bus{}, Bucket: bucket, Registerer: prometheus.NewRegistry()})
		if err != nil {
			t.Fatal(err)
		}
		if got := cap(ch.builds); got != c.want {
			t.Errorf("ConcurrentFlushes %d, SharesCPU %v: %d build slots, want %d", c.flushes, c.shares, got, c.want)
		}
	}
}
