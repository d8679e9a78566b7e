// Package filesystem is an objstore.Bucket on a local directory, for single-node setups and
// tests. Keys map to files under the root; writes go to a temp file in the same directory that
// is fsynced and renamed into place, so a reader sees a whole object or none.
package filesystem

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/jetlog/jetlog/objstore"
)

// tmpPrefix marks in-flight writes; List skips such files.
const tmpPrefix = ".tmp-"

// Bucket stores objects as files under a root directory. It is safe for concurrent use.
type Bucket struct {
	root string
}

var _ objstore.Bucket = (*Bucket)(nil)

// New returns a Bucket rooted at root, creating the directory if missing.
func New(root string) (*Bucket, error) {
	if root == "" {
		return nil, errors.New("filesystem bucket: empty root directory")
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("filesystem bucket: resolve root %q: %w", root, err)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return nil, fmt.Errorf("filesystem bucket: create root: %w", err)
	}
	return &Bucket{root: abs}, nil
}

// Put writes data atomically and durably: temp file, fsync, rename, fsync of the directory.
func (b *Bucket) Put(ctx context.Context, key string, data []byte) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	p, err := b.path(key)
	if err != nil {
		return err
	}
	dir := filepath.Dir(p)
	f, err := b.createTemp(dir)
	if err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			_ = f.Close()
			_ = os.Remove(tmp)
		}
	}()
	if _, err := f.Write(data); err != nil {
		return fmt.Errorf("put %s: write: %w", key, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("put %s: fsync: %w", key, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("put %s: close: %w", key, err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	if err := os.Rename(tmp, p); err != nil {
		return fmt.Errorf("put %s: rename: %w", key, err)
	}
	ok = true
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	return nil
}

// createTemp creates a temp file in dir, making dir and its parents durably first. A
// concurrent Delete may remove a directory it has just emptied between the two steps, so the
// pair is retried a few times.
func (b *Bucket) createTemp(dir string) (*os.File, error) {
	var err error
	for range 5 {
		if err = b.mkdirAll(dir); err != nil {
			return nil, err
		}
		var f *os.File
		f, err = os.CreateTemp(dir, tmpPrefix+"*")
		if err == nil {
			return f, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("create temp file: %w", err)
		}
	}
	return nil, fmt.Errorf("create temp file: %w", err)
}

// mkdirAll creates dir and any missing parents under the root, fsyncing each parent that gains
// an entry, so a new object's path survives a crash along with the object.
func (b *Bucket) mkdirAll(dir string) error {
	if st, err := os.Stat(dir); err == nil {
		if !st.IsDir() {
			return fmt.Errorf("%s: not a directory", dir)
		}
		return nil
	}
	if dir == b.root {
		return fmt.Errorf("bucket root %s is missing", dir)
	}
	if !strings.HasPrefix(dir, b.root) {
		return fmt.Errorf("mkdir %s: outside the bucket root", dir)
	}
	parent := filepath.Dir(dir)
	if err := b.mkdirAll(parent); err != nil {
		return err
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil // made by a concurrent Put
		}
		return fmt.Errorf("mkdir: %w", err)
	}
	return syncDir(parent)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open dir for fsync: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("fsync dir: %w", err)
	}
	return nil
}

// open opens key for reading, mapping a missing file to objstore.ErrNotFound.
func (b *Bucket) open(ctx context.Context, op, key string) (*os.File, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%s %s: %w", op, key, err)
	}
	p, err := b.path(key)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, os.ErrInvalid) || isNotDir(err) {
			return nil, fmt.Errorf("%s %s: %w", op, key, objstore.ErrNotFound)
		}
		return nil, fmt.Errorf("%s %s: %w", op, key, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s %s: %w", op, key, err)
	}
	if st.IsDir() {
		// A key that is only a prefix of other keys is not an object.
		f.Close()
		return nil, fmt.Errorf("%s %s: %w", op, key, objstore.ErrNotFound)
	}
	return f, nil
}

// Get reads the whole object.
func (b *Bucket) Get(ctx context.Context, key string) ([]byte, error) {
	f, err := b.open(ctx, "get", key)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", key, err)
	}
	return data, nil
}

// GetRange reads length bytes at off; a range running past the end is cut at the end, as S3 does.
func (b *Bucket) GetRange(ctx context.Context, key string, off, length int64) ([]byte, error) {
	f, size, err := b.openRange(ctx, key, off, length)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	buf := make([]byte, min(length, size-off)) // sized by the file, not by the caller alone
	if _, err := f.ReadAt(buf, off); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("get range %s: %w", key, err)
	}
	return buf, nil
}

// ReadRange reads len(buf) bytes at off into buf, fewer at the end of the object.
func (b *Bucket) ReadRange(ctx context.Context, key string, off int64, buf []byte) (int, error) {
	f, size, err := b.openRange(ctx, key, off, int64(len(buf)))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	buf = buf[:min(int64(len(buf)), size-off)]
	n, err := f.ReadAt(buf, off)
	if err != nil && !errors.Is(err, io.EOF) {
		return n, fmt.Errorf("read range %s: %w", key, err)
	}
	return n, nil
}

// openRange opens key for reading length bytes at off and returns its size; an offset past
// the end is an error.
func (b *Bucket) openRange(ctx context.Context, key string, off, length int64) (*os.File, int64, error) {
	if off < 0 || length < 0 {
		return nil, 0, fmt.Errorf("get range %s: invalid range off=%d length=%d", key, off, length)
	}
	f, err := b.open(ctx, "get range", key)
	if err != nil {
		return nil, 0, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("get range %s: %w", key, err)
	}
	if off > st.Size() || (off == st.Size() && length > 0) {
		f.Close()
		return nil, 0, fmt.Errorf("get range %s: offset %d beyond size %d", key, off, st.Size())
	}
	return f, st.Size(), nil
}

// Attributes returns the object's size.
func (b *Bucket) Attributes(ctx context.Context, key string) (objstore.Attrs, error) {
	f, err := b.open(ctx, "attributes", key)
	if err != nil {
		return objstore.Attrs{}, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return objstore.Attrs{}, fmt.Errorf("attributes %s: %w", key, err)
	}
	return objstore.Attrs{Size: st.Size()}, nil
}

// Delete removes the object and then any parent directories left empty (up to, not including,
// the root). A missing key is not an error.
func (b *Bucket) Delete(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("delete %s: %w", key, err)
	}
	p, err := b.path(key)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil {
		if errors.Is(err, fs.ErrNotExist) || isNotDir(err) {
			return nil
		}
		return fmt.Errorf("delete %s: %w", key, err)
	}
	// Make the removal durable (a deleted intent must not come back after a crash). A
	// concurrent Delete may already have removed the emptied directory.
	if err := syncDir(filepath.Dir(p)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("delete %s: %w", key, err)
	}
	// Best effort: a concurrent Put may refill a directory, and then Remove fails harmlessly.
	for dir := filepath.Dir(p); dir != b.root && strings.HasPrefix(dir, b.root); dir = filepath.Dir(dir) {
		if os.Remove(dir) != nil {
			break
		}
	}
	return nil
}

// Ping checks that the root is still a reachable directory.
func (b *Bucket) Ping(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("ping: %w", err)
	}
	st, err := os.Stat(b.root)
	if err != nil {
		return fmt.Errorf("ping %s: %w", b.root, err)
	}
	if !st.IsDir() {
		return fmt.Errorf("ping %s: not a directory", b.root)
	}
	return nil
}

// Close releases nothing; it exists for the interface.
func (b *Bucket) Close() error { return nil }
