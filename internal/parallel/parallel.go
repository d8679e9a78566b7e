// Package parallel runs the independent pieces of one request (bus ranges, object scans) on
// a bounded number of goroutines.
package parallel

import (
	"context"
	"sync"
)

// ForEach calls do for every item on up to n goroutines. The first error cancels the context
// the other calls run with, and is returned once every call has ended; items not started by
// then are skipped. A cancelled parent context is returned as its cause.
func ForEach[T any](ctx context.Context, items []T, n int, do func(context.Context, T) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	work := make(chan T)
	var wg sync.WaitGroup
	for range min(n, len(items)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for it := range work {
				if err := do(ctx, it); err != nil {
					cancel(err) // only the first cause is kept
				}
			}
		}()
	}
feed:
	for _, it := range items {
		select {
		case work <- it:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	return context.Cause(ctx)
}
