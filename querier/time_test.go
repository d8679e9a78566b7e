package querier

import (
	"testing"
	"time"
)

func TestParseTimestamp(t *testing.T) {
	def := time.Unix(42, 0).UTC()
	f := func(in string, want time.Time) {
		t.Helper()
		got, err := parseTimestamp(in, def)
		if err != nil {
			t.Fatalf("parseTimestamp(%q): %v", in, err)
		}
		if !got.Equal(want) {
			t.Fatalf("parseTimestamp(%q) = %s (%d), want %s (%d)", in, got, got.UnixNano(), want, want.UnixNano())
		}
	}
	f("", def)
	f("1795168800", time.Unix(1795168800, 0))          // 10 digits: seconds
	f("0", time.Unix(0, 0))                            // short: seconds
	f("123", time.Unix(123, 0))                        // short: seconds
	f("17951688001", time.Unix(0, 17951688001))        // 11 digits: nanoseconds
	f("1795168800000000000", time.Unix(1795168800, 0)) // ns
	f("1795168800123456789", time.Unix(1795168800, 123456789))
	f("1795168800.5", time.Unix(1795168800, 500_000_000))
	f("1795168800.123", time.Unix(1795168800, 123_000_000))
	f("2026-11-20T10:00:00Z", time.Unix(1795168800, 0))
	f("2026-11-20T10:00:00.123456789Z", time.Unix(1795168800, 123456789))
	f("2026-11-20T12:00:00+02:00", time.Unix(1795168800, 0))

	bad := func(in string) {
		t.Helper()
		_, err := parseTimestamp(in, def)
		if err == nil {
			t.Fatalf("parseTimestamp(%q) succeeded, want error", in)
		}
		if want := `strconv.ParseInt: parsing "` + in + `": invalid syntax`; err.Error() != want {
			t.Fatalf("parseTimestamp(%q) error %q, want %q", in, err, want)
		}
	}
	bad("yesterday")
	bad("1.2.3")
	bad("NaN.")
	bad("2026-11-20 10:00:00")
	bad("1e400.0") // a float too large is not a valid integer either
}

func TestParseSecondsOrDuration(t *testing.T) {
	f := func(in string, want time.Duration) {
		t.Helper()
		got, err := parseSecondsOrDuration(in)
		if err != nil {
			t.Fatalf("parseSecondsOrDuration(%q): %v", in, err)
		}
		if got != want {
			t.Fatalf("parseSecondsOrDuration(%q) = %s, want %s", in, got, want)
		}
	}
	f("15", 15*time.Second)
	f("0.5", 500*time.Millisecond)
	f("1m30s", 90*time.Second)
	f("1h", time.Hour)
	f("0", 0)
	f("-10", -10*time.Second)
	for _, in := range []string{"abc", "1x", ""} {
		if _, err := parseSecondsOrDuration(in); err == nil {
			t.Fatalf("parseSecondsOrDuration(%q) succeeded", in)
		}
	}
	if _, err := parseSecondsOrDuration("1e300"); err == nil {
		t.Fatal("overflowing step accepted")
	}
}

func TestDefaultStep(t *testing.T) {
	f := func(rng, want time.Duration) {
		t.Helper()
		start := time.Unix(1795168800, 0)
		if got := defaultStep(start, start.Add(rng)); got != want {
			t.Fatalf("defaultStep(%s) = %s, want %s", rng, got, want)
		}
	}
	f(time.Hour, 14*time.Second) // floor(3600/250)
	f(0, time.Second)
	f(time.Minute, time.Second)
	f(250*time.Second, time.Second)
	f(24*time.Hour, 345*time.Second)
}
