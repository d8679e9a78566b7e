package main

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"strings"

	"github.com/jetlog/jetlog/bus"
	"github.com/jetlog/jetlog/chunker"
	gateway "github.com/jetlog/jetlog/ingest-gateway"
	"github.com/jetlog/jetlog/logql"
	"github.com/jetlog/jetlog/objstore/s3"
	"github.com/jetlog/jetlog/querier"
)

// Roles a process can run.
const (
	TargetAll     = "all"
	TargetGateway = "gateway"
	TargetChunker = "chunker"
	TargetQuerier = "querier"
)

// Config is the whole configuration of one jetlog process: one YAML document, every option
// also a flag. Component sections keep Loki's names where Loki has the setting
// (auth_enabled, limits_config, runtime_config at the top level, as in Loki).
type Config struct {
	Target   string `yaml:"target"`
	DataDir  string `yaml:"data_dir"`
	HTTPAddr string `yaml:"http_addr"`
	LogLevel string `yaml:"log_level"`

	Gateway gateway.Config     `yaml:",inline"`
	Bus     bus.Config         `yaml:"bus"`
	Storage StorageConfig      `yaml:"storage"`
	Chunker chunker.Config     `yaml:"chunker"`
	Engine  logql.EngineConfig `yaml:"query_engine"`
	Querier querier.Config     `yaml:"querier"`
}

// StorageConfig selects the object store.
type StorageConfig struct {
	Backend string    `yaml:"backend"`
	S3      s3.Config `yaml:"s3"`
}

// RegisterFlags sets every default and registers every flag.
func (c *Config) RegisterFlags(f *flag.FlagSet) {
	f.StringVar(&c.Target, "target", TargetAll, "Role(s) to run: all, gateway, chunker, querier (comma-separated for several).")
	f.StringVar(&c.DataDir, "data-dir", "./data", "Directory for the embedded NATS store and the filesystem object store.")
	f.StringVar(&c.HTTPAddr, "http-addr", "127.0.0.1:3100", "host:port of the HTTP server (Loki's API, /metrics, /ready).")
	f.StringVar(&c.LogLevel, "log.level", "info", "Log level: debug, info, warn, error.")
	c.Gateway.RegisterFlags(f)
	c.Bus.RegisterFlags(f)
	f.StringVar(&c.Storage.Backend, "storage.backend", "filesystem", "Object store: filesystem (under -data-dir/objects) or s3.")
	c.Storage.S3.RegisterFlags(f)
	c.Chunker.RegisterFlags(f)
	c.Engine.RegisterFlags(f)
	c.Querier.RegisterFlags(f)
}

// Validate reports every problem at once.
func (c *Config) Validate() error {
	var errs []error
	for _, t := range c.targets() {
		switch t {
		case TargetAll, TargetGateway, TargetChunker, TargetQuerier:
		default:
			errs = append(errs, fmt.Errorf("-target: unknown role %q (want all, gateway, chunker or querier)", t))
		}
	}
	if c.DataDir == "" {
		errs = append(errs, errors.New("-data-dir must not be empty"))
	}
	if c.HTTPAddr == "" {
		errs = append(errs, errors.New("-http-addr must not be empty"))
	}
	if err := new(slog.Level).UnmarshalText([]byte(c.LogLevel)); err != nil {
		errs = append(errs, fmt.Errorf("-log.level: %w", err))
	}
	switch c.Storage.Backend {
	case "filesystem":
	case "s3":
		errs = append(errs, c.Storage.S3.Validate())
	default:
		errs = append(errs, fmt.Errorf("-storage.backend: unknown backend %q (want filesystem or s3)", c.Storage.Backend))
	}
	c.Querier.AuthEnabled = c.Gateway.AuthEnabled
	errs = append(errs, c.Gateway.Validate(), c.Bus.Validate(), c.Chunker.Validate(), c.Engine.Validate(), c.Querier.Validate())
	return errors.Join(errs...)
}

func (c *Config) targets() []string {
	var out []string
	for _, t := range strings.Split(c.Target, ",") {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, t)
		}
	}
	return out
}

// runs reports whether this process runs role.
func (c *Config) runs(role string) bool {
	for _, t := range c.targets() {
		if t == TargetAll || t == role {
			return true
		}
	}
	return false
}
