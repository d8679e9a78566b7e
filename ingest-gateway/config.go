package gateway

import (
	"errors"
	"flag"
	"fmt"
	"time"
)

// Config configures the gateway. YAML keys and flags are Loki's where Loki has the setting.
type Config struct {
	// AuthEnabled requires X-Scope-OrgID on every push; without it every push goes to tenant "fake".
	AuthEnabled bool `yaml:"auth_enabled"`
	// MaxRecvMsgSize bounds the request body, compressed and decompressed (413 beyond).
	MaxRecvMsgSize int `yaml:"max_recv_msg_size"`
	// MaxInflightPushBytes bounds the decompressed bytes of all pushes being decoded and
	// published at once (503 beyond); 0 disables.
	MaxInflightPushBytes int64 `yaml:"max_inflight_push_bytes"`
	// Limits are the default per-tenant limits (limits_config).
	Limits Limits `yaml:"limits_config"`
	// RuntimeConfig names the per-tenant overrides file (runtime_config).
	RuntimeConfig RuntimeConfig `yaml:"runtime_config"`
}

// RuntimeConfig is Loki's runtime_config block.
type RuntimeConfig struct {
	File         string        `yaml:"file"`
	ReloadPeriod time.Duration `yaml:"period"`
}

// RegisterFlags registers the flags and sets the defaults.
func (c *Config) RegisterFlags(f *flag.FlagSet) {
	f.BoolVar(&c.AuthEnabled, "auth.enabled", true, "Require X-Scope-OrgID (multi-tenancy); when false every push goes to tenant \"fake\".")
	f.IntVar(&c.MaxRecvMsgSize, "distributor.max-recv-msg-size", 100<<20, "Maximum size in bytes of a push request body, compressed or decompressed.")
	f.Int64Var(&c.MaxInflightPushBytes, "distributor.max-inflight-push-bytes", 512<<20, "Decompressed bytes of all pushes a gateway decodes and publishes at once; a push beyond gets 503 (retried by agents). 0 disables.")
	f.StringVar(&c.RuntimeConfig.File, "runtime-config.file", "", "File with per-tenant limit overrides (Loki's overrides: format), reloaded periodically.")
	f.DurationVar(&c.RuntimeConfig.ReloadPeriod, "runtime-config.reload-period", 10*time.Second, "How often to reload the runtime config file.")
	c.Limits.RegisterFlags(f)
}

// Validate reports every configuration problem.
func (c *Config) Validate() error {
	var errs []error
	if c.MaxRecvMsgSize <= 0 {
		errs = append(errs, fmt.Errorf("distributor.max-recv-msg-size must be positive, got %d", c.MaxRecvMsgSize))
	}
	if c.MaxInflightPushBytes < 0 {
		errs = append(errs, fmt.Errorf("distributor.max-inflight-push-bytes must not be negative, got %d", c.MaxInflightPushBytes))
	}
	if c.RuntimeConfig.File != "" && c.RuntimeConfig.ReloadPeriod <= 0 {
		errs = append(errs, fmt.Errorf("runtime-config.reload-period must be positive, got %s", c.RuntimeConfig.ReloadPeriod))
	}
	if err := c.Limits.Validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
