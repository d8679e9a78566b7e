package chunker

import (
	"context"
	"errors"
	"math/rand/v2"
	"sort"
	"sync"
	"time"

	"github.com/jetlog/jetlog/bus"
)

// owned is a partition this instance holds the lease of, and the goroutine consuming it.
type owned struct {
	p        *partition
	leaseRev uint64
	cancel   context.CancelFunc // abrupt stop: the buffer is dropped, the bus still has it
	release  chan struct{}      // closed to ask for a graceful stop: flush, then exit
	once     sync.Once          // closes release
	done     chan struct{}      // closed when the goroutine has exited
}

// manage runs an ownership round every third of the lease TTL until ctx ends or Close.
func (c *Chunker) manage(ctx context.Context) {
	t := time.NewTicker(c.cfg.LeaseTTL / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.stopManage:
			return
		case <-t.C:
			c.round(ctx)
		}
	}
}

// beginClosing makes the ownership loop only renew: no partition is taken or given up while
// Close flushes, and the leases stay valid however long the final flush takes.
func (c *Chunker) beginClosing() {
	c.mu.Lock()
	c.closing = true
	c.mu.Unlock()
}

// stopManaging ends the ownership loop (Close, once every partition is released).
func (c *Chunker) stopManaging() {
	close(c.stopManage)
	c.manageWG.Wait()
}

// round renews this instance's heartbeat and leases, gives up partitions beyond its fair share
// and takes free ones up to it. Errors are logged: the next round tries again, and a lease not
// renewed in time is lost, never silently kept.
func (c *Chunker) round(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.LeaseTTL/3)
	defer cancel()
	log := c.d.Logger
	me := c.cfg.InstanceID
	if err := c.leases.Heartbeat(ctx, me); err != nil {
		log.Warn("lease heartbeat", "err", err)
	}
	c.renew(ctx)
	c.mu.Lock()
	closing := c.closing
	c.mu.Unlock()
	if closing {
		return
	}
	st, err := c.leases.State(ctx)
	if err != nil {
		log.Warn("read leases", "err", err)
		return
	}
	// lastHolder keeps another instance's lease on a partition after it vanished without a
	// release (it expired) until someone holds the partition again: taking it then, in this
	// round or a later one (while the dead instance still counts as live, the fair share may
	// not allow it yet), is a takeover.
	for p := range st.Released {
		delete(c.lastHolder, p)
	}
	for p, o := range st.Owners {
		if o == me {
			delete(c.lastHolder, p)
		} else {
			c.lastHolder[p] = o
		}
	}
	n := c.d.Bus.Partitions()
	live := max(len(st.Members), 1)
	share := (n + live - 1) / live

	c.mu.Lock()
	mine := make([]int, 0, len(c.owned))
	for p := range c.owned {
		mine = append(mine, p)
	}
	c.mu.Unlock()
	sort.Ints(mine)
	for len(mine) > share {
		p := mine[len(mine)-1]
		mine = mine[:len(mine)-1]
		log.Info("releasing partition beyond fair share", "partition", p, "share", share, "instances", live)
		go func() {
			sctx, cancel := context.WithTimeout(c.ctx, time.Minute)
			defer cancel()
			c.stopPartition(sctx, p, true)
		}()
	}
	var free []int
	for p := 0; p < n; p++ {
		if o, held := st.Owners[p]; (!held || o == me) && !c.isOwned(p) {
			free = append(free, p)
		}
	}
	rand.Shuffle(len(free), func(i, j int) { free[i], free[j] = free[j], free[i] })
	for _, p := range free {
		if len(mine) >= share || ctx.Err() != nil {
			break
		}
		rev, err := c.leases.Acquire(ctx, p, me)
		if err != nil {
			if !errors.Is(err, bus.ErrConflict) {
				log.Warn("acquire lease", "partition", p, "err", err)
			}
			continue
		}
		mine = append(mine, p)
		from := c.lastHolder[p]
		delete(c.lastHolder, p)
		c.startPartition(p, rev, from)
	}
	c.m.owned.Set(float64(len(mine)))
}

