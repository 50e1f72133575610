package desk

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/postgres"
	typesv1 "github.com/chuishao/whistle/proto/gen/whistle/types/v1"
	"github.com/chuishao/whistle/services/response/internal/events"
	"github.com/chuishao/whistle/services/response/internal/response"
	"github.com/chuishao/whistle/services/response/internal/store"
)

// supervisorScope is what a supervisor may escalate and decide on: its
// district, or every district for a city supervisor.
func supervisorScope(caller auth.Identity) (response.Scope, error) {
	if caller.Role != auth.RoleSupervisor {
		return response.Scope{}, fmt.Errorf("%w: only a supervisor may do this, not role %q", response.ErrPermission, caller.Role)
	}
	return response.ReadScope(caller)
}

// inTx locks dispatch id inside a transaction, checks it is in scope and
// runs fn on it.
func (s *Service) inTx(ctx context.Context, id string, scope response.Scope, fn func(tx pgx.Tx, q *store.Queries, d response.Dispatch, now time.Time) error) error {
	return postgres.InTx(ctx, s.Pool, func(tx pgx.Tx) error {
		q := store.New(tx)
		row, err := q.LockDispatch(ctx, id)
		if errors.Is(err, pgx.ErrNoRows) {
			return response.ErrNotFound
		}
		if err != nil {
			return err
		}
		d, err := row.Domain()
		if err != nil {
			return err
		}
		if !scope.Allows(d) {
			return response.ErrNotFound
		}
		return fn(tx, q, d, s.Clock.Now())
	})
}

// Escalate is a supervisor raising dispatch id one step up the ladder by hand.
// While a breached clock is unmet the ladder then keeps climbing from there.
func (s *Service) Escalate(ctx context.Context, caller auth.Identity, id, reason string) (response.Dispatch, error) {
	scope, err := supervisorScope(caller)
	if err != nil {
		return response.Dispatch{}, err
	}
	actor := &typesv1.Actor{Role: caller.Role, Id: caller.Subject}
	var out response.Dispatch
	err = s.inTx(ctx, id, scope, func(tx pgx.Tx, q *store.Queries, d response.Dispatch, now time.Time) error {
		level, err := response.ManualEscalation(d, reason)
		if err != nil {
			return err
		}
		// The pending step is now this one; the next is counted from now.
		d = d.EscalateByHand(level, s.Ladder, now)
		if err := q.SetEscalation(ctx, store.SetEscalationParams{
			ID: d.ID, Level: int32(level), EscalateAt: d.EscalateAt, UpdatedAt: now,
		}); err != nil {
			return err
		}
		if err := q.Reschedule(ctx, d); err != nil {
			return err
		}
		store.WakeTimerPollers(tx) // the ladder's next step may come sooner
		out = d
		ev := events.SLAEscalated(events.Escalation{
			Dispatch: d, Clock: d.PressingClock(), Level: level, Manual: true, Reason: strings.TrimSpace(reason),
		}, now, actor)
		return s.Outbox.Add(ctx, tx, ev)
	})
	if err != nil {
		return response.Dispatch{}, fmt.Errorf("escalate dispatch %s: %w", id, err)
	}
	return out, nil
}

// RequestExtension is a desk asking for a later deadline of one clock.
func (s *Service) RequestExtension(ctx context.Context, caller auth.Identity, id string, req response.ExtensionRequest) (response.Dispatch, error) {
	scope, err := s.actScope(ctx, caller)
	if err != nil {
		return response.Dispatch{}, err
	}
	actor := &typesv1.Actor{Role: caller.Role, Id: caller.Subject}
	var out response.Dispatch
	err = s.inTx(ctx, id, scope, func(tx pgx.Tx, q *store.Queries, d response.Dispatch, now time.Time) error {
		c, err := response.CheckExtensionRequest(d, req, now)
		if err != nil {
			return err
		}
		row, err := q.CreateExtension(ctx, store.CreateExtensionParams{
			ID: uuid.Must(uuid.NewV7()).String(), DispatchID: d.ID, Clock: string(c), Until: req.Until.UTC(),
			PreviousDueAt: d.Deadline(c), Reason: strings.TrimSpace(req.Reason), RequestedBy: caller.Subject, RequestedAt: now,
		})
		if errors.Is(err, pgx.ErrNoRows) {
			return response.Reject(d.Status, "requestExtension", fmt.Sprintf("an extension of the %s deadline is already waiting for a decision", c))
		}
		if err != nil {
			return err
		}
		e, err := row.Domain()
		if err != nil {
			return err
		}
		if out, err = q.Extensions(ctx, d); err != nil {
			return err
		}
		return s.Outbox.Add(ctx, tx, events.ExtensionRequested(d, e, now, actor))
	})
	if err != nil {
		return response.Dispatch{}, fmt.Errorf("request extension of dispatch %s: %w", id, err)
	}
	return out, nil
}

