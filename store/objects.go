package store

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"math/bits"
	"slices"
	"sync"

	"github.com/jetlog/jetlog/chunk"
	"github.com/jetlog/jetlog/objstore"
)

// maxOpenObjects bounds the cache of opened data objects (footer and page index, a few
// kilobytes each).
const maxOpenObjects = 4096

// openObject returns the opened data object key, cached: objects are immutable, so its
// footer and page index are read once per process.
func (s *Store) openObject(ctx context.Context, key string, idx *chunk.Index) (*chunk.Object, error) {
	s.mu.Lock()
	o := s.objects[key]
	s.mu.Unlock()
	if o != nil {
		return o, nil
	}
	size := idx.DataSize
	if size <= 0 { // index segments before format version 2 do not record it
		a, err := s.bucket.Attributes(ctx, key)
		if err != nil {
			return nil, err
		}
		size = a.Size
	}
	rr := &rangeReader{ctx: ctx, bucket: s.bucket, key: key, size: size}
	// The footer and the page index sit at the end of the object.
	if err := rr.fetch([2]int64{0, 4}, [2]int64{size - footerGuess, size}); err != nil {
		return nil, err
	}
	o, err := chunk.OpenObject(rr, size, idx)
	s.m.objectBytes.Add(float64(rr.fetched))
	rr.release() // scans bring their own reader
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	if len(s.objects) >= maxOpenObjects {
		clear(s.objects)
	}
	s.objects[key] = o
	s.mu.Unlock()
	return o, nil
}

// footerGuess is read from the end of an object when it is opened; more is read when the
// footer and page index are larger.
const footerGuess = 64 << 10

// rangeReader is an io.ReaderAt over one stored object that reads byte ranges: those
// prefetched first, and on a miss readAheadMiss bytes from the missing offset. Not safe for
// concurrent use.
type rangeReader struct {
	ctx     context.Context
	bucket  objstore.Bucket
	key     string
	size    int64
	spans   []rspan // ascending and disjoint
	fetched int64
	gone    bool
}

type rspan struct {
	off  int64
	data []byte
}

func (s rspan) end() int64 { return s.off + int64(len(s.data)) }

const readAheadMiss = 256 << 10

// release returns the reader's buffers; reads after it fail.
func (r *rangeReader) release() {
	for _, sp := range r.spans {
		putRangeBuf(sp.data)
	}
	r.spans, r.gone = nil, true
}

// Range buffers are recycled by power-of-two size class: a query reads most bytes of the
// objects it scans, and a buffer allocated anew for each range costs clearing it and
// collecting it (5% of the needle query's CPU). Ranges above maxPooledRange are allocated.
const (
	minPooledShift = 12 // 4 KB
	maxPooledShift = 24 // 16 MB
	maxPooledRange = 1 << maxPooledShift
)

var rangeBufs [maxPooledShift + 1]sync.Pool // of *[]byte, cap 1<<class

// rangeClass is the class of a buffer of n bytes: the smallest power of two holding n.
func rangeClass(n int) int { return max(minPooledShift, bits.Len(uint(n-1))) }

// getRangeBuf returns a buffer of length n, not cleared.
func getRangeBuf(n int) []byte {
	if n > maxPooledRange || n <= 0 {
		return make([]byte, n)
	}
	c := rangeClass(n)
	if p, _ := rangeBufs[c].Get().(*[]byte); p != nil {
		return (*p)[:n]
	}
	return make([]byte, n, 1<<c)
}

// putRangeBuf recycles a buffer of getRangeBuf; others are left to the collector.
func putRangeBuf(b []byte) {
	c := cap(b)
	if c > maxPooledRange || c < 1<<minPooledShift || c&(c-1) != 0 {
		return
	}
	b = b[:0]
	rangeBufs[rangeClass(c)].Put(&b)
}

// find returns the index of the last span starting at or before off, or -1.
func (r *rangeReader) find(off int64) int {
	i, found := slices.BinarySearchFunc(r.spans, off, func(s rspan, off int64) int { return cmp.Compare(s.off, off) })
	if found {
		return i
	}
	return i - 1
}

// gaps appends the parts of [off, end) that no span holds.
func (r *rangeReader) gaps(dst [][2]int64, off, end int64) [][2]int64 {
	off, end = max(off, 0), min(end, r.size)
	i := max(r.find(off), 0)
	for off < end {
		for i < len(r.spans) && r.spans[i].end() <= off {
			i++
		}
		if i < len(r.spans) && r.spans[i].off <= off {
			off = r.spans[i].end()
			continue
		}
		next := end
		if i < len(r.spans) {
			next = min(end, r.spans[i].off)
		}
		dst = append(dst, [2]int64{off, next})
		off = next
	}
	return dst
}

// fetch reads the parts of each range not held yet, a few requests at a time.
func (r *rangeReader) fetch(ranges ...[2]int64) error {
	if r.gone {
		return chunk.IOError(fmt.Errorf("read %s: reader released", r.key))
	}
	// Merge the ranges first: spans must stay disjoint for find.
	ranges = slices.Clone(ranges)
	slices.SortFunc(ranges, func(a, b [2]int64) int { return cmp.Compare(a[0], b[0]) })
	var merged [][2]int64
	for _, rg := range ranges {
		if k := len(merged); k > 0 && rg[0] <= merged[k-1][1] {
			merged[k-1][1] = max(merged[k-1][1], rg[1])
			continue
		}
		merged = append(merged, rg)
	}
	var todo [][2]int64
	for _, rg := range merged {
		todo = r.gaps(todo, rg[0], rg[1])
	}
	got := make([]rspan, len(todo))
	errs := make([]error, len(todo))
	get := func(i int) {
		got[i].off = todo[i][0]
		buf := getRangeBuf(int(todo[i][1] - todo[i][0]))
		n, err := r.bucket.ReadRange(r.ctx, r.key, todo[i][0], buf)
		got[i].data, errs[i] = buf[:n], err
	}
	if len(todo) == 1 {
		get(0)
	} else {
		var wg sync.WaitGroup
		sem := make(chan struct{}, 4)
		for i := range todo {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				get(i)
			}()
		}
		wg.Wait()
	}
	for i := range todo {
		err := errs[i]
		if err == nil && int64(len(got[i].data)) != todo[i][1]-todo[i][0] {
			err = fmt.Errorf("short range at %d", todo[i][0])
		}
		if err != nil {
			for _, g := range got {
				putRangeBuf(g.data)
			}
			return chunk.IOError(fmt.Errorf("read %s: %w", r.key, err))
		}
		r.fetched += int64(len(got[i].data))
	}
	r.spans = append(r.spans, got...)
	slices.SortFunc(r.spans, func(a, b rspan) int { return cmp.Compare(a.off, b.off) })
	return nil
}

func (r *rangeReader) ReadAt(p []byte, off int64) (int, error) {
	n := 0
	for n < len(p) {
		if off >= r.size {
			return n, io.EOF
		}
		i := r.find(off)
		if i < 0 || r.spans[i].end() <= off {
			if err := r.fetch([2]int64{off, off + max(int64(len(p)-n), readAheadMiss)}); err != nil {
				return n, err
			}
			continue
		}
		k := copy(p[n:], r.spans[i].data[off-r.spans[i].off:])
		n += k
		off += int64(k)
	}
	return n, nil
}
