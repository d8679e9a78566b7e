package gateway

import (
	"fmt"
	"net/http"
	"sync/atomic"
)

// inflightBytes is the gateway's budget for the decompressed bodies of the pushes it decodes,
// validates and publishes at once: decoding costs memory in proportion to them, and without a
// bound many large pushes at the same moment could exhaust it. A push that does not fit gets
// a 503, which agents retry.
type inflightBytes struct {
	max int64 // 0: unlimited
	cur atomic.Int64
}

// acquire charges n bytes; it fails when the budget would be exceeded, except for a push
// arriving while none is in flight (the body size limit bounds that one).
func (b *inflightBytes) acquire(n int) error {
	if b.max <= 0 {
		return nil
	}
	if now := b.cur.Add(int64(n)); now > b.max && now != int64(n) {
		b.cur.Add(-int64(n))
		return &httpError{status: http.StatusServiceUnavailable,
			msg: fmt.Sprintf("push of %d bytes refused: the gateway is decoding %d bytes of other pushes, its limit is %d (-distributor.max-inflight-push-bytes); retry later", n, now-int64(n), b.max)}
	}
	return nil
}

func (b *inflightBytes) release(n int) {
	if b.max > 0 {
		b.cur.Add(-int64(n))
	}
}
