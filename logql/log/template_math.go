package log

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Numeric helpers of the template functions, with sprig's lenient conversions: any
// number, bool or numeric string converts; anything else is 0.

func toInt64(v any) int64 {
	switch v := v.(type) {
	case int:
		return int64(v)
	case int64:
		return v
	case int32:
		return int64(v)
	case uint64:
		return int64(v)
	case float64:
		return int64(v)
	case float32:
		return int64(v)
	case bool:
		if v {
			return 1
		}
		return 0
	case string:
		if n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil {
			return n
		}
		f, _ := strconv.ParseFloat(strings.TrimSpace(v), 64)
		return int64(f)
	}
	return 0
}

func toFloat64(v any) float64 {
	switch v := v.(type) {
	case int:
		return float64(v)
	case int64:
		return float64(v)
	case int32:
		return float64(v)
	case uint64:
		return float64(v)
	case float64:
		return v
	case float32:
		return float64(v)
	case bool:
		if v {
			return 1
		}
		return 0
	case string:
		f, _ := strconv.ParseFloat(strings.TrimSpace(v), 64)
		return f
	}
	return 0
}

func intDiv(a, b any) (int64, error) {
	y := toInt64(b)
	if y == 0 {
		return 0, fmt.Errorf("div: division by zero")
	}
	return toInt64(a) / y, nil
}

func intMod(a, b any) (int64, error) {
	y := toInt64(b)
	if y == 0 {
		return 0, fmt.Errorf("mod: division by zero")
	}
	return toInt64(a) % y, nil
}

// round rounds to the given number of decimals (0 by default), half away from zero.
func round(a any, p ...int) float64 {
	places := 0
	if len(p) > 0 {
		places = p[0]
	}
	pow := math.Pow(10, float64(places))
	return math.Round(toFloat64(a)*pow) / pow
}

func foldInt(a any, rest []any, f func(x, y int64) int64) int64 {
	acc := toInt64(a)
	for _, r := range rest {
		acc = f(acc, toInt64(r))
	}
	return acc
}

func foldFloat(a any, rest []any, f func(x, y float64) float64) float64 {
	acc := toFloat64(a)
	for _, r := range rest {
		acc = f(acc, toFloat64(r))
	}
	return acc
}
