package minutes

import "testing"

func TestOf(t *testing.T) {
	for _, c := range []struct{ ts, want int64 }{
		{0, 0}, {1, 0}, {Nanos - 1, 0}, {Nanos, 1}, {-1, -1}, {-Nanos, -1}, {-Nanos - 1, -2}, {5*Nanos + 7, 5},
	} {
		if got := Of(c.ts); got != c.want {
			t.Errorf("Of(%d) = %d, want %d", c.ts, got, c.want)
		}
		if m := Of(c.ts); c.ts < m*Nanos || c.ts >= (m+1)*Nanos {
			t.Errorf("%d is not in minute %d", c.ts, m)
		}
	}
}
