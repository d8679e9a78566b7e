package filesystem

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// List walks keys under prefix in lexicographic key order. Directories are read sorted and
// descended in key order: a directory "a" holds keys "a/..." which sort after "a-x" ('-' < '/'),
// so entries are ordered by their key form (directories with a trailing slash).
func (b *Bucket) List(ctx context.Context, prefix string, fn func(key string, size int64) error) error {
	if strings.ContainsRune(prefix, '\\') || strings.HasPrefix(prefix, "/") {
		return fmt.Errorf("list %q: invalid prefix", prefix)
	}
	for _, seg := range strings.Split(prefix, "/") {
		if seg == "." || seg == ".." {
			return fmt.Errorf("list %q: invalid prefix", prefix)
		}
	}
	// Start at the deepest directory the prefix fully names.
	startRel := ""
	if i := strings.LastIndexByte(prefix, '/'); i >= 0 {
		startRel = prefix[:i+1]
	}
	return b.walk(ctx, startRel, prefix, fn)
}

// walk lists directory rel (a key prefix ending in "/" or empty for the root).
func (b *Bucket) walk(ctx context.Context, rel, prefix string, fn func(string, int64) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("list %q: %w", prefix, err)
	}
	entries, err := os.ReadDir(filepath.Join(b.root, filepath.FromSlash(rel)))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || isNotDir(err) {
			return nil
		}
		return fmt.Errorf("list %q: %w", prefix, err)
	}
	type item struct {
		name  string // key form: directories end in "/"
		isDir bool
	}
	items := make([]item, 0, len(entries))
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), tmpPrefix) {
			continue
		}
		it := item{name: rel + e.Name(), isDir: e.IsDir()}
		if it.isDir {
			it.name += "/"
		}
		items = append(items, it)
	}
	sort.Slice(items, func(i, j int) bool { return items[i].name < items[j].name })
	for _, it := range items {
		if it.isDir {
			// Descend when the directory can hold keys with the prefix.
			if strings.HasPrefix(it.name, prefix) || strings.HasPrefix(prefix, it.name) {
				if err := b.walk(ctx, it.name, prefix, fn); err != nil {
					return err
				}
			}
			continue
		}
		if !strings.HasPrefix(it.name, prefix) {
			continue
		}
		info, err := os.Stat(filepath.Join(b.root, filepath.FromSlash(it.name)))
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue // deleted while listing
			}
			return fmt.Errorf("list %q: %w", prefix, err)
		}
		if err := fn(it.name, info.Size()); err != nil {
			return err
		}
	}
	return nil
}
