package gateway

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/grafana/loki/pkg/push"
	"gopkg.in/yaml.v3"
)

func TestDefaultsAreLoki(t *testing.T) {
	l := DefaultLimits()
	f := func(name string, got, want any) {
		t.Helper()
		if got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	f("reject_old_samples", l.RejectOldSamples, true)
	f("reject_old_samples_max_age", l.RejectOldSamplesMaxAge, 168*time.Hour)
	f("creation_grace_period", l.CreationGracePeriod, 10*time.Minute)
	f("max_line_size", l.MaxLineSize, ByteSize(256000))
	f("max_label_names_per_series", l.MaxLabelNamesPerSeries, 15)
	f("max_label_name_length", l.MaxLabelNameLength, 1024)
	f("max_label_value_length", l.MaxLabelValueLength, 2048)
	f("ingestion_rate_mb", l.IngestionRateMB, 4.0)
	f("ingestion_burst_size_mb", l.IngestionBurstSizeMB, 6.0)
	f("per_stream_rate_limit", l.PerStreamRateLimit, ByteSize(3000000))
	f("per_stream_rate_limit_burst", l.PerStreamRateLimitBurst, ByteSize(15000000))
	f("max_global_streams_per_user", l.MaxGlobalStreamsPerUser, 5000)
	f("max_structured_metadata_size", l.MaxStructuredMetadataSize, ByteSize(64000))
	f("max_structured_metadata_entries_count", l.MaxStructuredMetadataEntriesCount, 128)
	f("allow_structured_metadata", l.AllowStructuredMetadata, true)
	f("discover_service_name", l.DiscoverServiceName.String(), strings.Join(defaultDiscoverServiceName, ","))
	f("ByteSize.String", l.PerStreamRateLimit.String(), "3.0 MB")

	var c Config
	fs := flag.NewFlagSet("", flag.ContinueOnError)
	c.RegisterFlags(fs)
	if err := fs.Parse([]string{"-auth.enabled=false", "-distributor.max-line-size=1MB", "-validation.discover-service-name=", "-runtime-config.file=x"}); err != nil {
		t.Fatal(err)
	}
	f("flag auth", c.AuthEnabled, false)
	f("flag max line", c.Limits.MaxLineSize, ByteSize(1000000))
	f("flag discover", len(c.Limits.DiscoverServiceName), 0)
	f("max recv", c.MaxRecvMsgSize, 100<<20)
	f("reload period", c.RuntimeConfig.ReloadPeriod, 10*time.Second)
}

func TestConfigValidateReportsAll(t *testing.T) {
	c := defaultConfig()
	c.MaxRecvMsgSize = 0
	c.Limits.IngestionRateMB = -1
	c.Limits.DiscoverServiceName = StringList{"bad-name"}
	err := c.Validate()
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"max-recv-msg-size", "ingestion_rate_mb", `"bad-name"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

func TestOverridesReload(t *testing.T) {
	path := filepath.Join(t.TempDir(), "runtime.yaml")
	write := func(s string) {
		t.Helper()
		if err := os.WriteFile(path+".tmp", []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(path+".tmp", path); err != nil {
			t.Fatal(err)
		}
	}
	write("overrides:\n  t1:\n    max_line_size: 10B\n    ingestion_rate_mb: 1\n    max_structured_metadata_size: 1024\n    discover_service_name: [app]\n")
	ov, err := NewOverrides(DefaultLimits(), path, 10*time.Millisecond, nil)
	if err != nil {
		t.Fatal(err)
	}
	if l := ov.ForTenant("t1"); l.MaxLineSize != 10 || l.IngestionRateMB != 1 || l.MaxLabelNamesPerSeries != 15 ||
		l.MaxStructuredMetadataSize != 1024 || l.DiscoverServiceName.String() != "app" {
		t.Fatalf("t1 limits %+v", l)
	}
	if l := ov.ForTenant("t2"); l.MaxLineSize != 256000 {
		t.Fatalf("t2 limits %+v", l)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ov.Run(ctx) }()
	defer func() { cancel(); <-done }()

	write("overrides:\n  t1:\n    max_line_size: 20B\n")
	waitFor(t, func() bool { return ov.ForTenant("t1").MaxLineSize == 20 })
	// A broken file keeps the previous overrides.
	write("overrides:\n  t1:\n    max_lines_size: 30B\n")
	time.Sleep(50 * time.Millisecond) // several reload periods
	if ov.ForTenant("t1").MaxLineSize != 20 {
		t.Fatal("broken runtime config replaced the overrides")
	}
	if _, err := NewOverrides(DefaultLimits(), path, time.Second, nil); err == nil || !strings.Contains(err.Error(), "max_lines_size") {
		t.Fatalf("bad file at start: %v", err)
	}
}

func TestOverrideAppliesWithoutRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "runtime.yaml")
	if err := os.WriteFile(path, []byte("overrides:\n  small:\n    max_line_size: 5B\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	e := newTestEnv(t, func(c *Config) { c.RuntimeConfig.File = path })
	body := protoBody(t, push.Stream{Labels: `{app="a"}`, Entries: []push.Entry{entry(0, "123456")}})
	if status, msg := e.post(t, "/loki/api/v1/push", body, "X-Scope-OrgID", "small"); status != 400 || !strings.Contains(msg, "Max entry size '5' bytes") {
		t.Fatalf("small: %d %q", status, msg)
	}
	if status, msg := e.post(t, "/loki/api/v1/push", body, "X-Scope-OrgID", "other"); status != 204 {
		t.Fatalf("other: %d %q", status, msg)
	}
}

func TestTenantRateLimit(t *testing.T) {
	e := newTestEnv(t, func(c *Config) {
		c.Limits.IngestionRateMB = 1.0 / 1024 // 1024 B/s
		c.Limits.IngestionBurstSizeMB = 1.0 / 1024
	})
	line := strings.Repeat("x", 600)
	body := protoBody(t, push.Stream{Labels: `{app="a"}`, Entries: []push.Entry{entry(0, line)}})
	if status, msg := e.post(t, "/loki/api/v1/push", body, "X-Scope-OrgID", "t1"); status != 204 {
		t.Fatalf("first push: %d %q", status, msg)
	}
	status, msg := e.post(t, "/loki/api/v1/push", body, "X-Scope-OrgID", "t1")
	want := "Ingestion rate limit exceeded for user t1 (limit: 1024 bytes/sec) while attempting to ingest '1' lines totaling '600' bytes, reduce log volume or contact your Loki administrator to see if the limit can be increased\n"
	if status != 429 || msg != want {
		t.Fatalf("second push: %d %q", status, msg)
	}
	if got := len(e.pub.streams(t)[`{app="a", service_name="a"}`]); got != 1 {
		t.Fatalf("published %d entries, want 1", got)
	}
	if v := value(t, e.g.m.discardedBytes.WithLabelValues(reasonRateLimited, "t1")); v != 600 {
		t.Fatalf("discarded bytes %v", v)
	}
	// Another tenant has its own bucket.
	if status, msg := e.post(t, "/loki/api/v1/push", body, "X-Scope-OrgID", "t2"); status != 204 {
		t.Fatalf("t2: %d %q", status, msg)
	}
}

func TestStreamLimits(t *testing.T) {
	t.Run("max streams", func(t *testing.T) {
		e := newTestEnv(t, func(c *Config) { c.Limits.MaxGlobalStreamsPerUser = 2 })
		body := protoBody(t,
			push.Stream{Labels: `{app="a"}`, Entries: []push.Entry{entry(0, "1")}},
			push.Stream{Labels: `{app="b"}`, Entries: []push.Entry{entry(0, "2")}},
			push.Stream{Labels: `{app="c"}`, Entries: []push.Entry{entry(0, "3")}},
		)
		status, msg := e.post(t, "/loki/api/v1/push", body, "X-Scope-OrgID", "t1")
		want := `Maximum active stream limit exceeded when trying to create stream {app="c", service_name="c"}, reduce the number of active streams (reduce labels or reduce label values), or contact your Loki administrator to see if the limit can be increased, user: 't1'` + "\n"
		if status != 429 || msg != want {
			t.Fatalf("got %d %q", status, msg)
		}
		if got := e.pub.streams(t); len(got) != 2 {
			t.Fatalf("published %v", got)
		}
		// Known streams keep flowing.
		if status, msg := e.post(t, "/loki/api/v1/push", protoBody(t, push.Stream{Labels: `{app="a"}`, Entries: []push.Entry{entry(time.Second, "4")}}), "X-Scope-OrgID", "t1"); status != 204 {
			t.Fatalf("known stream: %d %q", status, msg)
		}
	})
	t.Run("per stream rate", func(t *testing.T) {
		e := newTestEnv(t, func(c *Config) {
			c.Limits.PerStreamRateLimit = 100
			c.Limits.PerStreamRateLimitBurst = 100
		})
		body := protoBody(t,
			push.Stream{Labels: `{app="big"}`, Entries: []push.Entry{entry(0, strings.Repeat("x", 101))}},
			push.Stream{Labels: `{app="small"}`, Entries: []push.Entry{entry(0, "ok")}},
		)
		status, msg := e.post(t, "/loki/api/v1/push", body, "X-Scope-OrgID", "t1")
		want := `Per stream rate limit exceeded (limit: 100 B/sec) while attempting to ingest for stream '{app="big", service_name="big"}' totaling 101 B, consider splitting a stream via additional labels or contact your Loki administrator to see if the limit can be increased` + "\n"
		if status != 429 || msg != want {
			t.Fatalf("got %d %q", status, msg)
		}
		if got := e.pub.streams(t); len(got) != 1 || len(got[`{app="small", service_name="small"}`]) != 1 {
			t.Fatalf("published %v", got)
		}
	})
}

// waitFor polls cond for up to 5 s.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached within 5s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestIdleTenantsForgotten(t *testing.T) {
	ls := newLimiters()
	l := DefaultLimits()
	ls.tenant("a", &l)
	ls.tenant("b", &l)
	ls.tenants["a"].lastSeen = time.Now().Add(-2 * streamIdle)
	ls.sweep(time.Now())
	if _, ok := ls.tenants["a"]; ok {
		t.Fatal("idle tenant kept")
	}
	if _, ok := ls.tenants["b"]; !ok {
		t.Fatal("active tenant forgotten")
	}
}

func TestRunStopsWithContext(t *testing.T) {
	e := newTestEnv(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.g.Run(ctx) }()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
}

func TestLineTruncateAndDisallowedMetadata(t *testing.T) {
	t.Run("truncate", func(t *testing.T) {
		e := newTestEnv(t, func(c *Config) { c.Limits.MaxLineSize = 4; c.Limits.MaxLineSizeTruncate = true })
		if status, msg := e.post(t, "/loki/api/v1/push", protoBody(t, push.Stream{Labels: `{app="a"}`, Entries: []push.Entry{entry(0, "abcdefgh")}}), "X-Scope-OrgID", "t1"); status != 204 {
			t.Fatalf("%d %q", status, msg)
		}
		if got := e.pub.streams(t)[`{app="a", service_name="a"}`]; len(got) != 1 || got[0].Line != "abcd" {
			t.Fatalf("got %+v", got)
		}
	})
	t.Run("metadata disallowed", func(t *testing.T) {
		e := newTestEnv(t, func(c *Config) { c.Limits.AllowStructuredMetadata = false })
		status, msg := e.post(t, "/loki/api/v1/push", protoBody(t, push.Stream{Labels: `{app="a"}`, Entries: []push.Entry{entry(0, "x", "k", "v"), entry(time.Second, "y")}}), "X-Scope-OrgID", "t1")
		want := "stream '{app=\"a\", service_name=\"a\"}' includes structured metadata, but this feature is disallowed. Please see `limits_config.allow_structured_metadata` or contact your Loki administrator to enable it.\n"
		if status != 400 || msg != want {
			t.Fatalf("%d %q", status, msg)
		}
		if got := e.pub.streams(t)[`{app="a", service_name="a"}`]; len(got) != 1 || got[0].Line != "y" {
			t.Fatalf("got %+v", got)
		}
	})
	t.Run("old samples allowed", func(t *testing.T) {
		e := newTestEnv(t, func(c *Config) { c.Limits.RejectOldSamples = false })
		if status, msg := e.post(t, "/loki/api/v1/push", protoBody(t, push.Stream{Labels: `{app="a"}`, Entries: []push.Entry{entry(-365*24*time.Hour, "old")}}), "X-Scope-OrgID", "t1"); status != 204 {
			t.Fatalf("%d %q", status, msg)
		}
	})
}

func TestConfigYAML(t *testing.T) {
	c := defaultConfig()
	doc := `
auth_enabled: false
max_recv_msg_size: 1048576
limits_config:
  max_line_size: 1MB
  reject_old_samples: false
  discover_service_name: [svc]
runtime_config:
  file: /tmp/overrides.yaml
  period: 30s
`
	dec := yaml.NewDecoder(strings.NewReader(doc))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		t.Fatal(err)
	}
	if c.AuthEnabled || c.MaxRecvMsgSize != 1<<20 || c.Limits.MaxLineSize != 1000000 || c.Limits.RejectOldSamples ||
		c.Limits.DiscoverServiceName.String() != "svc" || c.RuntimeConfig.ReloadPeriod != 30*time.Second {
		t.Fatalf("decoded %+v", c)
	}
	if c.Limits.MaxLabelNamesPerSeries != 15 || c.Limits.IngestionBurstSizeMB != 6 {
		t.Fatalf("defaults lost: %+v", c.Limits)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
}

// TestConcurrentPushesAndReloads runs pushes from several tenants while overrides change
// (meaningful under -race).
func TestConcurrentPushesAndReloads(t *testing.T) {
	path := filepath.Join(t.TempDir(), "runtime.yaml")
	if err := os.WriteFile(path, []byte("overrides:\n  t0:\n    ingestion_rate_mb: 100\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	e := newTestEnv(t, func(c *Config) { c.RuntimeConfig.File = path; c.RuntimeConfig.ReloadPeriod = time.Millisecond })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.g.Run(ctx) }()
	defer func() { cancel(); <-done }()
	body := protoBody(t, push.Stream{Labels: `{app="a"}`, Entries: []push.Entry{entry(0, "line")}})
	errs := make(chan error, 4)
	for w := 0; w < 4; w++ {
		go func() {
			for i := 0; i < 20; i++ {
				status, msg, err := e.postErr("/loki/api/v1/push", body, "X-Scope-OrgID", "t"+strconv.Itoa(i%2))
				if err != nil || status != 204 {
					errs <- fmt.Errorf("push: %d %q %v", status, msg, err)
					return
				}
				if i%5 == 0 {
					_ = os.WriteFile(path+strconv.Itoa(w), []byte("overrides:\n  t0:\n    ingestion_rate_mb: "+strconv.Itoa(50+i)+"\n"), 0o644)
					_ = os.Rename(path+strconv.Itoa(w), path)
				}
			}
			errs <- nil
		}()
	}
	for w := 0; w < 4; w++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if got := len(e.pub.streams(t)[`{app="a", service_name="a"}`]); got != 80 {
		t.Fatalf("published %d entries, want 80", got)
	}
}
