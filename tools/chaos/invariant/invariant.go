// Package invariant is the chaos run's verdict: from a snapshot of the
// databases, the event stream and the consumers, taken once the system has
// settled, it proves that nothing was lost or done twice.
//
//   - every raise that got a 2xx exists exactly once (one intake row, one
//     whistle.raised event);
//   - each whistle has exactly the dispatches its category's rules demand (lead
//     plus cooperating departments), each requested once (by the routing
//     decision that carries its request) and created once, no duplicates;
//   - every deadline that fell due fired exactly once (one sla.breached event
//     and the breach recorded on the dispatch), none fired before it was due,
//     no warning or escalation step fired twice;
//   - the outboxes are drained and every consumer has caught up;
//   - the timeline hash chains verify.
//
// Check is a pure function of the Snapshot, so its tests doctor snapshots;
// Load takes one from a running system.
package invariant

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"time"
)

// Raise is a whistle the load generator got a 2xx for.
type Raise struct {
	Key, StreetID, WhistleID, Category string
}

// Whistle is an intake row.
type Whistle struct {
	ID, StreetID, IdempotencyKey, Category string
}

// Dispatch is a response row.
type Dispatch struct {
	ID, WhistleID, Department, Status string
	// Due is each clock's deadline (ack, arrive, resolve).
	Due map[string]time.Time
	// Breaches are the clocks recorded as breached.
	Breaches []string
}

// Event is one message of the stream, decoded.
type Event struct {
	ID, Name, WhistleID, DispatchID string
	// Requested are the dispatches a routing decision asks for.
	Requested []string
	// Clock and Level of sla.* events.
	Clock string
	Level int32
}

// Lag is a durable consumer's backlog.
type Lag struct{ Pending, AckPending uint64 }

// Audit is the timeline verification's answer.
type Audit struct {
	OK                        bool
	Whistles, Entries, Broken int64
}

// Snapshot is everything Check looks at.
type Snapshot struct {
	// Now is the services' (drill) clock when the snapshot began; Grace is
	// how late (in that clock) a timer may still be firing.
	Now   time.Time
	Grace time.Duration
	// Departments each category demands (lead plus cooperating).
	Departments map[string][]string
	Raises      []Raise
	Whistles    []Whistle
	Dispatches  []Dispatch
	Events      []Event
	// Outbox rows left per schema; DueTimers are dispatches whose next SLA
	// step was due before Now-Grace and is still waiting in the timers table
	// (one row per dispatch, moved forward as each step fires).
	Outbox    map[string]int
	DueTimers int
	Consumers map[string]Lag
	Audit     Audit
}

// Report is the verdict.
type Report struct {
	Raises, Whistles, Dispatches, Events   int
	DeadlinesDue, BreachesFired, Escalated int
	// Lost, Duplicated and Missed count the broken promises by kind.
	Lost, Duplicated, Missed, Early int
	Violations                      []string
}

// OK is true when no invariant broke.
func (r Report) OK() bool { return len(r.Violations) == 0 }

// maxListed bounds the violations listed per kind (they are all counted).
const maxListed = 5

type checker struct {
	r      Report
	listed map[string]int
}

func (c *checker) fail(kind string, count *int, format string, args ...any) {
	if count != nil {
		*count++
	}
	c.listed[kind]++
	switch n := c.listed[kind]; {
	case n <= maxListed:
		c.r.Violations = append(c.r.Violations, kind+": "+fmt.Sprintf(format, args...))
	case n == maxListed+1:
		c.r.Violations = append(c.r.Violations, kind+": … (more)")
	}
}

