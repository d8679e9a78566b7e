package log

import "testing"

func TestIPMatcher(t *testing.T) {
	for _, tc := range []struct {
		pattern, text string
		want          bool
	}{
		{"192.168.0.1", "from 192.168.0.1 ok", true},
		{"192.168.0.1", "from 192.168.0.10 ok", false},
		{"10.0.0.0/8", "a=10.9.8.7,b", true},
		{"10.1.2.3/8", "a=10.9.8.7", true}, // unmasked prefixes contain like masked ones
		{"10.0.0.1-10.0.0.5", "10.0.0.5", true},
		{"10.0.0.1-10.0.0.5", "10.0.0.6", false},
		{"::1", "x ::1 y", true},
		{"2001:db8::/32", "2001:db8:0:1::2", true},
		{"2001:db8::/32", "fe80::1", false},
		{"1.2.3.4", "v1.2.3.4", true},
		{"1.2.3.4", "", false},
		{"1.2.3.4", ":::", false},
		{"1.2.3.4", "g:1.2.3.4", true},
	} {
		m, err := newIPMatcher(tc.pattern)
		if err != nil {
			t.Fatalf("%q: %v", tc.pattern, err)
		}
		if got := m.find([]byte(tc.text)); got != tc.want {
			t.Errorf("%q in %q = %v, want %v", tc.pattern, tc.text, got, tc.want)
		}
	}
	for _, bad := range []string{"", "1.2.3", "10.0.0.0/33", "10.0.0.9-10.0.0.1", "10.0.0.1-::1", "10.0.0.1 - 10.0.0.2"} {
		if _, err := newIPMatcher(bad); err == nil {
			t.Errorf("%q: want error", bad)
		}
	}
}
