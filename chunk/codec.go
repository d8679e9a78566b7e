package chunk

import (
	"sync"

	"github.com/klauspost/compress/zstd"
	"github.com/parquet-go/parquet-go/compress"
	pqzstd "github.com/parquet-go/parquet-go/compress/zstd"
	"github.com/parquet-go/parquet-go/format"
)

// pageCodec compresses every page of every object. One for the process: it pools its zstd
// encoders, whose history buffers would otherwise be allocated anew by every Build.
var pageCodec compress.Codec = &zstdPages{}

// zstdPages is parquet-go's zstd codec with encoders sized for pages. parquet-go's own
// encoders keep an 8 MB window and its history: a page is at most PageBytes, so nothing
// past it can ever be matched, and each pooled encoder held ~8 MB for nothing (the largest
// item of the chunker's heap after the bus caches). The output is the same bytes.
type zstdPages struct {
	encoders sync.Pool    // *zstd.Encoder
	decode   pqzstd.Codec // reading is parquet-go's
}

// pageWindow covers any page: PageBytes of values, plus the one value that overflows it
// (a line of up to Loki's 256 KB default limit).
const pageWindow = 1 << 20

const _ = uint(pageWindow - PageBytes - 256<<10) // does not compile when a page outgrows it

func (c *zstdPages) String() string                            { return "ZSTD" }
func (c *zstdPages) CompressionCodec() format.CompressionCodec { return format.Zstd }

func (c *zstdPages) Encode(dst, src []byte) ([]byte, error) {
	e, _ := c.encoders.Get().(*zstd.Encoder)
	if e == nil {
		var err error
		e, err = zstd.NewWriter(nil,
			zstd.WithEncoderLevel(zstd.SpeedDefault),
			zstd.WithEncoderConcurrency(1),
			zstd.WithWindowSize(pageWindow),
			zstd.WithZeroFrames(true),
			zstd.WithEncoderCRC(false),
		)
		if err != nil {
			return nil, err
		}
	}
	defer c.encoders.Put(e)
	return e.EncodeAll(src, dst[:0]), nil
}

func (c *zstdPages) Decode(dst, src []byte) ([]byte, error) { return c.decode.Decode(dst, src) }