// Check proves the invariants on s.
func Check(s Snapshot) Report {
	c := &checker{listed: map[string]int{}}
	c.r.Raises, c.r.Whistles, c.r.Dispatches, c.r.Events = len(s.Raises), len(s.Whistles), len(s.Dispatches), len(s.Events)

	// Events per whistle, per dispatch and per timer, by distinct event id:
	// JetStream de-duplicates a re-published copy (same id); a second id for
	// the same fact is the fact done twice.
	type key struct{ name, subject, clock string }
	ids := map[key]map[string]bool{}
	add := func(k key, id string) {
		if ids[k] == nil {
			ids[k] = map[string]bool{}
		}
		ids[k][id] = true
	}
	for _, e := range s.Events {
		for _, d := range e.Requested {
			add(key{"request", d, ""}, e.ID)
		}
		switch e.Name {
		case "whistle.raised", "whistle.routed":
			add(key{e.Name, e.WhistleID, ""}, e.ID)
		case "dispatch.created":
			add(key{e.Name, e.DispatchID, ""}, e.ID)
		case "sla.warning", "sla.breached":
			add(key{e.Name, e.DispatchID, e.Clock}, e.ID)
		case "sla.escalated":
			add(key{e.Name, e.DispatchID, fmt.Sprint(e.Level)}, e.ID)
			c.r.Escalated++
		}
	}
	count := func(name, subject, clock string) int { return len(ids[key{name, subject, clock}]) }

	// Raises: each accepted one exactly once in intake and on the stream.
	byID := map[string][]Whistle{}
	byKey := map[[2]string]int{}
	for _, w := range s.Whistles {
		byID[w.ID] = append(byID[w.ID], w)
		if w.IdempotencyKey != "" {
			byKey[[2]string{w.StreetID, w.IdempotencyKey}]++
		}
	}
	for _, r := range s.Raises {
		switch n := len(byID[r.WhistleID]); {
		case n == 0:
			c.fail("lost whistle", &c.r.Lost, "%s (key %s) got a 2xx but is not in intake", r.WhistleID, r.Key)
		case n > 1:
			c.fail("duplicate whistle", &c.r.Duplicated, "%s is in intake %d times", r.WhistleID, n)
		}
		if n := byKey[[2]string{r.StreetID, r.Key}]; n > 1 {
			c.fail("duplicate whistle", &c.r.Duplicated, "key %s of street %s raised %d whistles", r.Key, r.StreetID, n)
		}
	}
	// Every whistle in intake (also one whose 2xx never reached the client)
	// must have been announced exactly once and dispatched as its rules say.
	dispatches := map[string][]Dispatch{}
	for _, d := range s.Dispatches {
		dispatches[d.WhistleID] = append(dispatches[d.WhistleID], d)
	}
	for _, id := range slices.Sorted(maps.Keys(byID)) {
		w := byID[id][0]
		switch n := count("whistle.raised", id, ""); {
		case n == 0:
			c.fail("lost event", &c.r.Lost, "whistle %s has no whistle.raised on the stream", id)
		case n > 1:
			c.fail("duplicate event", &c.r.Duplicated, "whistle %s has %d whistle.raised events", id, n)
		}
		if n := count("whistle.routed", id, ""); n > 1 {
			c.fail("duplicate event", &c.r.Duplicated, "whistle %s has %d whistle.routed events", id, n)
		}
		c.checkDispatches(w, s.Departments[w.Category], dispatches[id])
	}
	for wid := range dispatches {
		if len(byID[wid]) == 0 {
			c.fail("orphan dispatch", &c.r.Duplicated, "dispatches of whistle %s, which intake does not have", wid)
		}
	}

	// Deadlines.
	for _, d := range s.Dispatches {
		switch n := count("request", d.ID, ""); {
		case n == 0:
			c.fail("lost event", &c.r.Lost, "dispatch %s was never requested on the stream", d.ID)
		case n > 1:
			c.fail("duplicate event", &c.r.Duplicated, "dispatch %s was requested by %d events", d.ID, n)
		}
		if n := count("dispatch.created", d.ID, ""); n != 1 {
			if n == 0 {
				c.fail("lost event", &c.r.Lost, "dispatch %s has no dispatch.created on the stream", d.ID)
			} else {
				c.fail("duplicate event", &c.r.Duplicated, "dispatch %s has %d dispatch.created events", d.ID, n)
			}
		}
		for _, clock := range slices.Sorted(maps.Keys(d.Due)) {
			due := d.Due[clock]
			fired := count("sla.breached", d.ID, clock)
			if fired > 1 {
				c.fail("deadline fired twice", &c.r.Duplicated, "dispatch %s: %s breach fired %d times", d.ID, clock, fired)
			}
			if n := count("sla.warning", d.ID, clock); n > 1 {
				c.fail("deadline fired twice", &c.r.Duplicated, "dispatch %s: %s warning fired %d times", d.ID, clock, n)
			}
			switch {
			case d.Status != "PENDING":
				// A desk acted: the clock may have stopped; not judged here.
			case !due.After(s.Now.Add(-s.Grace)):
				c.r.DeadlinesDue++
				if fired == 1 {
					c.r.BreachesFired++
				}
				if fired == 0 || !slices.Contains(d.Breaches, clock) {
					c.fail("missed deadline", &c.r.Missed, "dispatch %s: %s was due at %s, breach event %d, recorded %v",
						d.ID, clock, due.Format(time.RFC3339), fired, slices.Contains(d.Breaches, clock))
				}
			case due.After(s.Now.Add(s.Grace)) && fired > 0:
				c.fail("early deadline", &c.r.Early, "dispatch %s: %s is due at %s but fired by %s", d.ID, clock,
					due.Format(time.RFC3339), s.Now.Format(time.RFC3339))
			}
		}
	}
	for k, set := range ids {
		if k.name == "sla.escalated" && len(set) > 1 {
			c.fail("escalated twice", &c.r.Duplicated, "dispatch %s: level %s escalated %d times", k.subject, k.clock, len(set))
		}
	}
	if s.DueTimers > 0 {
		c.fail("missed deadline", &c.r.Missed, "%d timers due before %s are still waiting", s.DueTimers, s.Now.Add(-s.Grace).Format(time.RFC3339))
	}

	// Settled: outboxes drained, consumers caught up, chains verified.
	for _, schema := range slices.Sorted(maps.Keys(s.Outbox)) {
		if n := s.Outbox[schema]; n > 0 {
			c.fail("outbox not drained", nil, "%s has %d unpublished events", schema, n)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(s.Consumers)) {
		if l := s.Consumers[name]; l.Pending > 0 || l.AckPending > 0 {
			c.fail("consumer behind", nil, "%s: %d pending, %d unacknowledged", name, l.Pending, l.AckPending)
		}
	}
	if !s.Audit.OK {
		c.fail("timeline chain broken", nil, "%d of %d whistles' chains fail to verify", s.Audit.Broken, s.Audit.Whistles)
	}
	return c.r
}

// checkDispatches compares a whistle's dispatches with the departments its
// category demands: each exactly once.
func (c *checker) checkDispatches(w Whistle, want []string, got []Dispatch) {
	if len(want) == 0 {
		c.fail("unknown category", nil, "whistle %s: category %q demands no department", w.ID, w.Category)
		return
	}
	per := map[string]int{}
	for _, d := range got {
		per[d.Department]++
	}
	for _, dep := range want {
		switch n := per[dep]; {
		case n == 0:
			c.fail("lost dispatch", &c.r.Lost, "whistle %s (%s) has no dispatch to %s", w.ID, w.Category, dep)
		case n > 1:
			c.fail("duplicate dispatch", &c.r.Duplicated, "whistle %s has %d dispatches to %s", w.ID, n, dep)
		}
		delete(per, dep)
	}
	extra := slices.Collect(maps.Keys(per))
	sort.Strings(extra)
	for _, dep := range extra {
		c.fail("unexpected dispatch", &c.r.Duplicated, "whistle %s (%s) was dispatched to %s, which its rules do not demand", w.ID, w.Category, dep)
	}
}
