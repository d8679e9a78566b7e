package gateway

import (
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/dustin/go-humanize"
	"gopkg.in/yaml.v3"
)

// Limits are the per-tenant ingestion limits, with Loki's limits_config YAML keys, flag names
// and defaults. A tenant's effective Limits are the defaults with its runtime overrides applied.
// A *Limits handed out by Overrides is never mutated afterwards (caches key on the pointer).
type Limits struct {
	RejectOldSamples       bool          `yaml:"reject_old_samples"`
	RejectOldSamplesMaxAge time.Duration `yaml:"reject_old_samples_max_age"`
	CreationGracePeriod    time.Duration `yaml:"creation_grace_period"`

	MaxLineSize         ByteSize `yaml:"max_line_size"`
	MaxLineSizeTruncate bool     `yaml:"max_line_size_truncate"`

	MaxLabelNamesPerSeries int `yaml:"max_label_names_per_series"`
	MaxLabelNameLength     int `yaml:"max_label_name_length"`
	MaxLabelValueLength    int `yaml:"max_label_value_length"`

	IngestionRateMB                   float64  `yaml:"ingestion_rate_mb"`
	IngestionBurstSizeMB              float64  `yaml:"ingestion_burst_size_mb"`
	PerStreamRateLimit                ByteSize `yaml:"per_stream_rate_limit"`
	PerStreamRateLimitBurst           ByteSize `yaml:"per_stream_rate_limit_burst"`
	MaxGlobalStreamsPerUser           int      `yaml:"max_global_streams_per_user"`
	MaxStructuredMetadataSize         ByteSize `yaml:"max_structured_metadata_size"`
	MaxStructuredMetadataEntriesCount int      `yaml:"max_structured_metadata_entries_count"`

	DiscoverServiceName     StringList `yaml:"discover_service_name"`
	AllowStructuredMetadata bool       `yaml:"allow_structured_metadata"`
}

// defaultDiscoverServiceName is Loki's default -validation.discover-service-name list.
var defaultDiscoverServiceName = []string{
	"service", "app", "application", "app_name", "name", "app_kubernetes_io_name",
	"container", "container_name", "k8s_container_name", "component", "workload", "job",
	"k8s_job_name",
}

const bytesInMB = 1 << 20

// RegisterFlags registers Loki's flags and sets Loki's defaults.
func (l *Limits) RegisterFlags(f *flag.FlagSet) {
	f.BoolVar(&l.RejectOldSamples, "validation.reject-old-samples", true, "Whether or not old samples will be rejected.")
	f.DurationVar(&l.RejectOldSamplesMaxAge, "validation.reject-old-samples.max-age", 7*24*time.Hour, "Maximum accepted sample age before rejecting.")
	f.DurationVar(&l.CreationGracePeriod, "validation.create-grace-period", 10*time.Minute, "Duration which table will be created/deleted before/after it's needed; samples newer than now plus this are rejected.")
	l.MaxLineSize = 256000 // Loki's "256KB", parsed with SI units
	f.Var(&l.MaxLineSize, "distributor.max-line-size", "Maximum line size on ingestion path (0 disables).")
	f.BoolVar(&l.MaxLineSizeTruncate, "distributor.max-line-size-truncate", false, "Whether to truncate lines that exceed max_line_size.")
	f.IntVar(&l.MaxLabelNamesPerSeries, "validation.max-label-names-per-series", 15, "Maximum number of label names per series.")
	f.IntVar(&l.MaxLabelNameLength, "validation.max-length-label-name", 1024, "Maximum length accepted for label names.")
	f.IntVar(&l.MaxLabelValueLength, "validation.max-length-label-value", 2048, "Maximum length accepted for label value.")
	f.Float64Var(&l.IngestionRateMB, "distributor.ingestion-rate-limit-mb", 4, "Per-tenant ingestion rate limit in megabytes per second.")
	f.Float64Var(&l.IngestionBurstSizeMB, "distributor.ingestion-burst-size-mb", 6, "Per-tenant allowed ingestion burst size in megabytes.")
	l.PerStreamRateLimit = 3000000
	f.Var(&l.PerStreamRateLimit, "ingester.per-stream-rate-limit", "Maximum byte rate per second per stream.")
	l.PerStreamRateLimitBurst = 15000000
	f.Var(&l.PerStreamRateLimitBurst, "ingester.per-stream-rate-limit-burst", "Maximum burst bytes per stream.")
	f.IntVar(&l.MaxGlobalStreamsPerUser, "ingester.max-global-streams-per-user", 5000, "Maximum number of active streams per tenant (0 disables).")
	l.MaxStructuredMetadataSize = 64000
	f.Var(&l.MaxStructuredMetadataSize, "limits.max-structured-metadata-size", "Maximum size accepted for structured metadata per entry (0 disables).")
	f.IntVar(&l.MaxStructuredMetadataEntriesCount, "limits.max-structured-metadata-entries-count", 128, "Maximum number of structured metadata entries per entry (0 disables).")
	l.DiscoverServiceName = append(StringList(nil), defaultDiscoverServiceName...)
	f.Var(&l.DiscoverServiceName, "validation.discover-service-name", "Comma-separated labels to take service_name from, in order; empty disables discovery.")
	f.BoolVar(&l.AllowStructuredMetadata, "validation.allow-structured-metadata", true, "Allow user to send structured metadata in push payload.")
}

