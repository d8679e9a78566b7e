// Package objstore is jetlog's view of object storage: a small Bucket interface with one
// sub-package per backend (filesystem, s3). Everything above it (chunker, querier,
// compactor) sees only this interface, never an SDK.
package objstore

import (
	"context"
	"errors"
)

// ErrNotFound is returned (wrapped) by Get, GetRange, ReadRange and Attributes for a missing key.
var ErrNotFound = errors.New("object not found")

// Attrs describes a stored object.
type Attrs struct {
	Size int64
}

// Bucket stores immutable objects under slash-separated keys.
//
// Contracts every backend keeps (the suite in objstoretest checks them):
//   - Put is atomic: a reader sees the whole old object, the whole new one, or none; never a
//     part. When Put returns nil the object is durable.
//   - List walks keys with the given prefix in lexicographic order.
//   - Delete of a missing key is not an error.
//   - Every call honours ctx.
type Bucket interface {
	Put(ctx context.Context, key string, data []byte) error
	Get(ctx context.Context, key string) ([]byte, error)
	// GetRange reads length bytes at offset off.
	GetRange(ctx context.Context, key string, off, length int64) ([]byte, error)
	// ReadRange is GetRange into buf (len(buf) bytes at off); it returns how many bytes it
	// read, fewer than len(buf) only at the object's end. A caller that reuses its buffers
	// saves allocating and clearing one per range.
	ReadRange(ctx context.Context, key string, off int64, buf []byte) (int, error)
	Attributes(ctx context.Context, key string) (Attrs, error)
	// List calls fn for each key under prefix, in order; an error from fn stops the walk and
	// is returned.
	List(ctx context.Context, prefix string, fn func(key string, size int64) error) error
	Delete(ctx context.Context, key string) error
	// Ping checks that the bucket is reachable (for /ready).
	Ping(ctx context.Context) error
	Close() error
}

// IsNotFound reports whether err means a missing object.
func IsNotFound(err error) bool { return errors.Is(err, ErrNotFound) }
