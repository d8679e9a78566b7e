package gateway

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync/atomic"
	"time"

	"gopkg.in/yaml.v3"
)

// Overrides serves each tenant's effective Limits: the defaults, or the defaults with the
// tenant's entry of the runtime config file applied (Loki's format):
//
//	overrides:
//	  tenant-a:
//	    ingestion_rate_mb: 10
//	    max_line_size: 512KB
//
// Run reloads the file every period; a file that fails to load or validate is logged and the
// previous overrides stay in force. Safe for concurrent use.
type Overrides struct {
	defaults *Limits
	file     string
	period   time.Duration
	logger   *slog.Logger
	cur      atomic.Pointer[map[string]*Limits]
}

// NewOverrides loads file (if not empty) once; a bad file at start is an error.
func NewOverrides(defaults Limits, file string, period time.Duration, logger *slog.Logger) (*Overrides, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	d := defaults
	o := &Overrides{defaults: &d, file: file, period: period, logger: logger}
	empty := map[string]*Limits{}
	o.cur.Store(&empty)
	if file != "" {
		if err := o.reload(); err != nil {
			return nil, err
		}
	}
	return o, nil
}

// ForTenant returns the tenant's limits. The result must not be modified.
func (o *Overrides) ForTenant(tenant string) *Limits {
	if l, ok := (*o.cur.Load())[tenant]; ok {
		return l
	}
	return o.defaults
}

// Run reloads the file every period until ctx ends.
func (o *Overrides) Run(ctx context.Context) error {
	if o.file == "" || o.period <= 0 {
		<-ctx.Done()
		return nil
	}
	t := time.NewTicker(o.period)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if err := o.reload(); err != nil {
				o.logger.Error("runtime config reload failed; keeping previous overrides", "file", o.file, "err", err)
			}
		}
	}
}

func (o *Overrides) reload() error {
	b, err := os.ReadFile(o.file)
	if err != nil {
		return fmt.Errorf("read runtime config: %w", err)
	}
	m, err := parseOverrides(b, *o.defaults)
	if err != nil {
		return fmt.Errorf("runtime config %s: %w", o.file, err)
	}
	o.cur.Store(&m)
	return nil
}

// parseOverrides decodes Loki's runtime config; every tenant's entry starts from defaults, so
// a tenant lists only what differs. Unknown keys are errors (a typo must not pass silently).
func parseOverrides(b []byte, defaults Limits) (map[string]*Limits, error) {
	var doc struct {
		Overrides map[string]yaml.Node `yaml:"overrides"`
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return map[string]*Limits{}, nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("parse: %w", err)
	}
	out := make(map[string]*Limits, len(doc.Overrides))
	for tenant, node := range doc.Overrides {
		l := defaults
		l.DiscoverServiceName = append(StringList(nil), defaults.DiscoverServiceName...)
		if err := decodeStrict(&node, &l); err != nil {
			return nil, fmt.Errorf("tenant %q: %w", tenant, err)
		}
		if err := l.Validate(); err != nil {
			return nil, fmt.Errorf("tenant %q: %w", tenant, err)
		}
		out[tenant] = &l
	}
	return out, nil
}

// decodeStrict decodes a node rejecting unknown fields (yaml.Node.Decode has no such switch,
// so the node is re-encoded and decoded with KnownFields).
func decodeStrict(n *yaml.Node, v any) error {
	b, err := yaml.Marshal(n)
	if err != nil {
		return err
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	return dec.Decode(v)
}
