package gateway

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics use Loki's names where Loki has the metric, so its dashboards carry over.
type metrics struct {
	linesReceived    *prometheus.CounterVec // tenant
	bytesReceived    *prometheus.CounterVec // tenant
	smBytesReceived  *prometheus.CounterVec // tenant
	discardedSamples *prometheus.CounterVec // reason, tenant
	discardedBytes   *prometheus.CounterVec // reason, tenant
	duration         *prometheus.HistogramVec
	inflight         prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		linesReceived: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "loki_distributor_lines_received_total",
			Help: "The total number of lines received per tenant.",
		}, []string{"tenant"}),
		bytesReceived: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "loki_distributor_bytes_received_total",
			Help: "The total number of uncompressed bytes received per tenant, structured metadata included.",
		}, []string{"tenant"}),
		smBytesReceived: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "loki_distributor_structured_metadata_bytes_received_total",
			Help: "The total number of uncompressed bytes received per tenant for entries' structured metadata.",
		}, []string{"tenant"}),
		discardedSamples: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "loki_discarded_samples_total",
			Help: "The total number of samples that were discarded.",
		}, []string{"reason", "tenant"}),
		discardedBytes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "loki_discarded_bytes_total",
			Help: "The total number of bytes that were discarded.",
		}, []string{"reason", "tenant"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "jetlog_gateway_push_duration_seconds",
			Help:    "Time to answer a push request, publish to the bus included, by status code.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16),
		}, []string{"status_code"}),
		inflight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "jetlog_gateway_inflight_push_requests",
			Help: "Push requests being processed.",
		}),
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.linesReceived, m.bytesReceived, m.smBytesReceived, m.discardedSamples, m.discardedBytes, m.duration, m.inflight} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register gateway metrics: %w", err)
		}
	}
	return m, nil
}

func (m *metrics) discard(reason, tenant string, lines, bytes int) {
	if lines == 0 {
		return
	}
	m.discardedSamples.WithLabelValues(reason, tenant).Add(float64(lines))
	m.discardedBytes.WithLabelValues(reason, tenant).Add(float64(bytes))
}
