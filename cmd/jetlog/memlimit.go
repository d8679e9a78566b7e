package main

import (
	"errors"
	"log/slog"
	"math"

	"github.com/KimMachineGun/automemlimit/memlimit"
)

// setMemoryLimit gives the Go collector a soft memory limit of 90% of the container's (the
// cgroup's) memory limit, so that a pod collects harder near its limit instead of being
// killed at it. GOMEMLIMIT, when set, wins; AUTOMEMLIMIT sets another ratio or "off".
// Without a container limit nothing changes.
func setMemoryLimit(logger *slog.Logger, provider memlimit.Provider) {
	// Set returns the limit in force, the one before it when it changed nothing.
	limit, err := memlimit.Set(memlimit.WithProvider(provider))
	switch {
	case errors.Is(err, memlimit.ErrNoCgroup) || errors.Is(err, memlimit.ErrCgroupsNotSupported):
		logger.Debug("no container memory limit", "err", err)
	case err != nil:
		logger.Warn("container memory limit not applied", "err", err)
	}
	if limit < math.MaxInt64 {
		logger.Info("go memory limit", "bytes", limit)
	}
}
