package gateway

import (
	"context"
	"errors"

	"github.com/jetlog/jetlog/schemas"
)

// Publisher sends bus messages. Package bus implements it; the gateway never imports bus.
type Publisher interface {
	// PublishAll publishes every message and returns nil only after JetStream acknowledged all.
	// It returns an error for which IsUnavailable(err) is true (503) when the bus cannot take it.
	PublishAll(ctx context.Context, msgs []schemas.Message) error
	// MaxPayload is the largest payload the bus accepts in one message, in bytes.
	MaxPayload() int
}

// unavailable is implemented by bus errors meaning "retry later" (no stream leader, bus
// disconnected, publish timeout). Agents retry a 503, so only such errors map to it.
type unavailable interface{ Unavailable() bool }

// isUnavailable reports whether err (or an error it wraps) says the bus is unavailable.
func isUnavailable(err error) bool {
	var u unavailable
	return errors.As(err, &u) && u.Unavailable()
}
