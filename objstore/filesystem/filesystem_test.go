package filesystem

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jetlog/jetlog/objstore"
	"github.com/jetlog/jetlog/objstore/objstoretest"
)

func newBucket(t *testing.T) objstore.Bucket {
	b, err := New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

func TestSuite(t *testing.T) { objstoretest.RunSuite(t, newBucket) }

func TestKeyEscapeRejected(t *testing.T) {
	parent := t.TempDir()
	root := filepath.Join(parent, "root")
	b, err := New(root)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	f := func(key string) {
		t.Helper()
		if err := b.Put(ctx, key, []byte("x")); err == nil {
			t.Fatalf("Put(%q) succeeded, want a key error", key)
		}
		if _, err := b.Get(ctx, key); err == nil || objstore.IsNotFound(err) {
			t.Fatalf("Get(%q) err = %v, want a key error", key, err)
		}
		if err := b.Delete(ctx, key); err == nil {
			t.Fatalf("Delete(%q) succeeded, want a key error", key)
		}
	}
	f("")
	f("../escape")
	f("a/../../escape")
	f("a/..")
	f("/etc/passwd")
	f("a//b")
	f("a/")
	f("./a")
	f(`a\..\..\b`)
	f("a/.tmp-123")
	f("a\x00b")
	// Nothing landed outside the root.
	entries, err := os.ReadDir(parent)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() != "root" {
			t.Fatalf("file %q written outside the root", e.Name())
		}
	}
	if err := b.List(ctx, "../", func(string, int64) error { return nil }); err == nil {
		t.Fatal("List(\"../\") succeeded, want an error")
	}
}

func TestDeleteRemovesEmptyDirs(t *testing.T) {
	root := t.TempDir()
	b, err := New(root)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := b.Put(ctx, "t/x/y/z", []byte("1")); err != nil {
		t.Fatal(err)
	}
	if err := b.Put(ctx, "t/keep", []byte("1")); err != nil {
		t.Fatal(err)
	}
	if err := b.Delete(ctx, "t/x/y/z"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "t", "x")); !os.IsNotExist(err) {
		t.Fatalf("empty dir t/x left behind: %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, "t", "keep")); err != nil {
		t.Fatalf("sibling removed: %v", err)
	}
	if _, err := os.Stat(root); err != nil {
		t.Fatalf("root removed: %v", err)
	}
}

func TestListSkipsTempFiles(t *testing.T) {
	root := t.TempDir()
	b, err := New(root)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := b.Put(ctx, "p/obj", []byte("1")); err != nil {
		t.Fatal(err)
	}
	// A crashed writer leaves a temp file behind.
	if err := os.WriteFile(filepath.Join(root, "p", tmpPrefix+"999"), []byte("partial"), 0o644); err != nil {
		t.Fatal(err)
	}
	var keys []string
	if err := b.List(ctx, "", func(k string, _ int64) error { keys = append(keys, k); return nil }); err != nil {
		t.Fatal(err)
	}
	if strings.Join(keys, ",") != "p/obj" {
		t.Fatalf("List = %v, want [p/obj]", keys)
	}
}

func TestNewRejectsEmptyRoot(t *testing.T) {
	if _, err := New(""); err == nil {
		t.Fatal("New(\"\") succeeded")
	}
}

// TestPutDeleteSameDir races Puts against Deletes that empty (and so remove) the shared
// directory: every Put must still succeed.
func TestPutDeleteSameDir(t *testing.T) {
	b, err := New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	const n = 200
	errs := make(chan error, 2*n)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range n {
			if err := b.Delete(ctx, fmt.Sprintf("d/sub/del-%d", i)); err != nil {
				errs <- err
			}
		}
	}()
	for i := range n {
		key := fmt.Sprintf("d/sub/del-%d", i)
		if err := b.Put(ctx, key, []byte("x")); err != nil {
			errs <- err
		}
		if err := b.Delete(ctx, key); err != nil {
			errs <- err
		}
		if err := b.Put(ctx, fmt.Sprintf("d/sub/put-%d", i%3), []byte("x")); err != nil {
			errs <- err
		}
		if err := b.Delete(ctx, fmt.Sprintf("d/sub/put-%d", i%3)); err != nil {
			errs <- err
		}
	}
	<-done
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// FuzzKey checks that no key, valid or not, makes Put write outside the root or panic, and
// that an accepted key reads back.
func FuzzKey(f *testing.F) {
	for _, k := range []string{"a", "a/b/c.parquet", "../x", "a/../../x", "/abs", `a\b`, "a//b", ".", "..", "a/.tmp-1"} {
		f.Add(k)
	}
	f.Fuzz(func(t *testing.T, key string) {
		parent := t.TempDir()
		b, err := New(filepath.Join(parent, "root"))
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		if err := b.Put(ctx, key, []byte("v")); err == nil {
			got, err := b.Get(ctx, key)
			if err != nil || string(got) != "v" {
				t.Fatalf("Get(%q) after Put = %q, %v", key, got, err)
			}
			var keys []string
			if err := b.List(ctx, "", func(k string, _ int64) error { keys = append(keys, k); return nil }); err != nil {
				t.Fatal(err)
			}
			if len(keys) != 1 || keys[0] != key {
				t.Fatalf("List after Put(%q) = %q", key, keys)
			}
		}
		entries, err := os.ReadDir(parent)
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 1 || entries[0].Name() != "root" {
			t.Fatalf("Put(%q) wrote outside the root: %v", key, entries)
		}
	})
}
