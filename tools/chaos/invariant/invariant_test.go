package invariant

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var t0 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

// healthy is the snapshot of a settled system: one flooding whistle,
// dispatched to its three departments; the ack deadlines fell due and fired,
// the arrival and resolution ones are still ahead.
func healthy() Snapshot {
	s := Snapshot{
		Now: t0.Add(20 * time.Minute), Grace: time.Minute,
		Departments: map[string][]string{"flooding": {"emergency", "transport", "water"}},
		Raises:      []Raise{{Key: "k1", StreetID: "110101001", WhistleID: "w1", Category: "flooding"}},
		Whistles:    []Whistle{{ID: "w1", StreetID: "110101001", IdempotencyKey: "k1", Category: "flooding"}},
		Outbox:      map[string]int{"intake": 0, "routing": 0, "response": 0, "feedback": 0},
		Consumers:   map[string]Lag{"routing": {}, "response": {}},
		Audit:       Audit{OK: true, Whistles: 1, Entries: 12},
		Events: []Event{
			{ID: "e1", Name: "whistle.raised", WhistleID: "w1"},
			{ID: "e2", Name: "whistle.routed", WhistleID: "w1", Requested: []string{"d1", "d2", "d3"}},
		},
	}
	for i, dep := range []string{"water", "transport", "emergency"} {
		id := "d" + string(rune('1'+i))
		s.Dispatches = append(s.Dispatches, Dispatch{
			ID: id, WhistleID: "w1", Department: dep, Status: "PENDING", Breaches: []string{"ack"},
			Due: map[string]time.Time{"ack": t0.Add(5 * time.Minute), "arrive": t0.Add(30 * time.Minute), "resolve": t0.Add(12 * time.Hour)},
		})
		s.Events = append(s.Events,
			Event{ID: "c" + id, Name: "dispatch.created", WhistleID: "w1", DispatchID: id},
			Event{ID: "w" + id, Name: "sla.warning", WhistleID: "w1", DispatchID: id, Clock: "ack"},
			Event{ID: "b" + id, Name: "sla.breached", WhistleID: "w1", DispatchID: id, Clock: "ack"},
		)
	}
	return s
}

func TestHealthySnapshotPasses(t *testing.T) {
	r := Check(healthy())
	assert.True(t, r.OK(), r.Violations)
	assert.Equal(t, 3, r.DeadlinesDue)
	assert.Equal(t, 3, r.BreachesFired)
}

func TestARepublishedCopyIsNotADuplicate(t *testing.T) {
	// The relay may publish a row again after a crash; JetStream and the
	// consumers drop it by its id, so the same id twice is one event.
	s := healthy()
	s.Events = append(s.Events, s.Events[0], s.Events[len(s.Events)-1])
	assert.True(t, Check(s).OK())
}

