package querier

import (
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/jetlog/jetlog/logql"
)

// flushAt is the buffered size at which the encoder hands bytes to the connection, so a
// large result is streamed instead of built whole in memory.
const flushAt = 32 << 10

// resultWriter appends JSON to buf and writes it to w in flushAt-sized pieces. The first
// write error sticks and ends the encoding.
type resultWriter struct {
	w   io.Writer
	buf []byte
	err error
}

func (rw *resultWriter) maybeFlush() {
	if len(rw.buf) >= flushAt {
		rw.flush()
	}
}

func (rw *resultWriter) flush() {
	if rw.err == nil && len(rw.buf) > 0 {
		_, rw.err = rw.w.Write(rw.buf)
	}
	rw.buf = rw.buf[:0]
}

// writeQueryResponse writes a query or query_range success envelope:
// {"status":"success","data":{"resultType":...,"result":...,"stats":...[,"encodingFlags":[...]]}}.
func writeQueryResponse(w http.ResponseWriter, res logql.Result, categorize bool) error {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	rw := &resultWriter{w: w, buf: make([]byte, 0, flushAt+4096)}
	rw.buf = append(rw.buf, `{"status":"success","data":{"resultType":`...)
	rw.buf = appendString(rw.buf, string(res.Type))
	rw.buf = append(rw.buf, `,"result":`...)
	if err := rw.appendResult(res, categorize); err != nil {
		return err
	}
	rw.buf = append(rw.buf, `,"stats":`...)
	rw.buf = appendStats(rw.buf, res.Stats)
	if categorize && res.Type == logql.ResultStreams {
		rw.buf = append(rw.buf, `,"encodingFlags":["categorize-labels"]`...)
	}
	rw.buf = append(rw.buf, "}}"...)
	rw.flush()
	return rw.err
}

func (rw *resultWriter) appendResult(res logql.Result, categorize bool) error {
	switch v := res.Value.(type) {
	case logql.Streams:
		rw.appendStreams(v, categorize)
	case logql.Matrix:
		rw.appendMatrix(v)
	case logql.Vector:
		rw.appendVector(v)
	case logql.Scalar:
		rw.buf = appendPoint(rw.buf, v.T, v.V)
	default:
		return fmt.Errorf("unexpected result value %T for result type %q", res.Value, res.Type)
	}
	return nil
}

func (rw *resultWriter) appendStreams(ss logql.Streams, categorize bool) {
	rw.buf = append(rw.buf, '[')
	for i, s := range ss {
		if i > 0 {
			rw.buf = append(rw.buf, ',')
		}
		rw.buf = append(rw.buf, `{"stream":`...)
		rw.buf = appendLabels(rw.buf, s.Labels)
		rw.buf = append(rw.buf, `,"values":[`...)
		for j, e := range s.Entries {
			if j > 0 {
				rw.buf = append(rw.buf, ',')
			}
			rw.buf = appendEntry(rw.buf, &e, categorize)
			rw.maybeFlush()
		}
		rw.buf = append(rw.buf, "]}"...)
	}
	rw.buf = append(rw.buf, ']')
}

// appendEntry appends one entry of a stream's values: ["<ns>","<line>"], with categorize a
// third element {"structuredMetadata":{...},"parsed":{...}} holding those that are not empty.
func appendEntry(dst []byte, e *logql.Entry, categorize bool) []byte {
	dst = append(dst, `["`...)
	dst = strconv.AppendInt(dst, e.Timestamp, 10)
	dst = append(dst, `",`...)
	dst = appendString(dst, e.Line)
	if categorize {
		dst = append(dst, ",{"...)
		if len(e.StructuredMetadata) > 0 {
			dst = append(dst, `"structuredMetadata":`...)
			dst = appendLabels(dst, e.StructuredMetadata)
		}
		if len(e.Parsed) > 0 {
			if len(e.StructuredMetadata) > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, `"parsed":`...)
			dst = appendLabels(dst, e.Parsed)
		}
		dst = append(dst, '}')
	}
	return append(dst, ']')
}

func (rw *resultWriter) appendMatrix(m logql.Matrix) {
	rw.buf = append(rw.buf, '[')
	for i, s := range m {
		if i > 0 {
			rw.buf = append(rw.buf, ',')
		}
		rw.buf = append(rw.buf, `{"metric":`...)
		rw.buf = appendLabels(rw.buf, s.Metric)
		rw.buf = append(rw.buf, `,"values":[`...)
		for j, p := range s.Points {
			if j > 0 {
				rw.buf = append(rw.buf, ',')
			}
			rw.buf = appendPoint(rw.buf, p.T, p.V)
		}
		rw.buf = append(rw.buf, "]}"...)
		rw.maybeFlush()
	}
	rw.buf = append(rw.buf, ']')
}

func (rw *resultWriter) appendVector(v logql.Vector) {
	rw.buf = append(rw.buf, '[')
	for i, s := range v {
		if i > 0 {
			rw.buf = append(rw.buf, ',')
		}
		rw.buf = append(rw.buf, `{"metric":`...)
		rw.buf = appendLabels(rw.buf, s.Metric)
		rw.buf = append(rw.buf, `,"value":`...)
		rw.buf = appendPoint(rw.buf, s.T, s.V)
		rw.buf = append(rw.buf, '}')
		rw.maybeFlush()
	}
	rw.buf = append(rw.buf, ']')
}
