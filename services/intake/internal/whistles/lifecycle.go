package whistles

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/bus/outbox"
	"github.com/chuishao/whistle/platform/whistlestatus"
	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"
	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
	typesv1 "github.com/chuishao/whistle/proto/gen/whistle/types/v1"

	"github.com/chuishao/whistle/services/intake/internal/events"
	"github.com/chuishao/whistle/services/intake/internal/intake"
	"github.com/chuishao/whistle/services/intake/internal/store"
)

// Change applies an action to w at now. It returns the event to emit, or nil
// when the action had already taken effect.
type Change func(w *store.Whistle, now time.Time, actor *typesv1.Actor) (*eventsv1.Event, error)

// Cancel withdraws the caller's whistle that is not resolved yet.
func (s *Service) Cancel(ctx context.Context, caller auth.Identity, whistleID, reason string) (*intakev1.Whistle, error) {
	if err := intake.ValidateReason(reason, false); err != nil {
		return nil, err
	}
	return s.act(ctx, caller, "cancel", whistleID, func(w *store.Whistle, now time.Time, actor *typesv1.Actor) (*eventsv1.Event, error) {
		next, changed, err := intake.Cancel(whistlestatus.Status(w.Status))
		if err != nil || !changed {
			return nil, err
		}
		w.Status = string(next)
		return cancelledEvent(now, actor, *w, reason), nil
	})
}

// Close is the caller's 回访 answer: it rates its resolved whistle and closes it.
func (s *Service) Close(ctx context.Context, caller auth.Identity, whistleID string, satisfaction int32, comment string) (*intakev1.Whistle, error) {
	if err := intake.ValidateFeedback(satisfaction, comment); err != nil {
		return nil, err
	}
	return s.answer(ctx, caller, "give feedback on", whistleID, CloseWith(satisfaction, comment))
}

// CloseWith is the 回访 answer that closes a resolved whistle with a rating.
func CloseWith(satisfaction int32, comment string) Change {
	return func(w *store.Whistle, now time.Time, actor *typesv1.Actor) (*eventsv1.Event, error) {
		next, changed, err := intake.Close(whistlestatus.Status(w.Status))
		if err != nil || !changed {
			return nil, err
		}
		w.Status = string(next)
		w.ClosedAt = pgtype.Timestamptz{Time: now, Valid: true}
		w.Satisfaction = satisfaction
		w.FeedbackComment = comment
		return closedEvent(now, actor, *w), nil
	}
}

// Reopen sends the caller's resolved or closed whistle back: "not fixed".
func (s *Service) Reopen(ctx context.Context, caller auth.Identity, whistleID, reason string) (*intakev1.Whistle, error) {
	if err := intake.ValidateReason(reason, true); err != nil {
		return nil, err
	}
	return s.answer(ctx, caller, "reopen", whistleID, ReopenWith(reason))
}

// ReopenWith is "not fixed": a resolved or closed whistle is reopened.
func ReopenWith(reason string) Change {
	return func(w *store.Whistle, now time.Time, actor *typesv1.Actor) (*eventsv1.Event, error) {
		next, changed, err := intake.Reopen(whistlestatus.Status(w.Status))
		if err != nil || !changed {
			return nil, err
		}
		w.Status = string(next)
		// The whistle is open again: its resolution and closing are history,
		// kept in the timeline; the last rating stays until a new one is given.
		w.ResolvedAt = pgtype.Timestamptz{}
		w.ClosedAt = pgtype.Timestamptz{}
		w.ReopenedAt = pgtype.Timestamptz{Time: now, Valid: true}
		return reopenedEvent(now, actor, *w, reason), nil
	}
}

// act runs one of the street's actions on its own whistle: the new state and
// its event commit together, and an action that already took effect changes
// nothing and answers the whistle as it is.
func (s *Service) act(ctx context.Context, id auth.Identity, verb, whistleID string, apply Change) (*intakev1.Whistle, error) {
	if id.Role != auth.RoleStreet {
		return nil, fmt.Errorf("only the street that raised it may %s a whistle: %w", verb, intake.ErrPermissionDenied)
	}
	return s.ActAs(ctx, id, verb, whistleID, ActorOf(id), func(w store.Whistle) bool { return w.StreetID == id.StreetID }, apply)
}

