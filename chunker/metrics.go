package chunker

import "github.com/prometheus/client_golang/prometheus"

type metrics struct {
	flushes       prometheus.Counter
	flushErrors   prometheus.Counter
	flushDuration prometheus.Histogram
	entries       prometheus.Counter
	bytes         prometheus.Counter
	objects       prometheus.Counter
	buffered      prometheus.Gauge
	rolledBack    prometheus.Counter
	badMessages   prometheus.Counter
	owned         prometheus.Gauge
	takeovers     prometheus.Counter
	leasesLost    prometheus.Counter
	fenced        prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		flushes:     prometheus.NewCounter(prometheus.CounterOpts{Name: "jetlog_chunker_flushes_total", Help: "Committed flushes."}),
		flushErrors: prometheus.NewCounter(prometheus.CounterOpts{Name: "jetlog_chunker_flush_errors_total", Help: "Failed flush attempts (retried)."}),
		flushDuration: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "jetlog_chunker_flush_duration_seconds",
			Help: "Time to write and commit one partition flush.", Buckets: prometheus.ExponentialBuckets(0.005, 2, 14)}),
		entries:     prometheus.NewCounter(prometheus.CounterOpts{Name: "jetlog_chunker_flushed_entries_total", Help: "Entries committed to the object store."}),
		bytes:       prometheus.NewCounter(prometheus.CounterOpts{Name: "jetlog_chunker_flushed_bytes_total", Help: "Object bytes written."}),
		objects:     prometheus.NewCounter(prometheus.CounterOpts{Name: "jetlog_chunker_objects_written_total", Help: "Data objects written."}),
		buffered:    prometheus.NewGauge(prometheus.GaugeOpts{Name: "jetlog_chunker_buffered_bytes", Help: "Bus payload bytes waiting for a flush."}),
		rolledBack:  prometheus.NewCounter(prometheus.CounterOpts{Name: "jetlog_chunker_rolled_back_flushes_total", Help: "Uncommitted flushes found and removed at start."}),
		badMessages: prometheus.NewCounter(prometheus.CounterOpts{Name: "jetlog_chunker_undecodable_messages_total", Help: "Bus messages that did not decode (skipped)."}),
		owned:       prometheus.NewGauge(prometheus.GaugeOpts{Name: "jetlog_chunker_owned_partitions", Help: "Partitions this instance holds the lease of."}),
		takeovers:   prometheus.NewCounter(prometheus.CounterOpts{Name: "jetlog_chunker_takeovers_total", Help: "Partitions taken over from another instance whose lease expired."}),
		leasesLost:  prometheus.NewCounter(prometheus.CounterOpts{Name: "jetlog_chunker_leases_lost_total", Help: "Partition leases found expired or taken at renewal."}),
		fenced:      prometheus.NewCounter(prometheus.CounterOpts{Name: "jetlog_chunker_fenced_total", Help: "Commits refused because another instance opened a newer epoch."}),
	}
	if reg != nil {
		reg.MustRegister(m.flushes, m.flushErrors, m.flushDuration, m.entries, m.bytes, m.objects, m.buffered, m.rolledBack, m.badMessages,
			m.owned, m.takeovers, m.leasesLost, m.fenced)
	}
	return m
}
