package main

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func load(t *testing.T, yaml string, args ...string) (*Config, error) {
	t.Helper()
	var cfg Config
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.SetOutput(new(strings.Builder))
	if yaml != "" {
		f := filepath.Join(t.TempDir(), "c.yaml")
		if err := os.WriteFile(f, []byte(yaml), 0o600); err != nil {
			t.Fatal(err)
		}
		args = append([]string{"-config.file", f, "-config.expand-env"}, args...)
	}
	if err := loadConfig(&cfg, fs, args); err != nil {
		return nil, err
	}
	return &cfg, cfg.Validate()
}

func TestConfigFileThenFlags(t *testing.T) {
	t.Setenv("JL_SECRET", "s3cr3t")
	cfg, err := load(t, `
http_addr: 127.0.0.1:4100
auth_enabled: false
limits_config: {reject_old_samples: false}
bus: {partitions: 8}
storage: {backend: s3, s3: {endpoint: "127.0.0.1:9000", bucket: logs, access_key_id: k, secret_access_key: ${JL_SECRET}}}
`, "-bus.partitions=4")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.HTTPAddr != "127.0.0.1:4100" || cfg.Gateway.AuthEnabled || cfg.Querier.AuthEnabled {
		t.Fatalf("file values not applied: %+v", cfg)
	}
	if cfg.Bus.Partitions != 4 {
		t.Fatalf("flag must win over the file: partitions %d", cfg.Bus.Partitions)
	}
	if cfg.Gateway.Limits.RejectOldSamples || cfg.Storage.S3.SecretAccessKey != "s3cr3t" {
		t.Fatalf("nested or expanded values lost: %+v", cfg.Storage.S3)
	}
	out, err := maskedYAML(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), "s3cr3t") || !strings.Contains(string(out), "********") {
		t.Fatalf("/config leaks the secret:\n%s", out)
	}
}

func TestConfigErrorsReportedTogether(t *testing.T) {
	if _, err := load(t, "no_such_key: 1\n"); err == nil || !strings.Contains(err.Error(), "no_such_key") {
		t.Fatalf("unknown YAML key: %v", err)
	}
	_, err := load(t, "", "-target=nonsense", "-storage.backend=tape", "-bus.partitions=0")
	if err == nil {
		t.Fatal("invalid configuration accepted")
	}
	for _, want := range []string{"nonsense", "tape", "-bus.partitions"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %q: %v", want, err)
		}
	}
}
