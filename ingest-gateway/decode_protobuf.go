package gateway

import (
	"time"
	"unsafe"

	"github.com/grafana/loki/pkg/push"

	"github.com/jetlog/jetlog/schemas"
)

// decodeProtobuf parses a decompressed logproto.PushRequest into req (reset first).
//
// Lines are strings over b, not copies: copying every line was the largest cost of a push
// after decompression. b must therefore stay unchanged until the push is done with req
// (see bodyBuffers). Labels and structured metadata, which label caches and limiters may
// keep, are copied. What gogo/protobuf would refuse is refused (schemas.WalkPush fails
// exactly there, FuzzWalkPush), with gogo's own message, which is what Loki answers.
//
// The entries of all streams are appended to *arena (reused from push to push) and each
// stream's part is cut out of it at the end.
func decodeProtobuf(b []byte, req *push.PushRequest, arena *[]push.Entry) error {
	req.Streams = req.Streams[:0]
	entries := (*arena)[:0]
	defer func() { *arena = entries }()
	var starts []int
	err := schemas.WalkPush(b, func(lbls []byte) (bool, error) {
		req.Streams = append(req.Streams, push.Stream{Labels: string(lbls)})
		starts = append(starts, len(entries))
		return true, nil
	}, func(ts int64, line []byte, md [][2][]byte) {
		e := push.Entry{Line: unsafe.String(unsafe.SliceData(line), len(line))}
		if ts != schemas.NoTimestamp {
			e.Timestamp = time.Unix(0, ts).UTC()
		}
		for _, kv := range md {
			e.StructuredMetadata = append(e.StructuredMetadata, push.LabelAdapter{Name: string(kv[0]), Value: string(kv[1])})
		}
		entries = append(entries, e)
	})
	if err != nil {
		var gogo push.PushRequest
		if gerr := gogo.Unmarshal(b); gerr != nil {
			err = gerr
		}
		return badRequest("parse push request: %v", err)
	}
	for i := range req.Streams {
		end := len(entries)
		if i+1 < len(starts) {
			end = starts[i+1]
		}
		if starts[i] < end {
			req.Streams[i].Entries = entries[starts[i]:end:end]
		}
	}
	return nil
}
