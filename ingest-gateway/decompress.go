package gateway

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"sync"

	"github.com/grafana/loki/pkg/push"
	"github.com/klauspost/compress/flate"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/snappy"
)

// httpError is a push failure with the status and message Loki answers.
type httpError struct {
	status int
	msg    string
}

func (e *httpError) Error() string { return e.msg }

func badRequest(format string, args ...any) *httpError {
	return &httpError{http.StatusBadRequest, fmt.Sprintf(format, args...)}
}

func tooLarge(size, limit int) *httpError {
	return &httpError{http.StatusRequestEntityTooLarge,
		fmt.Sprintf("request body too large: %d bytes, limit: %d bytes", size, limit)}
}

// bufPool recycles body and decompression buffers across requests.
var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func getBuf() *bytes.Buffer { b := bufPool.Get().(*bytes.Buffer); b.Reset(); return b }

func putBuf(b *bytes.Buffer) {
	if b.Cap() > 64<<20 { // do not pin huge one-off bodies
		return
	}
	bufPool.Put(b)
}

// bodyBuffers are one push's body as read and decompressed, and the entries decoded from a
// protobuf body, whose lines point into the body: all go back to the pool only when the push
// is over.
type bodyBuffers struct {
	raw, plain, unsnapped *bytes.Buffer
	entries               []push.Entry
}

var entryArenas sync.Pool // *[]push.Entry

func getBodyBuffers() *bodyBuffers {
	b := &bodyBuffers{raw: getBuf(), plain: getBuf(), unsnapped: getBuf()}
	if a, ok := entryArenas.Get().(*[]push.Entry); ok {
		b.entries = *a
	}
	return b
}

func (b *bodyBuffers) release() {
	putBuf(b.raw)
	putBuf(b.plain)
	putBuf(b.unsnapped)
	if cap(b.entries) <= 1<<16 { // as putBuf: do not pin a huge one-off push
		clear(b.entries[:cap(b.entries)])
		a := b.entries[:0]
		entryArenas.Put(&a)
	}
}

// readLimited appends r to buf, failing with a 413 once more than limit bytes arrive.
func readLimited(r io.Reader, buf *bytes.Buffer, limit int) error {
	n, err := buf.ReadFrom(io.LimitReader(r, int64(limit)+1))
	if err != nil {
		return badRequest("read request body: %v", err)
	}
	if n > int64(limit) {
		return tooLarge(int(n), limit)
	}
	return nil
}

var (
	gzipPool  sync.Pool // *gzip.Reader
	flatePool sync.Pool // io.ReadCloser implementing flate.Resetter
)

// decompress undoes Content-Encoding (gzip, deflate; "snappy" and "" are identity here: the
// protobuf body is raw snappy whatever the header says, see unsnappy). The output, at most
// limit bytes, is appended to dst, so a zip bomb stops at the limit with a 413.
func decompress(encoding string, in []byte, dst *bytes.Buffer, limit int) ([]byte, error) {
	switch encoding {
	case "", "snappy":
		return in, nil
	case "gzip":
		zr, _ := gzipPool.Get().(*gzip.Reader)
		var err error
		if zr == nil {
			zr, err = gzip.NewReader(bytes.NewReader(in))
		} else {
			err = zr.Reset(bytes.NewReader(in))
		}
		if err != nil {
			return nil, badRequest("decompress gzip: %v", err)
		}
		defer gzipPool.Put(zr)
		return readAllLimited("gzip", zr, dst, limit)
	case "deflate":
		fr, _ := flatePool.Get().(io.ReadCloser)
		if fr == nil {
			fr = flate.NewReader(bytes.NewReader(in))
		} else if err := fr.(flate.Resetter).Reset(bytes.NewReader(in), nil); err != nil {
			return nil, badRequest("decompress deflate: %v", err)
		}
		defer flatePool.Put(fr)
		return readAllLimited("deflate", fr, dst, limit)
	default:
		return nil, badRequest("Content-Encoding %q not supported", encoding)
	}
}

func readAllLimited(encoding string, r io.Reader, dst *bytes.Buffer, limit int) ([]byte, error) {
	n, err := dst.ReadFrom(io.LimitReader(r, int64(limit)+1))
	if err != nil {
		return nil, badRequest("decompress %s: %v", encoding, err)
	}
	if n > int64(limit) {
		return nil, tooLarge(int(n), limit)
	}
	return dst.Bytes(), nil
}

// unsnappy decodes a raw-block snappy body. The decoded length is read from the block header
// and checked against limit before any allocation.
func unsnappy(in []byte, dst *bytes.Buffer, limit int) ([]byte, error) {
	n, err := snappy.DecodedLen(in)
	if err != nil {
		return nil, badRequest("decompress snappy: corrupt input")
	}
	if n > limit {
		return nil, tooLarge(n, limit)
	}
	dst.Grow(n)
	out, err := snappy.Decode(dst.AvailableBuffer()[:n], in)
	if err != nil {
		return nil, badRequest("decompress snappy: corrupt input")
	}
	return out, nil
}
