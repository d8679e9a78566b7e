package querier

import (
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

func TestConfigYAML(t *testing.T) {
	cfg := defaultConfig(t)
	doc := `
max_entries_limit_per_query: 1000
query_timeout: 2m
multi_tenant_queries_enabled: true
tail_max_duration: 10m
overrides:
  acme:
    max_query_series: 50
    max_query_length: 24h
    max_concurrent_tail_requests: 2
`
	if err := yaml.Unmarshal([]byte(doc), &cfg); err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if cfg.MaxEntriesLimitPerQuery != 1000 || cfg.QueryTimeout != 2*time.Minute || !cfg.MultiTenantQueriesEnabled || cfg.MaxQuerySeries != 500 ||
		cfg.TailMaxDuration != 10*time.Minute || cfg.MaxConcurrentTailRequests != 10 {
		t.Fatalf("defaults and file not merged: %+v", cfg)
	}
	api, err := New(cfg, &fakeEngine{}, &fakeMeta{}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := api.limitsFor([]string{"acme"})
	want := Limits{MaxEntriesLimitPerQuery: 1000, MaxQuerySeries: 50, MaxQueryLength: 24 * time.Hour, QueryTimeout: 2 * time.Minute, MaxConcurrentTailRequests: 2}
	if got != want {
		t.Fatalf("acme limits %+v, want %+v", got, want)
	}
	if got := api.limitsFor([]string{"other"}); got != cfg.Limits {
		t.Fatalf("default tenant limits %+v", got)
	}
}
