package filesystem

import (
	"errors"
	"syscall"
)

// isNotDir reports ENOTDIR: a key path runs through an existing file ("a" is an object and
// "a/b" is asked for), which means the object is missing.
func isNotDir(err error) bool { return errors.Is(err, syscall.ENOTDIR) }
