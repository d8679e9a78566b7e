// Package objstoretest is the conformance suite every objstore.Bucket backend runs: it checks
// the contracts written on the interface (atomic overwrite, ordered listing, not-found mapping,
// idempotent delete, ctx honoured) against a real backend.
package objstoretest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jetlog/jetlog/objstore"
)

// RunSuite runs every conformance test against fresh buckets made by newBucket. newBucket must
// return an empty bucket for each call and register its own cleanup with t.
func RunSuite(t *testing.T, newBucket func(t *testing.T) objstore.Bucket) {
	tests := []struct {
		name string
		fn   func(t *testing.T, b objstore.Bucket)
	}{
		{"PutGet", testPutGet},
		{"GetRange", testGetRange},
		{"Attributes", testAttributes},
		{"NotFound", testNotFound},
		{"Overwrite", testOverwrite},
		{"ListOrder", testListOrder},
		{"ListPrefix", testListPrefix},
		{"ListStop", testListStop},
		{"Delete", testDelete},
		{"ConcurrentPuts", testConcurrentPuts},
		{"ContextCancelled", testContextCancelled},
		{"Ping", testPing},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := newBucket(t)
			tc.fn(t, b)
		})
	}
}

func ctxT(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func mustPut(t *testing.T, b objstore.Bucket, key string, data []byte) {
	t.Helper()
	if err := b.Put(ctxT(t), key, data); err != nil {
		t.Fatalf("Put(%q): %v", key, err)
	}
}

func testPutGet(t *testing.T, b objstore.Bucket) {
	ctx := ctxT(t)
	f := func(key string, data []byte) {
		t.Helper()
		mustPut(t, b, key, data)
		got, err := b.Get(ctx, key)
		if err != nil {
			t.Fatalf("Get(%q): %v", key, err)
		}
		if !bytes.Equal(got, data) {
			t.Fatalf("Get(%q) = %d bytes %q..., want %d bytes", key, len(got), trunc(got), len(data))
		}
	}
	f("a", []byte("hello"))
	f("tenant-1/chunks/2026/01/01/obj.parquet", []byte("parquet bytes"))
	f("empty", []byte{})
	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
	f("big/object", big)
}

func testGetRange(t *testing.T, b objstore.Bucket) {
	ctx := ctxT(t)
	data := []byte("0123456789")
	mustPut(t, b, "r/obj", data)
	f := func(off, length int64, want string) {
		t.Helper()
		got, err := b.GetRange(ctx, "r/obj", off, length)
		if err != nil {
			t.Fatalf("GetRange(%d, %d): %v", off, length, err)
		}
		if string(got) != want {
			t.Fatalf("GetRange(%d, %d) = %q, want %q", off, length, got, want)
		}
	}
	// ReadRange reads the same bytes into a buffer of the asked length; what it leaves of
	// the buffer is untouched.
	into := func(off, length int64, want string) {
		t.Helper()
		buf := bytes.Repeat([]byte("-"), int(length))
		n, err := b.ReadRange(ctx, "r/obj", off, buf)
		if err != nil {
			t.Fatalf("ReadRange(%d, %d): %v", off, length, err)
		}
		if string(buf[:n]) != want || strings.Trim(string(buf[n:]), "-") != "" {
			t.Fatalf("ReadRange(%d, %d) = %d bytes, buffer %q; want %q", off, length, n, buf, want)
		}
	}
	for _, c := range []struct {
		off, length int64
		want        string
	}{{0, 10, "0123456789"}, {0, 1, "0"}, {3, 4, "3456"}, {9, 1, "9"}, {7, 100, "789"}, {4, 0, ""}} {
		f(c.off, c.length, c.want) // past the end is cut at the end
		into(c.off, c.length, c.want)
	}
	// A range starting past the end is an error, but not a missing object.
	if _, err := b.GetRange(ctx, "r/obj", 11, 1); err == nil || objstore.IsNotFound(err) {
		t.Fatalf("GetRange past the end err = %v, want a range error", err)
	}
	if _, err := b.ReadRange(ctx, "r/obj", 11, make([]byte, 1)); err == nil || objstore.IsNotFound(err) {
		t.Fatalf("ReadRange past the end err = %v, want a range error", err)
	}
	if _, err := b.GetRange(ctx, "r/missing", 0, 1); !objstore.IsNotFound(err) {
		t.Fatalf("GetRange(missing) err = %v, want ErrNotFound", err)
	}
	if _, err := b.ReadRange(ctx, "r/missing", 0, make([]byte, 1)); !objstore.IsNotFound(err) {
		t.Fatalf("ReadRange(missing) err = %v, want ErrNotFound", err)
	}
	if _, err := b.ReadRange(ctx, "r/missing", 0, nil); !objstore.IsNotFound(err) {
		t.Fatalf("ReadRange(missing, no bytes) err = %v, want ErrNotFound", err)
	}
}

func testAttributes(t *testing.T, b objstore.Bucket) {
	ctx := ctxT(t)
	mustPut(t, b, "x/y", []byte("12345"))
	mustPut(t, b, "x/empty", nil)
	f := func(key string, want int64) {
		t.Helper()
		a, err := b.Attributes(ctx, key)
		if err != nil {
			t.Fatalf("Attributes(%q): %v", key, err)
		}
		if a.Size != want {
			t.Fatalf("Attributes(%q).Size = %d, want %d", key, a.Size, want)
		}
	}
	f("x/y", 5)
	f("x/empty", 0)
}

func testNotFound(t *testing.T, b objstore.Bucket) {
	ctx := ctxT(t)
	mustPut(t, b, "dir/obj", []byte("v"))
	for _, key := range []string{"nope", "dir/nope", "dir", "dir/obj/deeper"} {
		if _, err := b.Get(ctx, key); !objstore.IsNotFound(err) {
			t.Errorf("Get(%q) err = %v, want ErrNotFound", key, err)
		}
		if _, err := b.Attributes(ctx, key); !objstore.IsNotFound(err) {
			t.Errorf("Attributes(%q) err = %v, want ErrNotFound", key, err)
		}
	}
}

func testOverwrite(t *testing.T, b objstore.Bucket) {
	ctx := ctxT(t)
	mustPut(t, b, "o", []byte("first version, longer"))
	mustPut(t, b, "o", []byte("second"))
	got, err := b.Get(ctx, "o")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "second" {
		t.Fatalf("after overwrite Get = %q, want %q", got, "second")
	}
	a, err := b.Attributes(ctx, "o")
	if err != nil {
		t.Fatal(err)
	}
	if a.Size != 6 {
		t.Fatalf("after overwrite Size = %d, want 6", a.Size)
	}
	n := 0
	if err := b.List(ctx, "", func(string, int64) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("after overwrite List saw %d keys, want 1", n)
	}
}

type entry struct {
	key  string
	size int64
}

func list(t *testing.T, b objstore.Bucket, prefix string) []entry {
	t.Helper()
	var got []entry
	if err := b.List(ctxT(t), prefix, func(key string, size int64) error {
		got = append(got, entry{key, size})
		return nil
	}); err != nil {
		t.Fatalf("List(%q): %v", prefix, err)
	}
	return got
}

// orderKeys are chosen so that file-tree order and key order differ: "a-b" < "a.c" < "a/a" <
// "a0" because '-' < '.' < '/' < '0'. No key is also a prefix directory of another ("a" and
// "a/a"), which a filesystem cannot hold.
var orderKeys = []string{"a0", "a/b", "a-b", "a/b/c", "b", "a/a", "a.c", "ab/z", "a/b0"}

func putOrderKeys(t *testing.T, b objstore.Bucket) {
	t.Helper()
	for i, k := range orderKeys {
		if k == "a/b" {
			continue // "a/b" and "a/b/c" cannot both be files on a filesystem
		}
		mustPut(t, b, k, bytes.Repeat([]byte{'x'}, i+1))
	}
}

func testListOrder(t *testing.T, b objstore.Bucket) {
	putOrderKeys(t, b)
	got := list(t, b, "")
	want := []entry{{"a-b", 3}, {"a.c", 7}, {"a/a", 6}, {"a/b/c", 4}, {"a/b0", 9}, {"a0", 1}, {"ab/z", 8}, {"b", 5}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("List(\"\") =\n%v\nwant\n%v", got, want)
	}
}

func testListPrefix(t *testing.T, b objstore.Bucket) {
	putOrderKeys(t, b)
	f := func(prefix string, want ...string) {
		t.Helper()
		var keys []string
		for _, e := range list(t, b, prefix) {
			keys = append(keys, e.key)
		}
		if fmt.Sprint(keys) != fmt.Sprint(want) {
			t.Fatalf("List(%q) = %v, want %v", prefix, keys, want)
		}
	}
	f("a/", "a/a", "a/b/c", "a/b0")
	f("a/b", "a/b/c", "a/b0")
	f("a/b/", "a/b/c")
	f("a", "a-b", "a.c", "a/a", "a/b/c", "a/b0", "a0", "ab/z")
	f("ab", "ab/z")
	f("b", "b")
	f("c")
	f("zz/")
}

func testListStop(t *testing.T, b objstore.Bucket) {
	putOrderKeys(t, b)
	stop := errors.New("stop")
	n := 0
	err := b.List(ctxT(t), "", func(string, int64) error {
		n++
		if n == 2 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) {
		t.Fatalf("List err = %v, want the callback's error", err)
	}
	if n != 2 {
		t.Fatalf("callback ran %d times after error, want 2", n)
	}
}

func testDelete(t *testing.T, b objstore.Bucket) {
	ctx := ctxT(t)
	mustPut(t, b, "d/one", []byte("1"))
	mustPut(t, b, "d/sub/two", []byte("2"))
	if err := b.Delete(ctx, "d/sub/two"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := b.Get(ctx, "d/sub/two"); !objstore.IsNotFound(err) {
		t.Fatalf("Get after Delete err = %v, want ErrNotFound", err)
	}
	if err := b.Delete(ctx, "d/sub/two"); err != nil {
		t.Fatalf("second Delete: %v", err)
	}
	if err := b.Delete(ctx, "never/existed"); err != nil {
		t.Fatalf("Delete(missing): %v", err)
	}
	if got := list(t, b, ""); fmt.Sprint(got) != fmt.Sprint([]entry{{"d/one", 1}}) {
		t.Fatalf("List after Delete = %v", got)
	}
	// The key is usable again after delete.
	mustPut(t, b, "d/sub/two", []byte("again"))
	if got, err := b.Get(ctx, "d/sub/two"); err != nil || string(got) != "again" {
		t.Fatalf("Get after re-Put = %q, %v", got, err)
	}
}

func testConcurrentPuts(t *testing.T, b objstore.Bucket) {
	ctx := ctxT(t)
	const writers, rounds = 8, 5
	// Each writer writes a payload of a distinct, self-describing content; a reader must always
	// see one whole payload (atomic Put), never a mix or a prefix.
	payload := func(w int) []byte { return bytes.Repeat([]byte{byte('A' + w)}, 64<<10+w) }
	var wg sync.WaitGroup
	errs := make(chan error, writers*rounds*2+rounds)
	mustPut(t, b, "shared", payload(0))
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range rounds {
				if err := b.Put(ctx, "shared", payload(w)); err != nil {
					errs <- fmt.Errorf("writer %d: %w", w, err)
				}
				if err := b.Put(ctx, fmt.Sprintf("own/%d/%d", w, r), payload(w)); err != nil {
					errs <- fmt.Errorf("writer %d own: %w", w, err)
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for range rounds * 4 {
			got, err := b.Get(ctx, "shared")
			if err != nil {
				errs <- fmt.Errorf("reader: %w", err)
				continue
			}
			w := int(got[0] - 'A')
			if w < 0 || w >= writers || !bytes.Equal(got, payload(w)) {
				errs <- fmt.Errorf("reader saw a torn object of %d bytes", len(got))
			}
		}
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := len(list(t, b, "own/")); n != writers*rounds {
		t.Fatalf("List(own/) = %d keys, want %d", n, writers*rounds)
	}
}

func testContextCancelled(t *testing.T, b objstore.Bucket) {
	mustPut(t, b, "c/obj", []byte("v"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	checks := map[string]error{
		"Put":        b.Put(ctx, "c/new", []byte("v")),
		"Get":        second(b.Get(ctx, "c/obj")),
		"GetRange":   second(b.GetRange(ctx, "c/obj", 0, 1)),
		"ReadRange":  second(b.ReadRange(ctx, "c/obj", 0, make([]byte, 1))),
		"Attributes": second(b.Attributes(ctx, "c/obj")),
		"List":       b.List(ctx, "", func(string, int64) error { return nil }),
		"Delete":     b.Delete(ctx, "c/obj"),
	}
	for op, err := range checks {
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s with cancelled ctx: err = %v, want context.Canceled", op, err)
		}
	}
	// Nothing was changed by the cancelled calls.
	if got := list(t, b, ""); fmt.Sprint(got) != fmt.Sprint([]entry{{"c/obj", 1}}) {
		t.Fatalf("List after cancelled calls = %v", got)
	}
}

func testPing(t *testing.T, b objstore.Bucket) {
	if err := b.Ping(ctxT(t)); err != nil {
		t.Fatalf("Ping: %v", err)
	}
}

func second[T any](_ T, err error) error { return err }

func trunc(b []byte) []byte {
	if len(b) > 16 {
		return b[:16]
	}
	return b
}
