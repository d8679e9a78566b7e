package filesystem

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
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
