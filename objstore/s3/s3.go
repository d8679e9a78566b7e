// Package s3 is an objstore.Bucket on an S3-compatible service (MinIO, AWS S3) through
// minio-go. It is the only package that imports the S3 SDK.
package s3

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/jetlog/jetlog/objstore"
)

// Bucket is one S3 bucket. It is safe for concurrent use.
type Bucket struct {
	client    *minio.Client
	bucket    string
	transport *http.Transport
}

var _ objstore.Bucket = (*Bucket)(nil)

// New connects to the service and creates the bucket if it does not exist. ctx bounds the
// existence check and creation only.
func New(ctx context.Context, cfg Config) (*Bucket, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("s3 config: %w", err)
	}
	tr, err := minio.DefaultTransport(!cfg.Insecure)
	if err != nil {
		return nil, fmt.Errorf("s3 transport: %w", err)
	}
	client, err := minio.New(cfg.Endpoint, &minio.Options{
		Creds:     credentials.NewStaticV4(cfg.AccessKeyID, cfg.SecretAccessKey, ""),
		Secure:    !cfg.Insecure,
		Region:    cfg.Region,
		Transport: tr,
	})
	if err != nil {
		return nil, fmt.Errorf("s3 client for %s: %w", cfg.Endpoint, err)
	}
	b := &Bucket{client: client, bucket: cfg.Bucket, transport: tr}
	exists, err := client.BucketExists(ctx, cfg.Bucket)
	if err != nil {
		return nil, b.wrap(ctx, "check bucket "+cfg.Bucket, err)
	}
	if !exists {
		err := client.MakeBucket(ctx, cfg.Bucket, minio.MakeBucketOptions{Region: cfg.Region})
		// Another replica may create it at the same moment.
		if err != nil && minio.ToErrorResponse(err).Code != "BucketAlreadyOwnedByYou" {
			return nil, b.wrap(ctx, "create bucket "+cfg.Bucket, err)
		}
	}
	return b, nil
}

// wrap adds context to an SDK error, mapping a missing key to objstore.ErrNotFound and
// preferring ctx's error when ctx is done (the SDK does not always wrap it).
func (b *Bucket) wrap(ctx context.Context, op string, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return fmt.Errorf("s3 %s: %w", op, cerr)
	}
	if isNotFound(err) {
		return fmt.Errorf("s3 %s: %w", op, objstore.ErrNotFound)
	}
	return fmt.Errorf("s3 %s: %w", op, err)
}

func isNotFound(err error) bool {
	switch minio.ToErrorResponse(err).Code {
	case "NoSuchKey", "XMinioObjectExistsAsDirectory", "XMinioParentIsObject":
		return true
	}
	return false
}

// Put uploads data; S3 makes the object visible only once complete.
func (b *Bucket) Put(ctx context.Context, key string, data []byte) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("s3 put %s: %w", key, err)
	}
	if key == "" {
		return errors.New("s3 put: empty key")
	}
	_, err := b.client.PutObject(ctx, b.bucket, key, bytes.NewReader(data), int64(len(data)),
		minio.PutObjectOptions{ContentType: "application/octet-stream"})
	if err != nil {
		return b.wrap(ctx, "put "+key, err)
	}
	return nil
}

// Get reads the whole object.
func (b *Bucket) Get(ctx context.Context, key string) ([]byte, error) {
	return b.read(ctx, "get "+key, key, minio.GetObjectOptions{})
}

func (b *Bucket) read(ctx context.Context, op, key string, opts minio.GetObjectOptions) ([]byte, error) {
	obj, err := b.getObject(ctx, op, key, opts)
	if err != nil {
		return nil, err
	}
	defer obj.Close()
	// GetObject is lazy: the request, and so a NoSuchKey, happens on the first read.
	data, err := io.ReadAll(obj)
	if err != nil {
		return nil, b.wrap(ctx, op, err)
	}
	return data, nil
}

func (b *Bucket) getObject(ctx context.Context, op, key string, opts minio.GetObjectOptions) (*minio.Object, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("s3 %s: %w", op, err)
	}
	if key == "" {
		return nil, fmt.Errorf("s3 %s: empty key", op)
	}
	obj, err := b.client.GetObject(ctx, b.bucket, key, opts)
	if err != nil {
		return nil, b.wrap(ctx, op, err)
	}
	return obj, nil
}

// GetRange reads length bytes at off; a range running past the end is cut at the end.
func (b *Bucket) GetRange(ctx context.Context, key string, off, length int64) ([]byte, error) {
	op := fmt.Sprintf("get range %s [%d,+%d)", key, off, length)
	opts, empty, err := b.rangeOptions(ctx, op, key, off, length)
	switch {
	case err != nil:
		return nil, err
	case empty:
		return []byte{}, nil
	}
	return b.read(ctx, op, key, opts)
}

