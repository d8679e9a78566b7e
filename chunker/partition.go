package chunker

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/jetlog/jetlog/bus"
	"github.com/jetlog/jetlog/chunk"
	"github.com/jetlog/jetlog/schemas"
	"github.com/jetlog/jetlog/schemas/labels"
)

type flushReq struct {
	upTo uint64
	done chan error
}

// partition is the state of one owned bus partition. Only its run goroutine touches the buffer.
type partition struct {
	c    *Chunker
	id   int
	reqs chan *flushReq

	cp       schemas.Checkpoint // as last written by this owner; cp.Epoch() is ours
	cpRev    uint64             // its revision in the checkpoint bucket
	lastSeq  uint64             // last message consumed (buffered or committed)
	from     uint64             // first buffered message, 0 when the buffer is empty
	firstAt  time.Time
	lastRecv time.Time
	bytes    atomic.Int64          // payload bytes buffered
	msgs     []schemas.TailMessage // buffered, in sequence order
}

func newPartition(c *Chunker, id int) *partition {
	return &partition{c: c, id: id, reqs: make(chan *flushReq, 16)}
}

// run opens a new epoch, recovers the partition, then reads and flushes until ctx ends
// (abrupt stop: the buffer is dropped), release is closed (graceful stop: everything
// consumed is flushed first) or another owner fences it (errFenced). Flush requests still
// waiting when it returns are answered with an error.
func (p *partition) run(ctx context.Context, release <-chan struct{}) (err error) {
	var waiting []*flushReq
	defer func() {
		p.reset()
		for _, r := range p.takeRequests(waiting) {
			r.done <- fmt.Errorf("partition stopped: %w", cmp.Or(err, ctx.Err(), errReleased))
		}
	}()
	if err := retry(ctx, p, "recover", func() error { return p.recover(ctx) }); err != nil {
		return err
	}
	var reader *bus.PartitionReader
	defer func() {
		if reader != nil {
			reader.Close()
		}
	}()
	for ctx.Err() == nil {
		// Requests taken now are answered only after a read that started after them.
		waiting = p.takeRequests(waiting)
		releasing := isClosed(release)
		if reader == nil {
			r, err := p.c.d.Bus.OpenPartition(ctx, p.id, p.lastSeq+1)
			if err != nil {
				if releasing {
					return err // giving up anyway: the next owner reads it from the bus
				}
				p.c.d.Logger.Warn("open partition", "partition", p.id, "err", err)
				sleep(ctx, time.Second)
				continue
			}
			reader = r
		}
		// A read waits for messages only when nobody waits for this partition: flush
		// requests and releases see their answer after one more immediate read.
		wait := 250 * time.Millisecond
		if len(waiting) > 0 || releasing {
			wait = 0
		}
		msgs, pending, err := reader.Fetch(ctx, p.c.cfg.FetchBatch, wait)
		for _, m := range msgs {
			p.add(m)
		}
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			if releasing {
				return err
			}
			p.c.d.Logger.Warn("read partition", "partition", p.id, "err", err)
			reader.Close()
			reader = nil // reopen after the last consumed message
			sleep(ctx, 500*time.Millisecond)
			continue
		}
		caughtUp := len(msgs) == 0 || pending == 0
		var due []*flushReq
		keep := waiting[:0]
		for _, r := range waiting {
			if caughtUp || p.lastSeq >= r.upTo {
				due = append(due, r)
			} else {
				keep = append(keep, r)
			}
		}
		waiting = keep
		if p.from != 0 && (len(due) > 0 || releasing || p.shouldFlush()) {
			if err := retry(ctx, p, "flush", func() error { return p.flush(ctx) }); err != nil {
				waiting = append(waiting, due...)
				return err
			}
		}
		for _, r := range due {
			r.done <- nil
		}
		if releasing && len(waiting) == 0 {
			return nil
		}
	}
	return ctx.Err()
}

