package syntax

import (
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	f := func(in string, want time.Duration, wantErr bool) {
		t.Helper()
		got, err := ParseDuration(in)
		if wantErr {
			if err == nil {
				t.Fatalf("ParseDuration(%q) = %v, want error", in, got)
			}
			return
		}
		if err != nil || got != want {
			t.Fatalf("ParseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
		if back, err := ParseDuration(FormatDuration(got)); err != nil || back != got {
			t.Fatalf("FormatDuration(%v) = %q does not parse back: %v, %v", got, FormatDuration(got), back, err)
		}
	}
	day := 24 * time.Hour
	f("5m", 5*time.Minute, false)
	f("1h30m", 90*time.Minute, false)
	f("500ms", 500*time.Millisecond, false)
	f("1d", day, false)
	f("2w", 14*day, false)
	f("1y", 365*day, false)
	f("1y2w3d4h5m6s7ms", 365*day+14*day+3*day+4*time.Hour+5*time.Minute+6*time.Second+7*time.Millisecond, false)
	f("0", 0, false)
	f("0s", 0, false)
	f("90s", 90*time.Second, false)
	f("", 0, true)
	f("5", 0, true)
	f("m", 0, true)
	f("1.5h", 0, true) // fractions are Go syntax, not Prometheus'
	f("5minutes", 0, true)
	f("1m1h", 0, true) // units must decrease
	f("1m1m", 0, true) // and not repeat
	f("-5m", 0, true)  // the sign is the parser's business
	f("1us", 0, true)
	f("99999999999999999999y", 0, true)
	f("300000y", 0, true) // overflows time.Duration
}

func TestFormatDuration(t *testing.T) {
	f := func(d time.Duration, want string) {
		t.Helper()
		if got := FormatDuration(d); got != want {
			t.Fatalf("FormatDuration(%v) = %q, want %q", d, got, want)
		}
	}
	f(0, "0s")
	f(90*time.Minute, "1h30m")
	f(7*24*time.Hour, "1w")
	f(8*24*time.Hour+time.Millisecond, "1w1d1ms")
	f(-time.Hour, "-1h")
	f(time.Microsecond, "1µs")
	f(time.Hour+1500*time.Microsecond, "1h0m0.0015s")
}

func TestParseBytes(t *testing.T) {
	f := func(in string, want float64, wantErr bool) {
		t.Helper()
		got, err := ParseBytes(in)
		if wantErr {
			if err == nil {
				t.Fatalf("ParseBytes(%q) = %v, want error", in, got)
			}
			return
		}
		if err != nil || got != want {
			t.Fatalf("ParseBytes(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	f("42B", 42, false)
	f("150KB", 150e3, false)
	f("150kB", 150e3, false)
	f("2MiB", 2<<20, false)
	f("1.5GB", 1.5e9, false)
	f("1GiB", 1<<30, false)
	f("3TB", 3e12, false)
	f("1PiB", 1<<50, false)
	f("5M", 5e6, false)
	f("5Ki", 5<<10, false)
	f("KB", 0, true)
	f("5", 0, true)
	f("5XB", 0, true)
	f("1.2.3KB", 0, true)
}

func TestParseLabelDuration(t *testing.T) {
	f := func(in string, want time.Duration) {
		t.Helper()
		got, err := parseLabelDuration(in)
		if err != nil || got != want {
			t.Fatalf("parseLabelDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	f("1500ms", 1500*time.Millisecond)
	f("1.5s", 1500*time.Millisecond)
	f("1m30s", 90*time.Second)
	f("2d", 48*time.Hour)
	f("250us", 250*time.Microsecond)
	f("250µs", 250*time.Microsecond)
	f("10ns", 10*time.Nanosecond)
	if _, err := parseLabelDuration("1x"); err == nil {
		t.Fatal(`parseLabelDuration("1x") succeeded`)
	}
}
