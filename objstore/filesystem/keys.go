package filesystem

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"syscall"
)

// validateKey rejects keys that could escape the root or map ambiguously to files.
func validateKey(key string) error {
	if key == "" {
		return errors.New("empty key")
	}
	if strings.HasPrefix(key, "/") {
		return fmt.Errorf("key %q: absolute path", key)
	}
	if strings.ContainsRune(key, '\\') {
		return fmt.Errorf("key %q: contains backslash", key)
	}
	if strings.ContainsRune(key, 0) {
		return fmt.Errorf("key %q: contains NUL", key)
	}
	for _, seg := range strings.Split(key, "/") {
		switch {
		case seg == "":
			return fmt.Errorf("key %q: empty path segment", key)
		case seg == "." || seg == "..":
			return fmt.Errorf("key %q: %q segment", key, seg)
		case strings.HasPrefix(seg, tmpPrefix):
			return fmt.Errorf("key %q: segment uses reserved prefix %q", key, tmpPrefix)
		}
	}
	return nil
}

// path returns the file for key after validating it.
func (b *Bucket) path(key string) (string, error) {
	if err := validateKey(key); err != nil {
		return "", fmt.Errorf("filesystem bucket: %w", err)
	}
	return filepath.Join(b.root, filepath.FromSlash(key)), nil
}

// isNotDir reports ENOTDIR: a key path runs through an existing file ("a" is an object and
// "a/b" is asked for), which means the object is missing.
func isNotDir(err error) bool { return errors.Is(err, syscall.ENOTDIR) }
