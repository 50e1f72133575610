package sla

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/chuishao/whistle/platform/bus/outbox"
	"github.com/chuishao/whistle/services/response/internal/events"
	"github.com/chuishao/whistle/services/response/internal/response"
	"github.com/chuishao/whistle/services/response/internal/store"
)

// EscalateUnstaffed raises a new dispatch straight to 督办 (the district
// supervisor) because nobody staffs its desk, without waiting out the
// ladder's delay, and writes the sla.escalated event that says why (reason)
// in tx. The ladder goes on from there as usual: a later breach keeps the
// level and schedules 挂牌督办. A dispatch already at or above 督办 is left alone.
func EscalateUnstaffed(ctx context.Context, tx pgx.Tx, d response.Dispatch, reason string, now time.Time) (response.Dispatch, error) {
	if d.EscalationLevel >= response.LevelSupervise || !d.Status.Open() {
		return d, nil
	}
	q := store.New(tx)
	if err := q.SetEscalationLevel(ctx, store.SetEscalationLevelParams{ID: d.ID, Level: response.LevelSupervise, UpdatedAt: now}); err != nil {
		return d, fmt.Errorf("escalate unstaffed dispatch %s: %w", d.ID, err)
	}
	d.EscalationLevel, d.UpdatedAt = response.LevelSupervise, now
	ev := events.SLAEscalated(events.Escalation{
		Dispatch: d, Clock: d.PressingClock(), Level: response.LevelSupervise, Reason: reason,
	}, now, events.SystemActor())
	if err := outbox.Add(ctx, tx, ev); err != nil {
		return d, fmt.Errorf("escalate unstaffed dispatch %s: %w", d.ID, err)
	}
	return d, nil
}
