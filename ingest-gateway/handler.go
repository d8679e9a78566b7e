package gateway

import (
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"time"

	"github.com/grafana/loki/pkg/push"
)

// handlePush answers a push the way Loki does: 204 when everything was accepted and
// acknowledged by the bus; 400 (or 429 for limits) listing what was dropped, after publishing
// the rest; 401/400 for tenant problems, 413 for oversized bodies, 503 when the bus cannot
// take the data or the gateway is draining, 500 for any other publish failure.
func (g *Gateway) handlePush(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	status, msg := g.push(r)
	if status == http.StatusNoContent {
		w.WriteHeader(status)
	} else {
		http.Error(w, msg, status)
	}
	g.m.duration.WithLabelValues(strconv.Itoa(status)).Observe(time.Since(start).Seconds())
}

func (g *Gateway) push(r *http.Request) (int, string) {
	if !g.enter() {
		return http.StatusServiceUnavailable, "ingest gateway is shutting down"
	}
	defer g.wg.Done()
	g.m.inflight.Inc()
	defer g.m.inflight.Dec()

	tenant, err := tenantFromRequest(r, g.cfg.AuthEnabled)
	if err != nil {
		var te *tenantError
		if errors.As(err, &te) {
			return te.status, te.Error()
		}
		return http.StatusBadRequest, err.Error()
	}
	var req push.PushRequest
	var charged int
	defer func() { g.inflight.release(charged) }()
	bufs := getBodyBuffers()
	defer bufs.release() // after the publish: req's lines point into them
	if err := g.decode(r, &req, &charged, bufs); err != nil {
		var he *httpError
		if errors.As(err, &he) {
			return he.status, he.msg
		}
		return http.StatusBadRequest, err.Error()
	}
	limits := g.overrides.ForTenant(tenant)
	now := g.now()
	res, herr := g.validate(tenant, limits, now, &req)
	if herr != nil {
		return herr.status, herr.msg
	}
	if len(res.accepted) == 0 {
		if res.errs.empty() {
			return http.StatusNoContent, ""
		}
		return http.StatusBadRequest, res.errs.String()
	}

	tl := g.limiters.tenant(tenant, limits)
	if !tl.allowIngestion(now, res.bytes) {
		g.m.discard(reasonRateLimited, tenant, res.lines, res.bytes)
		return http.StatusTooManyRequests, fmt.Sprintf("Ingestion rate limit exceeded for user %s (limit: %d bytes/sec) while attempting to ingest '%d' lines totaling '%d' bytes, reduce log volume or contact your Loki administrator to see if the limit can be increased",
			tenant, tl.limitBytes(), res.lines, res.bytes)
	}
	limited := false
	kept := res.accepted[:0]
	for i, s := range res.accepted {
		size := res.sizes[i]
		switch tl.admitStream(now, s.Labels, size) {
		case "":
			kept = append(kept, s)
			continue
		case reasonStreamLimit:
			g.m.discard(reasonStreamLimit, tenant, len(s.Entries), size)
			res.errs.add(fmt.Sprintf("Maximum active stream limit exceeded when trying to create stream %s, reduce the number of active streams (reduce labels or reduce label values), or contact your Loki administrator to see if the limit can be increased, user: '%s'", s.Labels, tenant))
		case reasonStreamRateLimit:
			g.m.discard(reasonStreamRateLimit, tenant, len(s.Entries), size)
			res.errs.add(fmt.Sprintf("Per stream rate limit exceeded (limit: %s/sec) while attempting to ingest for stream '%s' totaling %s, consider splitting a stream via additional labels or contact your Loki administrator to see if the limit can be increased",
				limits.PerStreamRateLimit, s.Labels, ByteSize(size)))
		}
		limited = true
	}

	if len(kept) > 0 {
		msgs, err := buildMessages(tenant, kept, g.partitions, g.pub.MaxPayload())
		if err != nil {
			var he *httpError
			if errors.As(err, &he) {
				return he.status, he.msg
			}
			return http.StatusInternalServerError, err.Error()
		}
		if err := g.pub.PublishAll(r.Context(), msgs); err != nil {
			g.log.Warn("publish failed", "tenant", tenant, "messages", len(msgs), "err", err)
			if isUnavailable(err) || r.Context().Err() != nil {
				return http.StatusServiceUnavailable, "bus unavailable: " + err.Error()
			}
			return http.StatusInternalServerError, "publish: " + err.Error()
		}
	}
	switch {
	case res.errs.empty():
		return http.StatusNoContent, ""
	case limited:
		return http.StatusTooManyRequests, res.errs.String()
	default:
		return http.StatusBadRequest, res.errs.String()
	}
}

