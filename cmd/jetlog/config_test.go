package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
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

// The configuration shipped in deploy/k8s loads and validates, with the pod's environment.
func TestShippedKubernetesConfig(t *testing.T) {
	raw, err := os.ReadFile("../../deploy/k8s/config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var file string
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	for {
		var doc struct {
			Kind string            `yaml:"kind"`
			Data map[string]string `yaml:"data"`
		}
		if err := dec.Decode(&doc); err != nil {
			break
		}
		if doc.Kind == "ConfigMap" {
			file = doc.Data["jetlog.yaml"]
		}
	}
	if file == "" {
		t.Fatal("no jetlog.yaml in the ConfigMap")
	}
	t.Setenv("S3_ACCESS_KEY_ID", "k")
	t.Setenv("S3_SECRET_ACCESS_KEY", "s")
	t.Setenv("JETLOG_CHUNKER_INSTANCE_ID", "jetlog-chunker-abc")
	cfg, err := load(t, file, "-target=chunker")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Bus.Replicas != 3 || cfg.Storage.Backend != "s3" || cfg.Chunker.InstanceID != "jetlog-chunker-abc" {
		t.Fatalf("shipped config not applied: bus %+v, storage %q, chunker %+v", cfg.Bus, cfg.Storage.Backend, cfg.Chunker)
	}
}

// Every container the manifests in deploy/k8s run has a memory limit (the binary derives
// its soft memory limit from it, and without one a pod can take a node's memory), and every
// Go server without that derivation (nats-server) is given GOMEMLIMIT under its limit.
func TestShippedKubernetesLimits(t *testing.T) {
	files, err := filepath.Glob("../../deploy/k8s/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests: %v", err)
	}
	var containers int
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(raw))
		for {
			var doc struct {
				Kind     string `yaml:"kind"`
				Metadata struct {
					Name string `yaml:"name"`
				} `yaml:"metadata"`
				Spec struct {
					Template struct {
						Spec struct {
							Containers []struct {
								Name  string `yaml:"name"`
								Image string `yaml:"image"`
								Env   []struct {
									Name, Value string
								} `yaml:"env"`
								Resources struct {
									Limits map[string]string `yaml:"limits"`
								} `yaml:"resources"`
							} `yaml:"containers"`
						} `yaml:"spec"`
					} `yaml:"template"`
				} `yaml:"spec"`
			}
			if err := dec.Decode(&doc); err != nil {
				break
			}
			for _, c := range doc.Spec.Template.Spec.Containers {
				containers++
				where := doc.Kind + " " + doc.Metadata.Name + " " + c.Name
				if c.Resources.Limits["memory"] == "" {
					t.Errorf("%s: no memory limit", where)
				}
				if strings.HasPrefix(c.Image, "nats:") && !slices.ContainsFunc(c.Env, func(e struct{ Name, Value string }) bool {
					return e.Name == "GOMEMLIMIT" && e.Value != ""
				}) {
					t.Errorf("%s: no GOMEMLIMIT", where)
				}
			}
		}
	}
	if containers < 5 { // nats, minio, gateway, chunker, querier
		t.Fatalf("found %d containers in the manifests", containers)
	}
}

// README.md's flag table lists every flag with its current help text.
func TestReadmeListsEveryFlag(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var cfg Config
	fs := flag.NewFlagSet("jetlog", flag.ContinueOnError)
	cfg.RegisterFlags(fs)
	fs.String("config.file", "", "")
	fs.Bool("config.expand-env", false, "")
	fs.VisitAll(func(f *flag.Flag) {
		row := "| `-" + f.Name + "` |"
		i := strings.Index(string(readme), row)
		if i < 0 {
			t.Errorf("README.md has no row for -%s", f.Name)
			return
		}
		line := string(readme[i:])
		line = line[:strings.IndexByte(line, '\n')]
		if f.Usage != "" && !strings.Contains(line, f.Usage) {
			t.Errorf("README.md row for -%s does not carry its help text %q:\n%s", f.Name, f.Usage, line)
		}
	})
}
