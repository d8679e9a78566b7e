package querier

import (
	"context"
	"errors"
	"sort"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/gorilla/websocket"

	"github.com/jetlog/jetlog/logql"
	"github.com/jetlog/jetlog/schemas/labels"
)

// tailSession is one open live tail. onBatch runs on the follower's goroutine and only fills
// the queue; everything else, and every write to the connection, runs on the handler's.
type tailSession struct {
	a    *API
	p    tailParams
	proc *logql.LogProcessor // onBatch's
	q    *tailQueue

	seen    map[string]struct{} // the backfilled entries, not sent twice
	dropped []droppedEntry      // reported drops not sent yet
	buf     []byte
}

// onBatch runs new entries through the query's pipeline and queues the ones it keeps. It
// never blocks: when the client is behind and the queue full, entries are dropped and
// reported to the client with the next frame.
func (s *tailSession) onBatch(b *logql.Batch) error {
	s.proc.Process(b, func(ls labels.Labels, e logql.Entry) {
		if !s.q.push(ls, ls.String(), e) {
			s.a.metrics.tailDropped.Inc()
		}
	})
	return nil
}

// run serves the open connection until the client leaves, a write fails, the follower fails
// or ctx ends, then closes it with a close frame saying why.
func (s *tailSession) run(ctx context.Context, conn *websocket.Conn, followed <-chan struct{}, followErr *error) {
	readDone := make(chan struct{})
	go readTailClient(conn, readDone)
	defer func() {
		_ = conn.Close() // ends readTailClient
		<-readDone
	}()
	code, msg := s.serve(ctx, conn, readDone, followed, followErr)
	if code != 0 {
		s.a.log.Debug("tail ended", "tenant", s.p.tenant, "code", code, "reason", msg)
		_ = conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, closeReason(msg)), time.Now().Add(time.Second))
	}
}

// readTailClient reads the client's frames until the connection ends, which is how a client
// that went away is noticed: clients send nothing but control frames (a close, pongs to the
// pings). A client that answers no ping for tailPongWait is taken for dead.
func readTailClient(conn *websocket.Conn, done chan<- struct{}) {
	defer close(done)
	conn.SetReadLimit(4 << 10)
	_ = conn.SetReadDeadline(time.Now().Add(tailPongWait))
	conn.SetPongHandler(func(string) error { return conn.SetReadDeadline(time.Now().Add(tailPongWait)) })
	for {
		if _, _, err := conn.NextReader(); err != nil {
			return
		}
	}
}

// serve sends the backfill and then the queue's due entries, and returns the close code and
// reason to end with (0 when the connection is already gone).
func (s *tailSession) serve(ctx context.Context, conn *websocket.Conn, readDone <-chan struct{}, followed <-chan struct{}, followErr *error) (int, string) {
	if err := s.backfill(ctx, conn); err != nil {
		var we writeErr
		if errors.As(err, &we) {
			return 0, ""
		}
		if ctx.Err() != nil {
			return s.endReason(ctx)
		}
		_, msg := errorStatus(ctx, err)
		return websocket.CloseInternalServerErr, msg
	}
	ping := time.NewTicker(tailPingPeriod)
	defer ping.Stop()
	due := time.NewTimer(time.Hour)
	defer due.Stop()
	for {
		out, dropped, next := s.q.pop(time.Now(), tailFrameEntries)
		s.addDropped(dropped)
		if out = s.unseen(out); len(out) > 0 {
			if err := s.write(conn, out); err != nil {
				return 0, ""
			}
			continue
		}
		var wait <-chan time.Time
		if !next.IsZero() {
			due.Reset(time.Until(next) + time.Millisecond)
			wait = due.C
		}
		select {
		case <-s.q.wake:
		case <-wait:
		case <-ping.C:
			if err := conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(tailWriteWait)); err != nil {
				return 0, ""
			}
		case <-readDone:
			return 0, "" // the client closed (and was answered) or is gone
		case <-followed:
			if err := *followErr; err != nil && ctx.Err() == nil {
				s.a.log.Warn("tail follower failed", "tenant", s.p.tenant, "err", err)
				return websocket.CloseInternalServerErr, err.Error()
			}
			return s.endReason(ctx)
		case <-ctx.Done():
			return s.endReason(ctx)
		}
	}
}