// decode reads, decompresses and parses the body into req, charging the decompressed size to
// the in-flight budget (*charged, released by the caller). The body is read into bufs, which
// req may point into (protobuf lines) until the caller releases them.
func (g *Gateway) decode(r *http.Request, req *push.PushRequest, charged *int, bufs *bodyBuffers) error {
	limit := g.cfg.MaxRecvMsgSize
	if r.ContentLength > int64(limit) {
		return tooLarge(int(r.ContentLength), limit)
	}
	isJSON := false
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil {
			return badRequest("Content-Type %q: %v", ct, err)
		}
		isJSON = mt == "application/json"
	}
	raw, plain, unsnapped := bufs.raw, bufs.plain, bufs.unsnapped
	if err := readLimited(r.Body, raw, limit); err != nil {
		return err
	}
	enc := r.Header.Get("Content-Encoding")
	data, err := decompress(enc, raw.Bytes(), plain, limit)
	if err != nil {
		return err
	}
	// Protobuf is always raw-block snappy inside any Content-Encoding (Loki's rule). JSON is
	// snappy only when the header says so (Loki would refuse that; jetlog accepts it).
	if !isJSON || enc == "snappy" {
		if data, err = unsnappy(data, unsnapped, limit); err != nil {
			return err
		}
	}
	if err := g.inflight.acquire(len(data)); err != nil {
		return err
	}
	*charged = len(data)
	if isJSON {
		return decodeJSON(data, req)
	}
	return decodeProtobuf(data, req, &bufs.entries)
}

// validation is the outcome of validating one push.
type validation struct {
	accepted []push.Stream // canonical labels, valid entries only
	sizes    []int         // bytes of accepted[i]
	lines    int           // total accepted lines
	bytes    int           // total accepted bytes
	errs     groupedErrors
}

// validate applies label and entry checks, counts received and discarded data, and returns
// what may be published. As in Loki, a label string that does not parse fails the whole push
// (Loki parses every stream's labels while decoding the request); every other problem drops
// only the stream or entry concerned.
func (g *Gateway) validate(tenant string, l *Limits, now time.Time, req *push.PushRequest) (*validation, *httpError) {
	parsed := make([]*parsedStream, len(req.Streams))
	for i := range req.Streams {
		parsed[i] = g.cache.get(req.Streams[i].Labels)
		if err := parsed[i].err; err != nil {
			lines, bytes := 0, 0
			for j := range req.Streams {
				lines += len(req.Streams[j].Entries)
				for k := range req.Streams[j].Entries {
					bytes += entrySize(&req.Streams[j].Entries[k])
				}
			}
			g.m.discard(reasonInvalidLabels, tenant, lines, bytes)
			return nil, badRequest("couldn't parse labels: %v", err)
		}
	}
	res := &validation{accepted: make([]push.Stream, 0, len(req.Streams)), sizes: make([]int, 0, len(req.Streams))}
	bounds := boundsFor(l, now)
	var recvLines, recvBytes, recvMetadata int
	type tally struct{ lines, bytes int }
	var discards map[string]*tally
	discard := func(reason string, lines, bytes int) {
		if discards == nil {
			discards = make(map[string]*tally)
		}
		t := discards[reason]
		if t == nil {
			t = &tally{}
			discards[reason] = t
		}
		t.lines += lines
		t.bytes += bytes
	}
	for i := range req.Streams {
		s := &req.Streams[i]
		streamBytes := 0
		for j := range s.Entries {
			// Parsed labels are a query-result field; a push has no business setting them.
			s.Entries[j].Parsed = nil
			md := metadataSize(s.Entries[j].StructuredMetadata)
			recvMetadata += md
			streamBytes += len(s.Entries[j].Line) + md
		}
		recvLines += len(s.Entries)
		recvBytes += streamBytes
		if len(s.Entries) == 0 {
			continue
		}
		v := streamVerdictFor(parsed[i], s.Labels, l)
		if v.reason != "" {
			res.errs.add(v.msg)
			discard(v.reason, len(s.Entries), streamBytes)
			continue
		}
		kept := s.Entries[:0]
		size := 0
		for j := range s.Entries {
			e := &s.Entries[j]
			if reason, msg := checkEntry(e, v.canonical, l, bounds); reason != "" {
				res.errs.add(msg)
				discard(reason, 1, entrySize(e))
				continue
			}
			size += entrySize(e)
			kept = append(kept, *e)
		}
		if len(kept) == 0 {
			continue
		}
		res.accepted = append(res.accepted, push.Stream{Labels: v.canonical, Entries: kept})
		res.sizes = append(res.sizes, size)
		res.lines += len(kept)
		res.bytes += size
	}
	if recvLines > 0 {
		g.m.linesReceived.WithLabelValues(tenant).Add(float64(recvLines))
		g.m.bytesReceived.WithLabelValues(tenant).Add(float64(recvBytes))
		g.m.smBytesReceived.WithLabelValues(tenant).Add(float64(recvMetadata))
	}
	for reason, t := range discards {
		g.m.discard(reason, tenant, t.lines, t.bytes)
	}
	return res, nil
}
