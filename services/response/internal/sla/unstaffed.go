package sla

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"
	"github.com/chuishao/whistle/services/response/internal/events"
	"github.com/chuishao/whistle/services/response/internal/notify"
	"github.com/chuishao/whistle/services/response/internal/response"
	"github.com/chuishao/whistle/services/response/internal/store"
)

// Unstaffed is a new dispatch whose desk nobody staffs, and why.
type Unstaffed struct {
	Dispatch response.Dispatch
	Reason   string
}

// EscalateUnstaffed raises new dispatches straight to 督办 (the district
// supervisor) because nobody staffs their desks, without waiting out the
// ladder's delay, and writes the sla.escalated events that say why in tx: one
// statement for the dispatches and one for their events. The ladder goes on
// from there as usual: a later breach keeps the level and schedules 挂牌督办.
// A dispatch already at or above 督办, or closed, is left alone. A new
// dispatch has no ladder step pending (escalate_at), so the level does not
// change its next step: its timer row stays as written at creation.
func EscalateUnstaffed(ctx context.Context, tx pgx.Tx, out *notify.Outbox, us []Unstaffed, now time.Time) error {
	var ids []string
	var evs []*eventsv1.Event
	for _, u := range us {
		d := u.Dispatch
		if d.EscalationLevel >= response.LevelSupervise || !d.Status.Open() {
			continue
		}
		d.EscalationLevel, d.UpdatedAt = response.LevelSupervise, now
		ids = append(ids, d.ID)
		evs = append(evs, events.SLAEscalated(events.Escalation{
			Dispatch: d, Clock: d.PressingClock(), Level: response.LevelSupervise, Reason: u.Reason,
		}, now, events.SystemActor()))
	}
	if len(ids) == 0 {
		return nil
	}
	if err := store.New(tx).SetEscalationLevels(ctx, store.SetEscalationLevelsParams{Ids: ids, Level: response.LevelSupervise, UpdatedAt: now}); err != nil {
		return fmt.Errorf("escalate %d unstaffed dispatches: %w", len(ids), err)
	}
	if err := out.Add(ctx, tx, evs...); err != nil {
		return fmt.Errorf("escalate %d unstaffed dispatches: %w", len(ids), err)
	}
	return nil
}