// DecideExtension is a supervisor approving or rejecting an extension. An
// approval moves the deadline and its timers; the first deadline stays on record.
func (s *Service) DecideExtension(ctx context.Context, caller auth.Identity, id, extensionID string, approve bool, note string) (response.Dispatch, error) {
	scope, err := supervisorScope(caller)
	if err != nil {
		return response.Dispatch{}, err
	}
	if extensionID == "" {
		return response.Dispatch{}, response.InvalidError{{Field: "extension_id", Reason: "is required"}}
	}
	actor := &typesv1.Actor{Role: caller.Role, Id: caller.Subject}
	var out response.Dispatch
	err = s.inTx(ctx, id, scope, func(tx pgx.Tx, q *store.Queries, d response.Dispatch, now time.Time) error {
		row, err := q.LockExtension(ctx, store.LockExtensionParams{ID: extensionID, DispatchID: d.ID})
		if errors.Is(err, pgx.ErrNoRows) {
			return response.ErrExtensionNotFound
		}
		if err != nil {
			return err
		}
		e, err := row.Domain()
		if err != nil {
			return err
		}
		if err := response.CheckDecision(e, note); err != nil {
			return err
		}
		status := response.ExtensionRejected
		if approve {
			if !response.ClockRunning(d.Status, e.Clock) || slices.Contains(d.Breaches, string(e.Clock)) || !now.Before(d.Deadline(e.Clock)) {
				return response.Reject(d.Status, "decideExtension", fmt.Sprintf("the %s clock is no longer before its deadline; reject the extension instead", e.Clock))
			}
			status = response.ExtensionApproved
			if d, err = s.extend(ctx, tx, d, e, now); err != nil {
				return err
			}
		}
		decided, err := q.DecideExtension(ctx, store.DecideExtensionParams{
			ID: e.ID, Status: string(status), DecidedBy: caller.Subject, DecidedAt: &now, DecisionNote: strings.TrimSpace(note),
		})
		if err != nil {
			return err
		}
		if e, err = decided.Domain(); err != nil {
			return err
		}
		if out, err = q.Extensions(ctx, d); err != nil {
			return err
		}
		return s.Outbox.Add(ctx, tx, events.ExtensionDecided(d, e, now, actor))
	})
	if err != nil {
		return response.Dispatch{}, fmt.Errorf("decide extension %s of dispatch %s: %w", extensionID, id, err)
	}
	return out, nil
}

// extend moves the deadline of e's clock and its warning, and rewrites the
// dispatch's timer row.
func (s *Service) extend(ctx context.Context, tx pgx.Tx, d response.Dispatch, e response.Extension, now time.Time) (response.Dispatch, error) {
	q := store.New(tx)
	next := response.Extend(d, e.Clock, e.Until, now)
	row, err := q.MoveDeadline(ctx, store.MoveDeadlineParams{
		ID: d.ID, AckBy: next.AckBy, ArriveBy: next.ArriveBy, ResolveBy: next.ResolveBy,
		AckWarnAt: next.AckWarnAt, ArriveWarnAt: next.ArriveWarnAt, ResolveWarnAt: next.ResolveWarnAt,
		OriginalAckBy: next.OriginalAckBy, OriginalArriveBy: next.OriginalArriveBy, OriginalResolveBy: next.OriginalResolveBy,
		Warnings: next.Warnings, UpdatedAt: now,
	})
	if err != nil {
		return d, err
	}
	moved, err := row.Domain()
	if err != nil {
		return d, err
	}
	if err := q.Reschedule(ctx, moved); err != nil {
		return d, err
	}
	// The new warning may come before the step the pollers sleep towards.
	store.WakeTimerPollers(tx)
	return moved, nil
}
