package querier

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/jetlog/jetlog/logql/syntax"
)

// parseTimestamp reads a time as Loki does: float seconds ("1795168800.5"), an integer of
// 10 digits or fewer as seconds, a longer integer as nanoseconds, or RFC3339Nano. An empty
// value yields def. A bad value gives strconv's error, which Loki returns verbatim.
func parseTimestamp(value string, def time.Time) (time.Time, error) {
	if value == "" {
		return def, nil
	}
	if strings.Contains(value, ".") {
		if f, err := strconv.ParseFloat(value, 64); err == nil {
			if math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > math.MaxInt64/1e9 {
				return time.Time{}, fmt.Errorf("cannot parse %q to a valid timestamp", value)
			}
			s, frac := math.Modf(f)
			// Rounded to the millisecond as Loki does: float64 cannot carry nanoseconds.
			ns := math.Round(frac*1e3) * 1e6
			return time.Unix(int64(s), int64(ns)).UTC(), nil
		}
	}
	n, err := strconv.ParseInt(value, 10, 64)
	if err != nil {
		if t, terr := time.Parse(time.RFC3339Nano, value); terr == nil {
			return t, nil
		}
		return time.Time{}, err
	}
	digits := len(strings.TrimPrefix(value, "-"))
	if digits <= 10 {
		return time.Unix(n, 0).UTC(), nil
	}
	return time.Unix(0, n).UTC(), nil
}

// parseSecondsOrDuration reads a step or interval: float seconds ("15", "0.5") or a
// Prometheus duration ("1m30s").
func parseSecondsOrDuration(value string) (time.Duration, error) {
	if f, err := strconv.ParseFloat(value, 64); err == nil {
		ns := math.Round(f * float64(time.Second))
		if math.IsNaN(ns) || math.IsInf(ns, 0) || math.Abs(ns) >= math.MaxInt64 {
			return 0, fmt.Errorf("cannot parse %q to a valid duration. It overflows int64", value)
		}
		return time.Duration(ns), nil
	}
	d, err := syntax.ParseDuration(value)
	if err != nil {
		return 0, fmt.Errorf("cannot parse %q to a valid duration", value)
	}
	return d, nil
}

// defaultStep is Loki's default resolution: range/250 in whole seconds, at least 1s.
func defaultStep(start, end time.Time) time.Duration {
	s := math.Max(math.Floor(end.Sub(start).Seconds()/250), 1)
	return time.Duration(s) * time.Second
}

func timeOf(ns int64) time.Time { return time.Unix(0, ns).UTC() }
