package store

import "github.com/prometheus/client_golang/prometheus"

type metrics struct {
	objectsRead  prometheus.Counter
	objectBytes  prometheus.Counter
	linesScanned prometheus.Counter
	bytesScanned prometheus.Counter
	corrupt      prometheus.Counter
	objectsDown  prometheus.Counter
	// countedStreams counts streams whose counts a query took from the index.
	countedStreams prometheus.Counter
	tailSkipped    prometheus.Counter
	tailNotFetched prometheus.Counter
	tailJoined     prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		objectsRead:  prometheus.NewCounter(prometheus.CounterOpts{Name: "jetlog_store_objects_read_total", Help: "Data objects read by queries."}),
		objectBytes:  prometheus.NewCounter(prometheus.CounterOpts{Name: "jetlog_store_object_bytes_read_total", Help: "Bytes of data objects read by queries."}),
		linesScanned: prometheus.NewCounter(prometheus.CounterOpts{Name: "jetlog_store_lines_scanned_total", Help: "Entries scanned from objects and the bus tail."}),
		bytesScanned: prometheus.NewCounter(prometheus.CounterOpts{Name: "jetlog_store_line_bytes_scanned_total", Help: "Line bytes scanned."}),
		corrupt:      prometheus.NewCounter(prometheus.CounterOpts{Name: "jetlog_store_corrupt_objects_total", Help: "Objects or bus messages that failed to decode."}),
		objectsDown: prometheus.NewCounter(prometheus.CounterOpts{Name: "jetlog_store_object_store_unavailable_total",
			Help: "Snapshots the object store could not answer; the query was answered from the bus if it needed no stored object, else it failed with 503."}),
		countedStreams: prometheus.NewCounter(prometheus.CounterOpts{Name: "jetlog_store_streams_counted_from_index_total",
			Help: "Streams whose entry counts a query took from the index's per-minute counts instead of reading them."}),
		tailSkipped: prometheus.NewCounter(prometheus.CounterOpts{Name: "jetlog_store_tail_messages_skipped_total",
			Help: "Bus messages a query did not decode because their time range lies outside its own."}),
		tailNotFetched: prometheus.NewCounter(prometheus.CounterOpts{Name: "jetlog_store_tail_messages_not_fetched_total",
			Help: "Bus messages a piece of a split query did not fetch because the query's first tail read found their time range outside the piece's."}),
		tailJoined: prometheus.NewCounter(prometheus.CounterOpts{Name: "jetlog_store_tail_reads_joined_total",
			Help: "Tail reads of a split query's pieces that took their messages from another piece's fetch of the tail."}),
	}
	if reg != nil {
		reg.MustRegister(m.objectsRead, m.objectBytes, m.linesScanned, m.bytesScanned, m.corrupt, m.objectsDown, m.countedStreams, m.tailSkipped, m.tailNotFetched, m.tailJoined)
	}
	return m
}