// ActAs runs apply on a whistle for actor, who may act on it when inScope
// says so: the street's own actions, and a resident's through a follow-up
// token (the token is the scope). The answer is the whistle as viewer sees it
// (a resident acting through a token has no identity: links are left out).
func (s *Service) ActAs(ctx context.Context, viewer auth.Identity, verb, whistleID string, actor *typesv1.Actor, inScope func(store.Whistle) bool, apply Change) (*intakev1.Whistle, error) {
	var saved store.Whistle
	err := pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
		q := store.New(tx)
		w, err := q.LockWhistle(ctx, whistleID)
		if errors.Is(err, pgx.ErrNoRows) {
			return intake.ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("lock whistle %s: %w", whistleID, err)
		}
		if !inScope(w) {
			return intake.ErrNotFound
		}
		now := s.Now()
		ev, err := apply(&w, now, actor)
		if err != nil || ev == nil {
			saved = w
			return err
		}
		w.UpdatedAt = now
		if saved, err = q.UpdateWhistle(ctx, w.UpdateParams()); err != nil {
			return fmt.Errorf("%s whistle %s: %w", verb, w.ID, err)
		}
		if err := outbox.Add(ctx, tx, ev); err != nil {
			return fmt.Errorf("%s whistle %s: %w", verb, w.ID, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.withDispatches(ctx, viewer, saved)
}

// cancelledEvent is whistle.cancelled.
func cancelledEvent(at time.Time, actor *typesv1.Actor, w store.Whistle, reason string) *eventsv1.Event {
	ev := events.WhistleEnvelope(at, actor, w)
	ev.Payload = &eventsv1.Event_WhistleCancelled{WhistleCancelled: &eventsv1.WhistleCancelled{Reason: reason}}
	return ev
}

// closedEvent is whistle.closed, with the street's feedback.
func closedEvent(at time.Time, actor *typesv1.Actor, w store.Whistle) *eventsv1.Event {
	ev := events.WhistleEnvelope(at, actor, w)
	ev.Payload = &eventsv1.Event_WhistleClosed{WhistleClosed: &eventsv1.WhistleClosed{
		Satisfaction: w.Satisfaction, Comment: w.FeedbackComment,
	}}
	return ev
}

// reopenedEvent is whistle.reopened.
func reopenedEvent(at time.Time, actor *typesv1.Actor, w store.Whistle, reason string) *eventsv1.Event {
	ev := events.WhistleEnvelope(at, actor, w)
	ev.Payload = &eventsv1.Event_WhistleReopened{WhistleReopened: &eventsv1.WhistleReopened{Reason: reason}}
	return ev
}

// answer is the street's 回访 answer on its own whistle (act), or a
// resident's answer to a follow-up code, for whom the service that holds the
// codes acts: the code, checked there, is the scope, and the whistle is
// answered without links, as to no one in particular.
func (s *Service) answer(ctx context.Context, id auth.Identity, verb, whistleID string, apply Change) (*intakev1.Whistle, error) {
	if id.Role != auth.RoleResident {
		return s.act(ctx, id, verb, whistleID, apply)
	}
	return s.ActAs(ctx, auth.Identity{}, verb, whistleID, residentActor(id), func(store.Whistle) bool { return true }, apply)
}

// residentActor is who answered a follow-up: a resident token's subject is
// role:id (a resident, or the grid worker or hotline whose report the code
// follows).
func residentActor(id auth.Identity) *typesv1.Actor {
	role, subject, ok := strings.Cut(id.Subject, ":")
	if !ok {
		return &typesv1.Actor{Role: auth.RoleResident, Id: id.Subject}
	}
	return &typesv1.Actor{Role: role, Id: subject}
}
