package querier

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	duration *prometheus.HistogramVec
	inflight prometheus.Gauge

	tailsActive prometheus.Gauge
	tailSent    prometheus.Counter
	tailDropped prometheus.Counter
	tailBytes   prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "loki",
			Name:      "request_duration_seconds",
			Help:      "Time (in seconds) spent serving HTTP requests.",
			Buckets:   prometheus.DefBuckets,
		}, []string{"method", "route", "status_code"}),
		inflight: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "loki",
			Name:      "querier_inflight_queries",
			Help:      "Query API requests being served.",
		}),
		// Loki's names for the first and the last.
		tailsActive: prometheus.NewGauge(prometheus.GaugeOpts{Name: "loki_querier_tail_active", Help: "Live tail connections open."}),
		tailSent: prometheus.NewCounter(prometheus.CounterOpts{Name: "jetlog_querier_tail_entries_sent_total",
			Help: "Entries sent to live tail clients, the backfill included."}),
		tailDropped: prometheus.NewCounter(prometheus.CounterOpts{Name: "jetlog_querier_tail_entries_dropped_total",
			Help: "New entries a live tail dropped because its client was behind (reported to it in dropped_entries)."}),
		tailBytes: prometheus.NewCounter(prometheus.CounterOpts{Name: "loki_querier_tail_bytes_total", Help: "Line bytes sent to live tail clients."}),
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.duration, m.inflight, m.tailsActive, m.tailSent, m.tailDropped, m.tailBytes} {
			if err := reg.Register(c); err != nil {
				var are prometheus.AlreadyRegisteredError
				if !errors.As(err, &are) {
					return nil, err
				}
			}
		}
	}
	return m, nil
}

// routeName turns a route pattern into Loki's label form: /loki/api/v1/query_range ->
// loki_api_v1_query_range.
func routeName(route string) string {
	b := make([]byte, 0, len(route))
	for i := 0; i < len(route); i++ {
		c := route[i]
		switch {
		case c == '/' && len(b) == 0:
		case c == '/' || c == '{' || c == '}':
			if c == '/' {
				b = append(b, '_')
			}
		default:
			b = append(b, c)
		}
	}
	return string(b)
}

// statusWriter remembers the status written.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(p)
}

// instrument runs h with metrics, the query timeout and Loki's error responses.
func (a *API) instrument(route string, h handlerFunc) http.HandlerFunc {
	name := routeName(route)
	return func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		a.metrics.inflight.Inc()
		defer a.metrics.inflight.Dec()
		sw := &statusWriter{ResponseWriter: w}
		if err := h(sw, r); err != nil {
			status, msg := errorStatus(r.Context(), err)
			if status >= 500 {
				a.log.Warn("query API request failed", "route", name, "status", status, "err", err)
			}
			if sw.status == 0 {
				writeError(sw, status, msg)
			} else {
				// The body was already under way: the status cannot change any more.
				a.log.Warn("error after response started", "route", name, "err", err)
			}
		}
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		a.metrics.duration.WithLabelValues(r.Method, name, strconv.Itoa(sw.status)).Observe(time.Since(start).Seconds())
	}
}
