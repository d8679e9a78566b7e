package main

import (
	"bytes"
	"log/slog"
	"math"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/KimMachineGun/automemlimit/memlimit"
)

// The soft memory limit is 90% of the container's, unless GOMEMLIMIT or AUTOMEMLIMIT say
// otherwise; a process without a container limit keeps Go's default.
func TestSetMemoryLimit(t *testing.T) {
	prev := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(prev) })
	const container = 1000 << 20
	for _, tc := range []struct {
		name, gomemlimit, automemlimit string
		provider                       memlimit.Provider
		want                           int64
		log                            string
	}{
		{name: "container", provider: memlimit.Limit(container), want: container * 9 / 10, log: "go memory limit"},
		{name: "ratio", automemlimit: "0.5", provider: memlimit.Limit(container), want: container / 2},
		{name: "off", automemlimit: "off", provider: memlimit.Limit(container), want: math.MaxInt64},
		{name: "bad ratio", automemlimit: "lots", provider: memlimit.Limit(container), want: math.MaxInt64, log: "cannot parse AUTOMEMLIMIT"},
		// The runtime read GOMEMLIMIT at start; set later it only makes Set keep the limit.
		{name: "GOMEMLIMIT wins", gomemlimit: "300MiB", provider: memlimit.Limit(container), want: math.MaxInt64},
		{name: "no cgroup", provider: func() (uint64, error) { return 0, memlimit.ErrNoCgroup }, want: math.MaxInt64},
		{name: "unlimited", provider: func() (uint64, error) { return 0, memlimit.ErrNoLimit }, want: math.MaxInt64},
	} {
		t.Run(tc.name, func(t *testing.T) {
			debug.SetMemoryLimit(math.MaxInt64)
			t.Setenv("GOMEMLIMIT", tc.gomemlimit)
			if tc.automemlimit != "" {
				t.Setenv("AUTOMEMLIMIT", tc.automemlimit)
			}
			var logs bytes.Buffer
			setMemoryLimit(slog.New(slog.NewTextHandler(&logs, nil)), tc.provider)
			if got := debug.SetMemoryLimit(-1); got != tc.want {
				t.Errorf("limit %d, want %d", got, tc.want)
			}
			if !strings.Contains(logs.String(), tc.log) {
				t.Errorf("log %q does not say %q", logs.String(), tc.log)
			}
		})
	}
}
