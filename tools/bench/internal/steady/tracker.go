package steady

import (
	"sync"
	"time"
)

// Tracker matches 201s with dispatch.created events. Either may come first:
// under load the stream can deliver a dispatch before the raise's HTTP answer
// has been read, so the latency is clamped at zero rather than negative.
type Tracker struct {
	fanOut int

	mu        sync.Mutex
	whistles  map[string]*entry
	latencies []time.Duration
	pending   int
	lastDone  time.Time
	changed   chan struct{}
}

type entry struct {
	raisedAt   time.Time // zero until the 201 arrived
	dispatches int
	lastAt     time.Time
	done       bool
}

// NewTracker expects fanOut dispatches per whistle.
func NewTracker(fanOut int) *Tracker {
	return &Tracker{fanOut: fanOut, whistles: map[string]*entry{}, changed: make(chan struct{}, 1)}
}

func (t *Tracker) get(id string) *entry {
	e := t.whistles[id]
	if e == nil {
		e = &entry{}
		t.whistles[id] = e
	}
	return e
}

// Raised records a whistle's 201 at time at.
func (t *Tracker) Raised(id string, at time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.get(id)
	e.raisedAt = at
	t.pending++
	t.check(e)
}

// Dispatched records one dispatch.created of a whistle seen at time at.
func (t *Tracker) Dispatched(id string, at time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.get(id)
	e.dispatches++
	e.lastAt = at
	t.check(e)
}

func (t *Tracker) check(e *entry) {
	if e.done || e.raisedAt.IsZero() || e.dispatches < t.fanOut {
		return
	}
	e.done = true
	t.pending--
	t.latencies = append(t.latencies, max(e.lastAt.Sub(e.raisedAt), 0))
	if at := later(e.lastAt, e.raisedAt); at.After(t.lastDone) {
		t.lastDone = at
	}
	select {
	case t.changed <- struct{}{}:
	default:
	}
}

// Pending is how many raised whistles still miss a dispatch.
func (t *Tracker) Pending() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.pending
}

// Changed is signalled (coalesced) whenever a whistle became fully visible.
func (t *Tracker) Changed() <-chan struct{} { return t.changed }

// Latencies returns a copy of the 201 → fully visible latencies so far.
func (t *Tracker) Latencies() []time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]time.Duration(nil), t.latencies...)
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// LastDone is when the most recent whistle became fully visible.
func (t *Tracker) LastDone() time.Time {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.lastDone
}
