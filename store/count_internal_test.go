package store

import (
	"fmt"
	"testing"
)

func TestOverlapWindows(t *testing.T) {
	for _, tc := range []struct {
		ivs  [][2]int64
		want string
	}{
		{nil, "[]"},
		{[][2]int64{{1, 5}}, "[]"},
		{[][2]int64{{1, 5}, {6, 9}}, "[]"},
		{[][2]int64{{1, 5}, {5, 9}}, "[[5 5]]"},
		{[][2]int64{{6, 9}, {1, 7}}, "[[6 7]]"},
		{[][2]int64{{1, 100}, {10, 20}, {30, 40}}, "[[10 20] [30 40]]"},
		{[][2]int64{{1, 10}, {5, 20}, {15, 30}}, "[[5 10] [15 20]]"},
		{[][2]int64{{1, 10}, {2, 3}, {4, 12}}, "[[2 10]]"}, // adjacent moments merge
		{[][2]int64{{1, 10}, {2, 3}, {5, 12}}, "[[2 3] [5 10]]"},
		{[][2]int64{{1, 10}, {2, 9}, {3, 8}}, "[[2 9]]"},
	} {
		if got := fmt.Sprint(overlapWindows(tc.ivs)); got != tc.want {
			t.Errorf("overlapWindows(%v) = %s, want %s", tc.ivs, got, tc.want)
		}
	}
}