var (
	// errFenced: another instance opened a newer epoch; this one must stop at once.
	errFenced = errors.New("partition fenced by a newer owner")
	// errReleased: the partition was given up gracefully.
	errReleased = errors.New("partition released")
)

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

func (p *partition) takeRequests(into []*flushReq) []*flushReq {
	for {
		select {
		case r := <-p.reqs:
			into = append(into, r)
		default:
			return into
		}
	}
}

func (p *partition) shouldFlush() bool {
	cfg := p.c.cfg
	now := time.Now()
	switch {
	case p.bytes.Load() >= cfg.MaxChunkBytes:
		return true
	case now.Sub(p.firstAt) >= cfg.MaxChunkAge:
		return true
	case now.Sub(p.lastRecv) >= cfg.IdlePeriod:
		return true
	case p.c.total.Load() > cfg.MaxBufferedBytes && p.c.largest(p):
		return true
	}
	return false
}

// add buffers one bus message as it came (a compressed protobuf payload; it is decoded once, at
// flush). Messages at or below lastSeq were already consumed (a reader reopened after an error
// may deliver them again) and are skipped.
func (p *partition) add(m schemas.TailMessage) {
	if m.Seq <= p.lastSeq {
		return
	}
	p.lastSeq = m.Seq
	now := time.Now()
	p.lastRecv = now
	if p.from == 0 {
		p.from = m.Seq
		p.firstAt = now
	}
	p.msgs = append(p.msgs, m)
	n := int64(schemas.RawSize(m.Format, m.Payload))
	p.bytes.Add(n)
	p.c.total.Add(n)
	p.c.m.buffered.Add(float64(n))
}

// group decodes the buffered messages into each tenant's streams, in place: each payload is
// decompressed into a buffer of its own and the entries' lines are strings over it (one
// allocation per message instead of one per line; the buffer is never written again and
// lives as long as the entries). An undecodable message is counted and skipped whole (the
// gateway only publishes what it encoded; this is bus corruption).
func (p *partition) group() (tenants map[string]map[string]*chunk.Stream, entries int) {
	tenants = map[string]map[string]*chunk.Stream{}
	type pending struct {
		st *chunk.Stream
		e  chunk.Entry
	}
	var msg []pending // one message's entries, added to their streams once it all decoded
	for _, m := range p.msgs {
		streams := tenants[m.Tenant]
		if streams == nil {
			streams = map[string]*chunk.Stream{}
			tenants[m.Tenant] = streams
		}
		msg = msg[:0]
		var st *chunk.Stream
		b, err := schemas.PushBytes(m.Format, m.Payload, nil)
		if err == nil {
			err = schemas.WalkPush(b, func(lbls []byte) (bool, error) {
				st = streams[string(lbls)]
				if st == nil {
					ls, err := labels.Parse(string(lbls))
					if err != nil {
						p.c.m.badMessages.Inc()
						return false, nil
					}
					st = &chunk.Stream{Labels: ls}
					streams[string(lbls)] = st
				}
				return true, nil
			}, func(ts int64, line []byte, md [][2][]byte) {
				msg = append(msg, pending{st, chunk.Entry{Timestamp: ts, Line: unsafe.String(unsafe.SliceData(line), len(line)), Metadata: schemas.MetadataLabels(md)}})
			})
		}
		if err != nil {
			p.c.m.badMessages.Inc()
			p.c.d.Logger.Error("undecodable bus message skipped", "partition", p.id, "seq", m.Seq, "err", err)
			continue
		}
		for _, pe := range msg {
			pe.st.Entries = append(pe.st.Entries, pe.e)
		}
		entries += len(msg)
	}
	return tenants, entries
}

func (p *partition) reset() {
	n := p.bytes.Swap(0)
	p.c.total.Add(-n)
	p.c.m.buffered.Sub(float64(n))
	p.msgs = nil
	p.from = 0
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}
