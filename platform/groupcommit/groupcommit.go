// Package groupcommit gathers concurrent requests into groups that a service
// runs together (one transaction, one commit), while each caller still gets
// its own answer.
//
// There is no timer: a request that finds a free slot runs at once, alone. A
// request that finds every slot busy waits for the next one to free up, and
// then runs with every request that arrived meanwhile (up to a bound). The
// window of a group is thus the time the groups ahead of it take, so a lone
// request is never delayed and groups grow only as load does.
package groupcommit

import (
	"context"
	"slices"
	"sync"
	"time"
)

// Outcome is one request's answer from a group.
type Outcome[Resp any] struct {
	Value Resp
	Err   error
}

// Request is a request with the context of its caller.
type Request[Req any] struct {
	Ctx context.Context
	Req Req
}

// Batcher runs requests alone or in groups.
type Batcher[Req, Resp any] struct {
	// Group runs reqs together, in their arrival order. It returns one outcome
	// per request (a request's own failure, such as an illegal move, is its
	// outcome, not the group's); an error fails the whole group, and each of
	// its requests is then run Alone, so one bad request cannot fail the
	// others. ctx outlives any one caller's cancellation.
	Group func(ctx context.Context, reqs []Request[Req]) ([]Outcome[Resp], error)
	// Alone runs one request by itself: a request that found a free slot,
	// and each request of a failed group.
	Alone func(ctx context.Context, req Req) (Resp, error)
	// Max bounds a group's size (default 64).
	Max int
	// Slots is how many groups (or lone requests) run at once (default 2).
	Slots int

	mu      sync.Mutex
	running int
	pending []*call[Req, Resp]
}

type call[Req, Resp any] struct {
	Request[Req]
	out Outcome[Resp]
	// lead, when set before wake, is the group this call is to run.
	lead []*call[Req, Resp]
	wake chan struct{}
}

func (b *Batcher[Req, Resp]) limits() (max, slots int) {
	max, slots = b.Max, b.Slots
	if max <= 0 {
		max = 64
	}
	if slots <= 0 {
		slots = 2
	}
	return max, slots
}

// Do runs req, alone or in a group, and returns its own answer. A caller
// whose ctx ends while it waits for a slot is answered ctx.Err() and its
// request never runs; once its group has started, it waits for the outcome.
func (b *Batcher[Req, Resp]) Do(ctx context.Context, req Req) (Resp, error) {
	c := &call[Req, Resp]{Request: Request[Req]{Ctx: ctx, Req: req}, wake: make(chan struct{}, 1)}
	_, slots := b.limits()
	b.mu.Lock()
	if b.running < slots {
		// A slot is free only when no one waits, so c runs now, alone.
		b.running++
		b.mu.Unlock()
		b.run([]*call[Req, Resp]{c})
		return c.out.Value, c.out.Err
	}
	b.pending = append(b.pending, c)
	b.mu.Unlock()
	select {
	case <-c.wake:
	case <-ctx.Done():
		b.mu.Lock()
		if i := slices.Index(b.pending, c); i >= 0 {
			b.pending = slices.Delete(b.pending, i, i+1)
			b.mu.Unlock()
			var zero Resp
			return zero, ctx.Err()
		}
		b.mu.Unlock()
		<-c.wake
	}
	if c.lead != nil {
		b.run(c.lead)
	}
	return c.out.Value, c.out.Err
}

// Waiting is how many requests wait for a slot now (for tests that need a
// group to form, and for gauges).
func (b *Batcher[Req, Resp]) Waiting() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.pending)
}

// run runs group (whose first call is the caller's own), hands the slot to
// the requests that gathered meanwhile, and wakes the group's other callers.
func (b *Batcher[Req, Resp]) run(group []*call[Req, Resp]) {
	b.runGroup(group)
	max, _ := b.limits()
	b.mu.Lock()
	if len(b.pending) == 0 {
		b.running--
	} else {
		n := min(len(b.pending), max)
		next := slices.Clone(b.pending[:n])
		b.pending = slices.Delete(b.pending, 0, n)
		next[0].lead = next
		next[0].wake <- struct{}{}
	}
	b.mu.Unlock()
	for _, c := range group[1:] {
		c.wake <- struct{}{}
	}
}

func (b *Batcher[Req, Resp]) runGroup(group []*call[Req, Resp]) {
	if len(group) == 1 {
		c := group[0]
		c.out.Value, c.out.Err = b.Alone(c.Ctx, c.Req)
		return
	}
	reqs := make([]Request[Req], len(group))
	for i, c := range group {
		reqs[i] = c.Request
	}
	ctx, cancel := groupContext(reqs)
	outs, err := b.Group(ctx, reqs)
	cancel()
	if err == nil && len(outs) == len(group) {
		for i, c := range group {
			c.out = outs[i]
		}
		return
	}
	for _, c := range group {
		c.out.Value, c.out.Err = b.Alone(c.Ctx, c.Req)
	}
}

// groupContext is the first request's context (its values, such as the
// trace), cancelled at the latest deadline of the group's callers rather
// than by any one caller's going away.
func groupContext[Req any](reqs []Request[Req]) (context.Context, context.CancelFunc) {
	ctx := context.WithoutCancel(reqs[0].Ctx)
	var latest time.Time
	for _, r := range reqs {
		d, ok := r.Ctx.Deadline()
		if !ok {
			return ctx, func() {}
		}
		if d.After(latest) {
			latest = d
		}
	}
	return context.WithDeadline(ctx, latest)
}