// ReadRange reads len(buf) bytes at off into buf; a range running past the end is cut at the
// end.
func (b *Bucket) ReadRange(ctx context.Context, key string, off int64, buf []byte) (int, error) {
	op := fmt.Sprintf("read range %s [%d,+%d)", key, off, len(buf))
	opts, empty, err := b.rangeOptions(ctx, op, key, off, int64(len(buf)))
	if err != nil || empty {
		return 0, err
	}
	obj, err := b.getObject(ctx, op, key, opts)
	if err != nil {
		return 0, err
	}
	defer obj.Close()
	n, err := io.ReadFull(obj, buf)
	if errors.Is(err, io.ErrUnexpectedEOF) {
		// Fewer bytes: the range runs past the object's end, or the response was cut off.
		a, aerr := b.Attributes(ctx, key)
		if aerr != nil {
			return n, aerr
		}
		if int64(n) == min(int64(len(buf)), a.Size-off) {
			return n, nil
		}
	}
	if err != nil {
		return n, b.wrap(ctx, op, err)
	}
	return n, nil
}

// rangeOptions checks a range and sets it on the request's options; empty is a range of
// no bytes, which an HTTP range cannot express: it is answered from the attributes.
func (b *Bucket) rangeOptions(ctx context.Context, op, key string, off, length int64) (opts minio.GetObjectOptions, empty bool, err error) {
	if off < 0 || length < 0 {
		return opts, false, fmt.Errorf("s3 %s: invalid range", op)
	}
	if length == 0 {
		_, err := b.Attributes(ctx, key)
		return opts, true, err
	}
	if err := opts.SetRange(off, off+length-1); err != nil {
		return opts, false, fmt.Errorf("s3 %s: %w", op, err)
	}
	return opts, false, nil
}

// Attributes returns the object's size.
func (b *Bucket) Attributes(ctx context.Context, key string) (objstore.Attrs, error) {
	if err := ctx.Err(); err != nil {
		return objstore.Attrs{}, fmt.Errorf("s3 attributes %s: %w", key, err)
	}
	if key == "" {
		return objstore.Attrs{}, errors.New("s3 attributes: empty key")
	}
	info, err := b.client.StatObject(ctx, b.bucket, key, minio.StatObjectOptions{})
	if err != nil {
		return objstore.Attrs{}, b.wrap(ctx, "attributes "+key, err)
	}
	return objstore.Attrs{Size: info.Size}, nil
}

// List walks keys under prefix; S3 returns them in lexicographic (UTF-8 byte) order.
func (b *Bucket) List(ctx context.Context, prefix string, fn func(key string, size int64) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("s3 list %q: %w", prefix, err)
	}
	// Cancelling stops the SDK's listing goroutine when fn ends the walk early.
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for obj := range b.client.ListObjects(lctx, b.bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true}) {
		if obj.Err != nil {
			return b.wrap(ctx, fmt.Sprintf("list %q", prefix), obj.Err)
		}
		if err := fn(obj.Key, obj.Size); err != nil {
			return err
		}
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("s3 list %q: %w", prefix, err)
	}
	return nil
}

// Delete removes the object; S3 treats a missing key as success.
func (b *Bucket) Delete(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("s3 delete %s: %w", key, err)
	}
	if key == "" {
		return errors.New("s3 delete: empty key")
	}
	if err := b.client.RemoveObject(ctx, b.bucket, key, minio.RemoveObjectOptions{}); err != nil {
		if isNotFound(err) {
			return nil
		}
		return b.wrap(ctx, "delete "+key, err)
	}
	return nil
}

// Ping checks that the bucket exists and the service answers.
func (b *Bucket) Ping(ctx context.Context) error {
	ok, err := b.client.BucketExists(ctx, b.bucket)
	if err != nil {
		return b.wrap(ctx, "ping bucket "+b.bucket, err)
	}
	if !ok {
		return fmt.Errorf("s3 ping: bucket %s does not exist", b.bucket)
	}
	return nil
}

// Close drops idle connections; in-flight calls finish on their own.
func (b *Bucket) Close() error {
	b.transport.CloseIdleConnections()
	return nil
}

// Unreachable reports whether err came from not reaching the server at all (no S3 error
// answer: connection refused, a timeout, DNS), as opposed to a refusal such as bad credentials.
func Unreachable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	var resp minio.ErrorResponse
	return !errors.As(err, &resp) || resp.Code == ""
}
