package querier

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/jetlog/jetlog/logql"
	"github.com/jetlog/jetlog/logql/syntax"
	"github.com/jetlog/jetlog/schemas/labels"
)

// Follower follows a tenant's new log entries (*store.Store implements it). follow calls fn
// with the entries of the streams matching ms that arrive after FollowLogs returned, until
// ctx ends or fn fails, and must be called once to release what FollowLogs took.
type Follower interface {
	FollowLogs(ctx context.Context, tenant string, ms []*labels.Matcher, fn func(b *logql.Batch) error) (follow func() error, err error)
}

// Loki's messages for tail parameters (pkg/loghttp/tail.go) and the refusals its querier
// sends (pkg/querier): a tail is a log query, delay_for is at most 5 seconds.
const (
	maxTailDelay          = 5
	msgTailDelayTooLong   = "delay_for can't be greater than 5"
	msgOnlyLogSelector    = "only log selector is supported"
	msgMultipleOrgIDs     = "multiple org IDs present"
	msgTailMaxDuration    = "reached tail max duration limit"
	msgTailServerShutdown = "server shutting down"
)

const (
	// tailPingPeriod is how often a tail pings its client, Loki's 1s: idle connections
	// are checked, and a dead client is found within tailPongWait.
	tailPingPeriod = time.Second
	tailPongWait   = 30 * time.Second
	tailWriteWait  = 10 * time.Second
)

// tails is the live tail state of an API.
type tails struct {
	follower Follower
	ctx      context.Context // ends every tail when the API closes
	cancel   context.CancelFunc
	wg       sync.WaitGroup

	mu     sync.Mutex
	open   map[string]int // tails per tenant
	closed bool
}

// EnableTail serves /loki/api/v1/tail (mounted by Routes) with new entries from f. Without
// it the route answers 404, as a Loki without a querier would.
func (a *API) EnableTail(f Follower) {
	ctx, cancel := context.WithCancel(context.Background())
	a.tails = &tails{follower: f, ctx: ctx, cancel: cancel, open: map[string]int{}}
}

// Close ends every live tail (their clients get a "going away" close frame) and waits up to
// timeout for them to finish. http.Server.Shutdown does not wait for hijacked connections,
// so the binary calls Close after it.
func (a *API) Close(timeout time.Duration) {
	t := a.tails
	if t == nil {
		return
	}
	t.mu.Lock()
	t.closed = true
	t.mu.Unlock()
	t.cancel()
	done := make(chan struct{})
	go func() { t.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(timeout):
		a.log.Warn("live tails still open after close", "timeout", timeout)
	}
}

// acquire counts a tail of tenant against its limit; release undoes it.
func (t *tails) acquire(tenant string, limit int) (release func(), err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return nil, &httpError{status: http.StatusServiceUnavailable, msg: msgTailServerShutdown}
	}
	if n := t.open[tenant]; limit > 0 && n >= limit {
		return nil, badRequest(fmt.Sprintf("max concurrent tail requests limit exceeded, count > limit (%d > %d)", n+1, limit))
	}
	t.open[tenant]++
	t.wg.Add(1)
	return func() {
		t.mu.Lock()
		if t.open[tenant]--; t.open[tenant] == 0 {
			delete(t.open, tenant)
		}
		t.mu.Unlock()
		t.wg.Done()
	}, nil
}

// tailParams is a parsed /loki/api/v1/tail request.
type tailParams struct {
	tenant     string
	query      string
	sel        *syntax.LogSelectorExpr
	limit      int
	start, end time.Time // the backfill's range: start (default an hour ago) to when following began
	delay      time.Duration
	categorize bool
	lim        Limits
}

