package response

import (
	"slices"
	"time"
)

// Fire applies step s (d's NextStep) to d as fired at now: a warning or a
// breach is recorded on its clock; a breach is 催办 (level 1) unless the
// dispatch is higher already, and starts the ladder unless it climbs already;
// the ladder's step raises the level by one. Each step of the ladder counts
// from when the previous one was due, not when it fired, so a late poller
// does not stretch the ladder.
func (d Dispatch) Fire(s Step, l Ladder, now time.Time) Dispatch {
	l = l.WithDefaults()
	d.UpdatedAt = now
	switch s.Kind {
	case Warning:
		d.Warnings = append(slices.Clone(d.Warnings), string(s.Clock))
	case Breach:
		d.Breaches = append(slices.Clone(d.Breaches), string(s.Clock))
		d.EscalationLevel = max(d.EscalationLevel, BreachEscalationLevel)
		// A ladder step still pending (not due before this breach) stands:
		// one ladder per dispatch, whichever clock started it.
		if d.EscalateAt == nil || d.EscalateAt.Before(s.DueAt) {
			d.EscalateAt = nil
			if _, after, ok := l.Next(d.EscalationLevel); ok {
				at := s.DueAt.Add(after)
				d.EscalateAt = &at
			}
		}
	case Escalate:
		d.EscalationLevel++
		d.EscalateAt = nil
		if _, after, ok := l.Next(d.EscalationLevel); ok {
			at := s.DueAt.Add(after)
			d.EscalateAt = &at
		}
	}
	return d
}

// EscalateByHand is a supervisor's step to level (ManualEscalation's answer)
// at now: the ladder's next step, while a breached clock is unmet, counts
// from now; with none unmet the ladder waits for a breach to start it.
func (d Dispatch) EscalateByHand(level int, l Ladder, now time.Time) Dispatch {
	d.EscalationLevel, d.UpdatedAt, d.EscalateAt = level, now, nil
	if _, unmet := d.UnmetBreach(); unmet {
		if _, after, ok := l.WithDefaults().Next(level); ok {
			at := now.Add(after)
			d.EscalateAt = &at
		}
	}
	return d
}
