package gateway

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// streamIdle is how long a stream stays active without pushes (Loki's chunk_idle_period
// default): max_global_streams_per_user counts streams pushed within this window.
const streamIdle = 30 * time.Minute

// limiters holds each tenant's ingestion token bucket and its recently active streams with
// their per-stream buckets. Buckets are local to this gateway process (Loki's "local"
// ingestion_rate_strategy). Safe for concurrent use.
type limiters struct {
	mu      sync.Mutex
	tenants map[string]*tenantLimiter
}

type tenantLimiter struct {
	mu        sync.Mutex
	limits    *Limits // the limits the buckets were sized for
	rate      *rate.Limiter
	streams   map[string]*streamState
	lastSweep time.Time
	lastSeen  time.Time
}

type streamState struct {
	lastSeen time.Time
	rate     *rate.Limiter
}

func newLimiters() *limiters { return &limiters{tenants: make(map[string]*tenantLimiter)} }

func (ls *limiters) tenant(id string, l *Limits) *tenantLimiter {
	ls.mu.Lock()
	t, ok := ls.tenants[id]
	if !ok {
		t = &tenantLimiter{streams: make(map[string]*streamState)}
		ls.tenants[id] = t
	}
	ls.mu.Unlock()
	t.mu.Lock()
	if t.limits != l {
		t.resize(l)
	}
	t.lastSeen = time.Now()
	t.mu.Unlock()
	return t
}

// sweep forgets tenants that pushed nothing for streamIdle, so that tenant IDs invented by
// clients do not accumulate state forever. A forgotten tenant starts again with full buckets.
func (ls *limiters) sweep(now time.Time) {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	for id, t := range ls.tenants {
		t.mu.Lock()
		idle := now.Sub(t.lastSeen) > streamIdle
		t.mu.Unlock()
		if idle {
			delete(ls.tenants, id)
		}
	}
}

// resize applies new limits (an override reload) without resetting the buckets' state.
func (t *tenantLimiter) resize(l *Limits) {
	lim, burst := rate.Limit(l.IngestionRateMB*bytesInMB), int(l.IngestionBurstSizeMB*bytesInMB)
	if t.rate == nil {
		t.rate = rate.NewLimiter(lim, burst)
	} else {
		t.rate.SetLimit(lim)
		t.rate.SetBurst(burst)
	}
	for _, s := range t.streams {
		s.rate.SetLimit(rate.Limit(l.PerStreamRateLimit))
		s.rate.SetBurst(int(l.PerStreamRateLimitBurst))
	}
	t.limits = l
}

// allowIngestion takes n bytes from the tenant's bucket; false means 429 for the whole push.
func (t *tenantLimiter) allowIngestion(now time.Time, n int) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.limits.IngestionRateMB == 0 {
		return true
	}
	return t.rate.AllowN(now, n)
}

// limitBytes is the tenant rate in bytes/s, for Loki's message.
func (t *tenantLimiter) limitBytes() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return int(t.limits.IngestionRateMB * bytesInMB)
}

// admitStream registers a push of n bytes to stream and returns "" or the reason it is
// refused: stream_limit when it is new and the tenant has max_global_streams_per_user active
// streams, per_stream_rate_limit when its bucket is short of n bytes.
func (t *tenantLimiter) admitStream(now time.Time, stream string, n int) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if now.Sub(t.lastSweep) > time.Minute {
		for k, s := range t.streams {
			if now.Sub(s.lastSeen) > streamIdle {
				delete(t.streams, k)
			}
		}
		t.lastSweep = now
	}
	s, ok := t.streams[stream]
	if !ok {
		if max := t.limits.MaxGlobalStreamsPerUser; max > 0 && len(t.streams) >= max {
			return reasonStreamLimit
		}
		s = &streamState{rate: rate.NewLimiter(rate.Limit(t.limits.PerStreamRateLimit), int(t.limits.PerStreamRateLimitBurst))}
		t.streams[stream] = s
	}
	s.lastSeen = now
	if t.limits.PerStreamRateLimit > 0 && !s.rate.AllowN(now, n) {
		return reasonStreamRateLimit
	}
	return ""
}