// renew extends every held lease; a lease found lost stops its partition at once.
func (c *Chunker) renew(ctx context.Context) {
	c.mu.Lock()
	held := make(map[int]*owned, len(c.owned))
	for p, o := range c.owned {
		held[p] = o
	}
	c.mu.Unlock()
	for p, o := range held {
		rev, err := c.leases.Renew(ctx, p, c.cfg.InstanceID, o.leaseRev)
		switch {
		case errors.Is(err, bus.ErrConflict):
			c.d.Logger.Warn("partition lease lost; stopping it", "partition", p)
			c.m.leasesLost.Inc()
			c.stopPartition(ctx, p, false)
		case err != nil:
			// Unknown outcome: keep working. If the lease did expire, the next owner's
			// epoch fences this instance's commits, and the next renewal finds out.
			c.d.Logger.Warn("renew lease", "partition", p, "err", err)
		default:
			c.mu.Lock()
			o.leaseRev = rev
			c.mu.Unlock()
		}
	}
}

func (c *Chunker) isOwned(p int) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.owned[p] != nil
}

// startPartition runs partition p, whose lease this instance now holds at revision rev.
// takenFrom, when set, is the instance whose expired lease this is: a takeover.
func (c *Chunker) startPartition(p int, rev uint64, takenFrom string) {
	ctx, cancel := context.WithCancel(c.ctx)
	o := &owned{p: newPartition(c, p), leaseRev: rev, cancel: cancel, release: make(chan struct{}), done: make(chan struct{})}
	c.mu.Lock()
	c.owned[p] = o
	c.mu.Unlock()
	if takenFrom != "" {
		c.m.takeovers.Inc()
		c.d.Logger.Info("partition taken over", "partition", p, "instance", c.cfg.InstanceID, "from", takenFrom)
	} else {
		c.d.Logger.Info("partition acquired", "partition", p, "instance", c.cfg.InstanceID)
	}
	c.partsWG.Add(1)
	go func() {
		defer c.partsWG.Done()
		defer close(o.done)
		err := o.p.run(ctx, o.release)
		if errors.Is(err, errFenced) {
			c.m.fenced.Inc()
			c.d.Logger.Warn("partition taken over by another instance; stopping it", "partition", p)
		}
		cancel()
		c.mu.Lock()
		if c.owned[p] == o {
			delete(c.owned, p)
		}
		rev := o.leaseRev
		c.mu.Unlock()
		if !errors.Is(err, errFenced) {
			rctx, rcancel := context.WithTimeout(context.Background(), 5*time.Second)
			if err := c.leases.Release(rctx, p, rev); err != nil {
				c.d.Logger.Warn("release lease", "partition", p, "err", err)
			}
			rcancel()
		}
	}()
}

// stopPartition stops p: gracefully (flush what is buffered, then release the lease) or at
// once (the buffer is dropped; the bus still holds it for the next owner). It waits for the
// partition's goroutine to exit; a graceful stop still running when ctx ends becomes abrupt.
func (c *Chunker) stopPartition(ctx context.Context, p int, graceful bool) {
	c.mu.Lock()
	o := c.owned[p]
	c.mu.Unlock()
	if o == nil {
		return
	}
	if graceful {
		o.once.Do(func() { close(o.release) })
	} else {
		o.cancel()
	}
	select {
	case <-o.done:
	case <-ctx.Done():
		o.cancel()
		<-o.done
	}
}

// releaseAll stops every partition, gracefully until ctx ends, which releases its lease.
func (c *Chunker) releaseAll(ctx context.Context) {
	c.mu.Lock()
	ps := make([]int, 0, len(c.owned))
	for p := range c.owned {
		ps = append(ps, p)
	}
	c.mu.Unlock()
	var wg sync.WaitGroup
	for _, p := range ps {
		wg.Go(func() { c.stopPartition(ctx, p, true) })
	}
	wg.Wait()
}