// DefaultLimits returns the limits with Loki's defaults.
func DefaultLimits() Limits {
	var l Limits
	l.RegisterFlags(flag.NewFlagSet("", flag.ContinueOnError))
	return l
}

// Validate reports every invalid limit.
func (l *Limits) Validate() error {
	var errs []error
	neg := func(name string, v float64) {
		if v < 0 {
			errs = append(errs, fmt.Errorf("limits_config.%s must not be negative", name))
		}
	}
	neg("reject_old_samples_max_age", float64(l.RejectOldSamplesMaxAge))
	neg("creation_grace_period", float64(l.CreationGracePeriod))
	neg("max_line_size", float64(l.MaxLineSize))
	neg("max_label_names_per_series", float64(l.MaxLabelNamesPerSeries))
	neg("max_label_name_length", float64(l.MaxLabelNameLength))
	neg("max_label_value_length", float64(l.MaxLabelValueLength))
	neg("ingestion_rate_mb", l.IngestionRateMB)
	neg("ingestion_burst_size_mb", l.IngestionBurstSizeMB)
	neg("per_stream_rate_limit", float64(l.PerStreamRateLimit))
	neg("per_stream_rate_limit_burst", float64(l.PerStreamRateLimitBurst))
	neg("max_global_streams_per_user", float64(l.MaxGlobalStreamsPerUser))
	neg("max_structured_metadata_size", float64(l.MaxStructuredMetadataSize))
	neg("max_structured_metadata_entries_count", float64(l.MaxStructuredMetadataEntriesCount))
	for _, n := range l.DiscoverServiceName {
		if !validLabelName(n) {
			errs = append(errs, fmt.Errorf("limits_config.discover_service_name: %q is not a valid label name", n))
		}
	}
	return errors.Join(errs...)
}

// ByteSize is a byte count written like Loki's flagext.ByteSize: "256KB", "3MB" (SI units, as
// go-humanize parses them) or a plain integer.
type ByteSize int64

// String renders the size the way Loki's error messages do ("3.0 MB").
func (b ByteSize) String() string { return humanize.Bytes(uint64(b)) }

// Set parses a flag value.
func (b *ByteSize) Set(s string) error {
	v, err := humanize.ParseBytes(strings.TrimSpace(s))
	if err != nil {
		return fmt.Errorf("invalid byte size %q: %w", s, err)
	}
	if v > 1<<62 {
		return fmt.Errorf("byte size %q too large", s)
	}
	*b = ByteSize(v)
	return nil
}

// UnmarshalYAML accepts "64KB" or 65536.
func (b *ByteSize) UnmarshalYAML(n *yaml.Node) error {
	var s string
	if err := n.Decode(&s); err != nil {
		return err
	}
	return b.Set(s)
}

// MarshalYAML writes the plain byte count so that it reads back exactly.
func (b ByteSize) MarshalYAML() (any, error) { return int64(b), nil }

// StringList is a comma-separated flag value and a YAML list.
type StringList []string

func (s *StringList) String() string { return strings.Join(*s, ",") }

// Set parses "a,b,c"; an empty string is the empty list.
func (s *StringList) Set(v string) error {
	*s = nil
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*s = append(*s, p)
		}
	}
	return nil
}
