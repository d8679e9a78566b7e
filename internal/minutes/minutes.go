// Package minutes numbers the minutes of Unix nanosecond timestamps as the index's per-minute
// counts do (chunk), and as the store and the engine ask for them: minute m holds the
// timestamps [m*Nanos, (m+1)*Nanos), negative ones included.
package minutes

// Nanos is one minute in nanoseconds.
const Nanos = int64(60e9)

// Of returns the minute holding ts (the floor of ts/Nanos, also below zero).
func Of(ts int64) int64 {
	m := ts / Nanos
	if ts%Nanos < 0 {
		m--
	}
	return m
}
