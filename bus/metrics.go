package bus

import "github.com/prometheus/client_golang/prometheus"

type metrics struct {
	published    prometheus.Counter
	publishBytes prometheus.Counter
	publishErrs  prometheus.Counter
	retries      prometheus.Counter
	ackLatency   prometheus.Histogram
	tailMessages prometheus.Counter
	tailSkipped  prometheus.Counter
	tailResumes  prometheus.Counter
	followers    prometheus.Gauge
	followed     prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		published:    prometheus.NewCounter(prometheus.CounterOpts{Name: "jetlog_bus_published_messages_total", Help: "Messages acknowledged by JetStream."}),
		publishBytes: prometheus.NewCounter(prometheus.CounterOpts{Name: "jetlog_bus_published_bytes_total", Help: "Payload bytes acknowledged by JetStream."}),
		publishErrs:  prometheus.NewCounter(prometheus.CounterOpts{Name: "jetlog_bus_publish_failures_total", Help: "PublishAll calls that returned an error."}),
		retries:      prometheus.NewCounter(prometheus.CounterOpts{Name: "jetlog_bus_publish_retries_total", Help: "Messages re-published with the same Nats-Msg-Id after a failed ack."}),
		ackLatency: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "jetlog_bus_publish_all_duration_seconds",
			Help: "Time from first publish to last ack of one push.", Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16)}),
		tailMessages: prometheus.NewCounter(prometheus.CounterOpts{Name: "jetlog_bus_tail_messages_read_total", Help: "Messages read by queriers from the bus tail."}),
		tailSkipped:  prometheus.NewCounter(prometheus.CounterOpts{Name: "jetlog_bus_tail_messages_skipped_total", Help: "Messages a tail read fetched and dropped: already flushed, or another tenant's."}),
		tailResumes:  prometheus.NewCounter(prometheus.CounterOpts{Name: "jetlog_bus_tail_read_resumes_total", Help: "Tail reads resumed through a new consumer after a delivery gap, a lost response or a stalled consumer."}),
		followers:    prometheus.NewGauge(prometheus.GaugeOpts{Name: "jetlog_bus_followers", Help: "Live followers of a tenant's new messages (one per live tail connection)."}),
		followed:     prometheus.NewCounter(prometheus.CounterOpts{Name: "jetlog_bus_followed_messages_total", Help: "Messages delivered to live followers."}),
	}
	if reg != nil {
		reg.MustRegister(m.published, m.publishBytes, m.publishErrs, m.retries, m.ackLatency, m.tailMessages, m.tailSkipped, m.tailResumes, m.followers, m.followed)
	}
	return m
}