func TestCatchesBrokenPromises(t *testing.T) {
	for name, tc := range map[string]struct {
		doctor func(*Snapshot)
		want   string
		count  func(Report) int
	}{
		"accepted raise missing from intake": {
			doctor: func(s *Snapshot) { s.Whistles = nil },
			want:   "lost whistle", count: func(r Report) int { return r.Lost },
		},
		"one key raised twice": {
			doctor: func(s *Snapshot) {
				s.Whistles = append(s.Whistles, Whistle{ID: "w2", StreetID: "110101001", IdempotencyKey: "k1", Category: "flooding"})
			},
			want: "duplicate whistle", count: func(r Report) int { return r.Duplicated },
		},
		"event written to the database but never published (outbox skipped)": {
			doctor: func(s *Snapshot) { s.Events = s.Events[1:] },
			want:   "lost event", count: func(r Report) int { return r.Lost },
		},
		"whistle announced twice under two ids": {
			doctor: func(s *Snapshot) {
				s.Events = append(s.Events, Event{ID: "e9", Name: "whistle.raised", WhistleID: "w1"})
			},
			want: "duplicate event", count: func(r Report) int { return r.Duplicated },
		},
		"a dispatch requested twice under two ids": {
			doctor: func(s *Snapshot) {
				s.Events = append(s.Events, Event{ID: "e8", Name: "whistle.department_added", WhistleID: "w1", Requested: []string{"d2"}})
			},
			want: "duplicate event", count: func(r Report) int { return r.Duplicated },
		},
		"a dispatch nobody requested": {
			doctor: func(s *Snapshot) { s.Events[1].Requested = []string{"d1", "d2"} },
			want:   "lost event", count: func(r Report) int { return r.Lost },
		},
		"a department never dispatched": {
			doctor: func(s *Snapshot) { s.Dispatches = s.Dispatches[:2] },
			want:   "lost dispatch", count: func(r Report) int { return r.Lost },
		},
		"a department dispatched twice": {
			doctor: func(s *Snapshot) {
				d := s.Dispatches[0]
				d.ID = "d9"
				s.Dispatches = append(s.Dispatches, d)
				s.Events = append(s.Events, Event{ID: "cd9", Name: "dispatch.created", DispatchID: "d9"},
					Event{ID: "bd9", Name: "sla.breached", DispatchID: "d9", Clock: "ack"})
			},
			want: "duplicate dispatch", count: func(r Report) int { return r.Duplicated },
		},
		"a department the rules do not demand": {
			doctor: func(s *Snapshot) { s.Dispatches[0].Department = "police" },
			want:   "unexpected dispatch", count: func(r Report) int { return r.Duplicated },
		},
		"a deadline fired twice": {
			doctor: func(s *Snapshot) {
				s.Events = append(s.Events, Event{ID: "x", Name: "sla.breached", DispatchID: "d1", Clock: "ack"})
			},
			want: "deadline fired twice", count: func(r Report) int { return r.Duplicated },
		},
		"a deadline silently missed": {
			doctor: func(s *Snapshot) {
				s.Dispatches[1].Breaches = nil
				s.Events = removeID(s.Events, "bd2")
			},
			want: "missed deadline", count: func(r Report) int { return r.Missed },
		},
		"a breach recorded but its event lost": {
			doctor: func(s *Snapshot) { s.Events = removeID(s.Events, "bd3") },
			want:   "missed deadline", count: func(r Report) int { return r.Missed },
		},
		"a due timer still waiting": {
			doctor: func(s *Snapshot) { s.DueTimers = 4 },
			want:   "missed deadline", count: func(r Report) int { return r.Missed },
		},
		"a deadline fired early": {
			doctor: func(s *Snapshot) {
				s.Events = append(s.Events, Event{ID: "y", Name: "sla.breached", DispatchID: "d1", Clock: "resolve"})
			},
			want: "early deadline", count: func(r Report) int { return r.Early },
		},
		"an escalation step taken twice": {
			doctor: func(s *Snapshot) {
				s.Events = append(s.Events, Event{ID: "s1", Name: "sla.escalated", DispatchID: "d1", Clock: "ack", Level: 2},
					Event{ID: "s2", Name: "sla.escalated", DispatchID: "d1", Clock: "ack", Level: 2})
			},
			want: "escalated twice", count: func(r Report) int { return r.Duplicated },
		},
		"an outbox not drained": {
			doctor: func(s *Snapshot) { s.Outbox["routing"] = 3 },
			want:   "outbox not drained",
		},
		"a consumer behind": {
			doctor: func(s *Snapshot) { s.Consumers["response"] = Lag{Pending: 2} },
			want:   "consumer behind",
		},
		"a broken timeline chain": {
			doctor: func(s *Snapshot) { s.Audit = Audit{OK: false, Whistles: 1, Broken: 1} },
			want:   "timeline chain broken",
		},
	} {
		t.Run(name, func(t *testing.T) {
			s := healthy()
			tc.doctor(&s)
			r := Check(s)
			require.False(t, r.OK(), "the checker missed it")
			assert.True(t, hasPrefix(r.Violations, tc.want+":"), "violations: %v", r.Violations)
			if tc.count != nil {
				assert.Positive(t, tc.count(r))
			}
		})
	}
}

func TestViolationsAreCountedInFullButListedBriefly(t *testing.T) {
	s := healthy()
	for range 20 {
		s.Raises = append(s.Raises, Raise{Key: "k", StreetID: "s", WhistleID: "missing"})
	}
	r := Check(s)
	assert.Equal(t, 20, r.Lost)
	assert.Len(t, r.Violations, maxListed+1)
}

func removeID(evs []Event, id string) []Event {
	var out []Event
	for _, e := range evs {
		if e.ID != id {
			out = append(out, e)
		}
	}
	return out
}

func hasPrefix(xs []string, p string) bool {
	for _, x := range xs {
		if strings.HasPrefix(x, p) {
			return true
		}
	}
	return false
}
