package filesystem

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

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
