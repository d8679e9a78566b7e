package s3

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jetlog/jetlog/internal/testutil"
	"github.com/jetlog/jetlog/objstore"
	"github.com/jetlog/jetlog/objstore/objstoretest"
)

func testConfig(m *testutil.MinIO, bucket string) Config {
	return Config{
		Endpoint:        m.Endpoint,
		Bucket:          bucket,
		AccessKeyID:     m.AccessKey,
		SecretAccessKey: m.SecretKey,
		Insecure:        true,
	}
}

func newTestBucket(t *testing.T, cfg Config) *Bucket {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, err := New(ctx, cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

func TestSuite(t *testing.T) {
	m := testutil.StartMinIO(t)
	var n atomic.Int64
	objstoretest.RunSuite(t, func(t *testing.T) objstore.Bucket {
		// A fresh bucket per test keeps them independent on one server.
		return newTestBucket(t, testConfig(m, fmt.Sprintf("suite-%d", n.Add(1))))
	})
}

func TestNewCreatesBucketOnce(t *testing.T) {
	m := testutil.StartMinIO(t)
	cfg := testConfig(m, "created")
	b1 := newTestBucket(t, cfg)
	ctx := context.Background()
	if err := b1.Put(ctx, "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	// A second New on the existing bucket keeps its contents.
	b2 := newTestBucket(t, cfg)
	got, err := b2.Get(ctx, "k")
	if err != nil || string(got) != "v" {
		t.Fatalf("Get via second client = %q, %v", got, err)
	}
}

func TestNewBadCredentials(t *testing.T) {
	m := testutil.StartMinIO(t)
	cfg := testConfig(m, "creds")
	cfg.SecretAccessKey = "wrong-secret"
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := New(ctx, cfg); err == nil {
		t.Fatal("New with a wrong secret succeeded")
	}
}

// TestServerDown checks that calls against a dead server fail within the ctx deadline instead of
// hanging, and that the same Bucket works again once the server is back.
func TestServerDown(t *testing.T) {
	m := testutil.StartMinIO(t)
	b := newTestBucket(t, testConfig(m, "restart"))
	ctx := context.Background()
	if err := b.Put(ctx, "before", []byte("1")); err != nil {
		t.Fatal(err)
	}
	m.Stop()
	calls := map[string]func(ctx context.Context) error{
		"Put":        func(ctx context.Context) error { return b.Put(ctx, "during", []byte("2")) },
		"Get":        func(ctx context.Context) error { _, err := b.Get(ctx, "before"); return err },
		"GetRange":   func(ctx context.Context) error { _, err := b.GetRange(ctx, "before", 0, 1); return err },
		"Attributes": func(ctx context.Context) error { _, err := b.Attributes(ctx, "before"); return err },
		"List":       func(ctx context.Context) error { return b.List(ctx, "", func(string, int64) error { return nil }) },
		"Delete":     func(ctx context.Context) error { return b.Delete(ctx, "before") },
		"Ping":       b.Ping,
	}
	const deadline = time.Second
	for name, call := range calls {
		cctx, cancel := context.WithTimeout(ctx, deadline)
		start := time.Now()
		err := call(cctx)
		took := time.Since(start)
		cancel()
		if err == nil {
			t.Errorf("%s with server down succeeded", name)
		} else if objstore.IsNotFound(err) {
			t.Errorf("%s with server down = %v, must not look like a missing object", name, err)
		}
		if took > deadline+time.Second {
			t.Errorf("%s with server down took %s, want under the %s deadline", name, took, deadline)
		}
	}
	m.Start()
	got, err := b.Get(ctx, "before")
	if err != nil || string(got) != "1" {
		t.Fatalf("Get after restart = %q, %v", got, err)
	}
	if err := b.Ping(ctx); err != nil {
		t.Fatalf("Ping after restart: %v", err)
	}
}

func TestConfig(t *testing.T) {
	t.Run("defaults", func(t *testing.T) {
		var c Config
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		c.RegisterFlags(fs)
		if c.Bucket != "jetlog" {
			t.Fatalf("default bucket = %q, want jetlog", c.Bucket)
		}
		if err := fs.Parse([]string{"-s3.endpoint=minio:9000", "-s3.access-key-id=a", "-s3.secret-access-key=b", "-s3.insecure", "-s3.region=eu-west-1"}); err != nil {
			t.Fatal(err)
		}
		want := Config{Endpoint: "minio:9000", Bucket: "jetlog", AccessKeyID: "a", SecretAccessKey: "b", Region: "eu-west-1", Insecure: true}
		if c != want {
			t.Fatalf("parsed %+v, want %+v", c, want)
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("Validate: %v", err)
		}
	})
	f := func(c Config, wantErrs ...string) {
		t.Helper()
		err := c.Validate()
		if err == nil {
			t.Fatalf("Validate(%+v) = nil, want errors %q", c, wantErrs)
		}
		for _, w := range wantErrs {
			if !strings.Contains(err.Error(), w) {
				t.Fatalf("Validate(%+v) = %v, want it to mention %q", c, err, w)
			}
		}
	}
	ok := Config{Endpoint: "h:9000", Bucket: "jetlog"}
	with := func(mod func(*Config)) Config { c := ok; mod(&c); return c }
	f(with(func(c *Config) { c.Endpoint = "" }), "s3.endpoint: required")
	f(with(func(c *Config) { c.Endpoint = "http://h:9000" }), "without a scheme")
	f(with(func(c *Config) { c.Endpoint = "h:9000/path" }), "without a path")
	f(with(func(c *Config) { c.Bucket = "ab" }), "length")
	f(with(func(c *Config) { c.Bucket = "Upper" }), "lowercase")
	f(with(func(c *Config) { c.Bucket = "-abc" }), "start and end")
	f(with(func(c *Config) { c.Bucket = "a..b" }), "\"..\"")
	f(with(func(c *Config) { c.AccessKeyID = "x" }), "both or neither")
	// All problems at once.
	f(Config{Endpoint: "", Bucket: "X", AccessKeyID: "x"}, "endpoint", "bucket", "both or neither")
}