// parseTail reads the request with Loki's defaults and messages: the tenant first, then
// query, limit (100), start and delay_for (0..5 seconds). As on query_range, the limit is
// held to max_entries_limit_per_query and start..now to max_query_length.
func (a *API) parseTail(r *http.Request) (tailParams, error) {
	var p tailParams
	tenants, err := a.tenants(r)
	if err != nil {
		return p, err
	}
	if len(tenants) > 1 {
		return p, badRequest(msgMultipleOrgIDs)
	}
	p.tenant, p.lim = tenants[0], a.limitsFor(tenants)
	if _, err := form(r); err != nil {
		return p, err
	}
	if p.limit, err = parseLimit(r); err != nil {
		return p, err
	}
	if p.start, _, err = a.bounds(r); err != nil {
		return p, err
	}
	p.end = a.now()
	if s := r.Form.Get("delay_for"); s != "" {
		d, err := strconv.Atoi(s)
		if err != nil {
			return p, badRequest(err.Error())
		}
		// Loki reads it as an unsigned number: a negative one is as far out of range.
		if d < 0 || d > maxTailDelay {
			return p, badRequest(msgTailDelayTooLong)
		}
		p.delay = time.Duration(d) * time.Second
	}
	p.query = r.Form.Get("query")
	expr, err := a.checkQuery(logql.Params{Query: p.query, Start: p.start, End: p.end, Limit: p.limit}, p.lim)
	if err != nil {
		return p, err
	}
	sel, ok := expr.(*syntax.LogSelectorExpr)
	if !ok {
		return p, badRequest(msgOnlyLogSelector)
	}
	p.sel, p.categorize = sel, categorizeLabels(r)
	return p, nil
}

var tailUpgrader = websocket.Upgrader{
	// As Loki: any origin. With auth enabled a browser page cannot set X-Scope-OrgID on a
	// websocket, so only a proxy that adds it can open a tail for one.
	CheckOrigin: func(*http.Request) bool { return true },
}

// handleTail serves Loki's live tail: a websocket carrying, first, the last limit entries
// since start (oldest first), then every new entry of the query, delayed by delay_for.
// Refusals come before the upgrade, as HTTP errors in Loki's words.
func (a *API) handleTail(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	status := a.serveTail(w, r)
	a.metrics.duration.WithLabelValues(r.Method, "loki_api_v1_tail", strconv.Itoa(status)).Observe(time.Since(start).Seconds())
}

func (a *API) serveTail(w http.ResponseWriter, r *http.Request) int {
	fail := func(err error) int {
		status, msg := errorStatus(r.Context(), err)
		if status >= 500 {
			a.log.Warn("tail refused", "status", status, "err", err)
		}
		writeError(w, status, msg)
		return status
	}
	p, err := a.parseTail(r)
	if err != nil {
		return fail(err)
	}
	proc, err := logql.NewLogProcessor(p.sel, p.categorize)
	if err != nil {
		return fail(err)
	}
	release, err := a.tails.acquire(p.tenant, p.lim.MaxConcurrentTailRequests)
	if err != nil {
		return fail(err)
	}
	defer release()

	ctx, cancel := context.WithTimeout(a.tails.ctx, a.cfg.TailMaxDuration)
	defer cancel()
	s := &tailSession{a: a, p: p, proc: proc, q: newTailQueue(p.delay)}
	// Following starts before the backfill query, so no entry falls between the two; what
	// both see is sent once (see tailSession.seen).
	fctx, fcancel := context.WithCancel(ctx)
	follow, err := a.tails.follower.FollowLogs(fctx, p.tenant, p.sel.Matchers, s.onBatch)
	if err != nil {
		fcancel()
		return fail(fmt.Errorf("tail tenant %s: %w", p.tenant, err))
	}
	// The backfill ends where following began: an entry stored before then is in the
	// backfill (when it is among the last limit), one stored after is followed.
	s.p.end = a.now()
	followed := make(chan struct{})
	var followErr error
	go func() {
		followErr = follow()
		close(followed)
	}()
	defer func() {
		fcancel()
		<-followed
	}()

	conn, err := tailUpgrader.Upgrade(w, r, nil)
	if err != nil {
		// The upgrader answered the client (400 for a request that is not a websocket).
		return http.StatusBadRequest
	}
	a.metrics.tailsActive.Inc()
	defer a.metrics.tailsActive.Dec()
	s.run(ctx, conn, followed, &followErr)
	return http.StatusSwitchingProtocols
}
