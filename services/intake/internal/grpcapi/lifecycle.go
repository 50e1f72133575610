package grpcapi

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/bus/outbox"
	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"
	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
	typesv1 "github.com/chuishao/whistle/proto/gen/whistle/types/v1"

	"github.com/chuishao/whistle/services/intake/internal/events"
	"github.com/chuishao/whistle/services/intake/internal/intake"
	"github.com/chuishao/whistle/services/intake/internal/store"
)

// change applies one of the street's actions to w at now. It returns the
// event to emit, or nil when the action had already taken effect.
type change func(w *store.Whistle, now time.Time, actor *typesv1.Actor) (*eventsv1.Event, error)

// CancelWhistle withdraws a whistle that is not resolved yet.
func (s *Server) CancelWhistle(ctx context.Context, req *intakev1.CancelWhistleRequest) (*intakev1.Whistle, error) {
	w, err := s.cancel(ctx, req)
	return answer(ctx, s, w, err)
}

func (s *Server) cancel(ctx context.Context, req *intakev1.CancelWhistleRequest) (*intakev1.Whistle, error) {
	if err := intake.ValidateReason(req.GetReason(), false); err != nil {
		return nil, err
	}
	return s.act(ctx, "cancel", req.GetId(), func(w *store.Whistle, now time.Time, actor *typesv1.Actor) (*eventsv1.Event, error) {
		next, changed, err := intake.Cancel(intake.Status(w.Status))
		if err != nil || !changed {
			return nil, err
		}
		w.Status = string(next)
		return events.Cancelled(now, actor, *w, req.GetReason()), nil
	})
}

// SubmitFeedback rates a resolved whistle and closes it.
func (s *Server) SubmitFeedback(ctx context.Context, req *intakev1.SubmitFeedbackRequest) (*intakev1.Whistle, error) {
	w, err := s.feedback(ctx, req)
	return answer(ctx, s, w, err)
}

func (s *Server) feedback(ctx context.Context, req *intakev1.SubmitFeedbackRequest) (*intakev1.Whistle, error) {
	if err := intake.ValidateFeedback(req.GetSatisfaction(), req.GetComment()); err != nil {
		return nil, err
	}
	return s.act(ctx, "give feedback on", req.GetId(), closeWith(req.GetSatisfaction(), req.GetComment()))
}

// closeWith is the 回访 answer that closes a resolved whistle with a rating.
func closeWith(satisfaction int32, comment string) change {
	return func(w *store.Whistle, now time.Time, actor *typesv1.Actor) (*eventsv1.Event, error) {
		next, changed, err := intake.Close(intake.Status(w.Status))
		if err != nil || !changed {
			return nil, err
		}
		w.Status = string(next)
		w.ClosedAt = pgtype.Timestamptz{Time: now, Valid: true}
		w.Satisfaction = satisfaction
		w.FeedbackComment = comment
		return events.Closed(now, actor, *w), nil
	}
}

// ReopenWhistle sends a resolved or closed whistle back: "not fixed".
func (s *Server) ReopenWhistle(ctx context.Context, req *intakev1.ReopenWhistleRequest) (*intakev1.Whistle, error) {
	w, err := s.reopen(ctx, req)
	return answer(ctx, s, w, err)
}

func (s *Server) reopen(ctx context.Context, req *intakev1.ReopenWhistleRequest) (*intakev1.Whistle, error) {
	if err := intake.ValidateReason(req.GetReason(), true); err != nil {
		return nil, err
	}
	return s.act(ctx, "reopen", req.GetId(), reopenWith(req.GetReason()))
}

// reopenWith is "not fixed": a resolved or closed whistle is reopened.
func reopenWith(reason string) change {
	return func(w *store.Whistle, now time.Time, actor *typesv1.Actor) (*eventsv1.Event, error) {
		next, changed, err := intake.Reopen(intake.Status(w.Status))
		if err != nil || !changed {
			return nil, err
		}
		w.Status = string(next)
		// The whistle is open again: its resolution and closing are history,
		// kept in the timeline; the last rating stays until a new one is given.
		w.ResolvedAt = pgtype.Timestamptz{}
		w.ClosedAt = pgtype.Timestamptz{}
		w.ReopenedAt = pgtype.Timestamptz{Time: now, Valid: true}
		return events.Reopened(now, actor, *w, reason), nil
	}
}

// act runs one of the street's actions on its own whistle: the new state and
// its event commit together, and an action that already took effect changes
// nothing and answers the whistle as it is.
func (s *Server) act(ctx context.Context, verb, whistleID string, apply change) (*intakev1.Whistle, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if id.Role != auth.RoleStreet {
		return nil, fmt.Errorf("only the street that raised it may %s a whistle: %w", verb, intake.ErrPermissionDenied)
	}
	return s.actAs(ctx, verb, whistleID, actorOf(id), func(w store.Whistle) bool { return w.StreetID == id.StreetID }, apply)
}

// actAs runs apply on a whistle for actor, who may act on it when inScope
// says so: the street's own actions, and a resident's through a follow-up
// token (the token is the scope).
func (s *Server) actAs(ctx context.Context, verb, whistleID string, actor *typesv1.Actor, inScope func(store.Whistle) bool, apply change) (*intakev1.Whistle, error) {
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
		now := s.now()
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
	// A resident acting through a token has no identity: links are left out.
	viewer, _ := auth.FromContext(ctx)
	return s.withDispatches(ctx, viewer, saved)
}