// endReason is the close frame for a tail whose ctx ended: the server closing, or Loki's
// tail max duration.
func (s *tailSession) endReason(ctx context.Context) (int, string) {
	if s.a.tails.ctx.Err() != nil {
		return websocket.CloseGoingAway, msgTailServerShutdown
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return websocket.CloseInternalServerErr, msgTailMaxDuration
	}
	return websocket.CloseNormalClosure, ""
}

// backfill sends the last limit entries since start, oldest first, as Loki does (a backward
// query whose result it reverses), and remembers them so that the follower's copies of the
// same entries are not sent again.
func (s *tailSession) backfill(ctx context.Context, conn *websocket.Conn) error {
	qctx, cancel := context.WithTimeout(ctx, s.p.lim.QueryTimeout)
	defer cancel()
	res, err := s.a.query(qctx, logql.Params{Tenant: s.p.tenant, Query: s.p.query, Start: s.p.start, End: s.p.end,
		Limit: s.p.limit, Direction: logql.Backward, CategorizeLabels: s.p.categorize})
	if err != nil {
		return err
	}
	ss, _ := res.Value.(logql.Streams)
	var all []tailEntry
	for _, st := range ss {
		key := st.Labels.String()
		for _, e := range st.Entries {
			all = append(all, tailEntry{labels: st.Labels, key: key, e: e})
		}
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].e.Timestamp < all[j].e.Timestamp })
	s.seen = make(map[string]struct{}, len(all))
	for i := range all {
		s.seen[entryKey(&all[i])] = struct{}{}
	}
	for len(all) > 0 {
		n := min(len(all), tailFrameEntries)
		if err := s.write(conn, all[:n]); err != nil {
			return err
		}
		all = all[n:]
	}
	return nil
}

// unseen drops from es the entries the backfill sent already.
func (s *tailSession) unseen(es []tailEntry) []tailEntry {
	if len(s.seen) == 0 {
		return es
	}
	out := es[:0]
	for i := range es {
		if _, ok := s.seen[entryKey(&es[i])]; !ok {
			out = append(out, es[i])
		}
	}
	return out
}

func entryKey(te *tailEntry) string {
	return te.key + "\xff" + strconv.FormatInt(te.e.Timestamp, 10) + "\xff" + te.e.Line
}

func (s *tailSession) addDropped(ds []droppedEntry) {
	if room := tailDroppedEntries - len(s.dropped); room > 0 {
		s.dropped = append(s.dropped, ds[:min(room, len(ds))]...)
	}
}

// writeErr is a failed write to the connection: the client is gone or too slow.
type writeErr struct{ error }

// write sends one frame of entries with the drops not reported yet.
func (s *tailSession) write(conn *websocket.Conn, es []tailEntry) error {
	s.buf = appendTailFrame(s.buf[:0], es, s.dropped, s.p.categorize)
	_ = conn.SetWriteDeadline(time.Now().Add(tailWriteWait))
	if err := conn.WriteMessage(websocket.TextMessage, s.buf); err != nil {
		return writeErr{err}
	}
	s.dropped = s.dropped[:0]
	bytes := 0
	for i := range es {
		bytes += len(es[i].e.Line)
	}
	s.a.metrics.tailSent.Add(float64(len(es)))
	s.a.metrics.tailBytes.Add(float64(bytes))
	return nil
}

// closeReason fits msg into a close frame (at most 123 bytes of reason), cut at a rune.
func closeReason(msg string) string {
	const max = 123
	if len(msg) <= max {
		return msg
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(msg[cut]) {
		cut--
	}
	return msg[:cut]
}
