package logql

import "github.com/jetlog/jetlog/schemas/labels"

// ResultType names the shape of a result, as in Loki's responses.
type ResultType string

const (
	ResultStreams ResultType = "streams"
	ResultMatrix  ResultType = "matrix"
	ResultVector  ResultType = "vector"
	ResultScalar  ResultType = "scalar"
)

// Entry is one log line in a result. With categorized labels, StructuredMetadata and Parsed
// hold the labels that came from structured metadata and from parsers; otherwise they are
// empty and those labels are part of the stream's labels.
type Entry struct {
	Timestamp          int64 // Unix nanoseconds
	Line               string
	StructuredMetadata labels.Labels
	Parsed             labels.Labels
}

// Stream is a log stream in a result, entries ordered by the query's direction.
type Stream struct {
	Labels  labels.Labels
	Entries []Entry
}

// Streams is the result of a log query.
type Streams []Stream

// Point is one sample: T in Unix milliseconds.
type Point struct {
	T int64
	V float64
}

// Series is one series of a range query's matrix, points ascending by time.
type Series struct {
	Metric labels.Labels
	Points []Point
}

// Matrix is the result of a metric range query.
type Matrix []Series

// Sample is one element of an instant vector.
type Sample struct {
	Metric labels.Labels
	T      int64 // Unix milliseconds
	V      float64
}

// Vector is the result of a metric instant query.
type Vector []Sample

// Scalar is the result of a query that evaluates to a plain number (e.g. `1+1`).
type Scalar struct {
	T int64 // Unix milliseconds
	V float64
}

// Stats are the execution figures reported in a response's data.stats summary.
type Stats struct {
	TotalBytesProcessed   int64
	TotalLinesProcessed   int64
	TotalEntriesReturned  int64
	TotalChunksRef        int64
	TotalChunksDownloaded int64
	ExecTimeSeconds       float64
	QueueTimeSeconds      float64
	Subqueries            int64
	Splits                int64
	Shards                int64
}

// Result is what the engine returns: Value is one of Streams, Matrix, Vector, Scalar.
type Result struct {
	Type  ResultType
	Value any
	Stats Stats
}
