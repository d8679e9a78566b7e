package gateway

import (
	"github.com/grafana/loki/pkg/push"
)

// decodeProtobuf parses a decompressed logproto.PushRequest into req (reset first). Strings
// are copied out of b, so b may be reused once it returns.
func decodeProtobuf(b []byte, req *push.PushRequest) error {
	req.Streams = req.Streams[:0]
	if err := req.Unmarshal(b); err != nil {
		return badRequest("parse push request: %v", err)
	}
	return nil
}
