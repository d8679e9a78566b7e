package filesystem

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/jetlog/jetlog/objstore"
)

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
