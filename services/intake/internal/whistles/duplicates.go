package whistles

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/bus/outbox"
	"github.com/chuishao/whistle/platform/invalid"
	"github.com/chuishao/whistle/platform/whistlestatus"
	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"
	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
	typesv1 "github.com/chuishao/whistle/proto/gen/whistle/types/v1"

	"github.com/chuishao/whistle/services/intake/internal/events"
	"github.com/chuishao/whistle/services/intake/internal/intake"
	"github.com/chuishao/whistle/services/intake/internal/store"
)

// Merge merges the caller's duplicate whistle into the open whistle it
// duplicates: the duplicate is withdrawn (its dispatches are cancelled) and
// points at the surviving whistle, and both timelines record the merge.
func (s *Service) Merge(ctx context.Context, caller auth.Identity, whistleID, into string) (*intakev1.Whistle, error) {
	return s.resolveDuplicate(ctx, caller, whistleID, into, true)
}

// Keep keeps the caller's whistle on its own despite its candidates.
func (s *Service) Keep(ctx context.Context, caller auth.Identity, whistleID string) (*intakev1.Whistle, error) {
	return s.resolveDuplicate(ctx, caller, whistleID, "", false)
}

func (s *Service) resolveDuplicate(ctx context.Context, id auth.Identity, whistleID, into string, merge bool) (*intakev1.Whistle, error) {
	if id.Role != auth.RoleStreet {
		return nil, fmt.Errorf("only the raising street merges or keeps its whistle: %w", intake.ErrPermissionDenied)
	}
	if merge && into == "" {
		return nil, invalid.Field("into_whistle_id", "is required")
	}
	var saved store.Whistle
	err := pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
		q := store.New(tx)
		w, err := q.LockWhistle(ctx, whistleID)
		if errors.Is(err, pgx.ErrNoRows) || (err == nil && w.StreetID != id.StreetID) {
			return intake.ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("lock whistle %s: %w", whistleID, err)
		}
		saved = w
		var target store.Whistle
		if merge {
			// The target is checked as a write to it would be: an unknown
			// whistle and another street's answer alike, so ids cannot be probed.
			target, err = q.GetWhistle(ctx, into)
			if errors.Is(err, pgx.ErrNoRows) || (err == nil && target.StreetID != id.StreetID) {
				return intake.ErrNotFound
			}
			if err != nil {
				return fmt.Errorf("merge whistle %s into %s: %w", w.ID, into, err)
			}
		}
		candidates, err := q.DuplicateCandidates(ctx, w.ID)
		if err != nil {
			return fmt.Errorf("duplicate candidates of whistle %s: %w", w.ID, err)
		}
		if w.MergedInto != "" {
			if merge && w.MergedInto == into {
				return nil // merged already: the same answer again
			}
			return &whistlestatus.StateError{Status: whistlestatus.Status(w.Status), Reason: "the whistle was merged into " + w.MergedInto + " already"}
		}
		if !merge {
			if err := q.SetCandidateStates(ctx, store.SetCandidateStatesParams{WhistleID: w.ID}); err != nil {
				return fmt.Errorf("keep whistle %s: %w", w.ID, err)
			}
			for _, c := range candidates {
				if c.State == intake.CandidateOpen {
					ev := keptEvent(s.Now(), ActorOf(id), w, c.CandidateOf)
					if err := outbox.Add(ctx, tx, ev); err != nil {
						return err
					}
				}
			}
			return nil
		}
		found := false
		for _, c := range candidates {
			found = found || c.CandidateOf == into
		}
		if !found {
			return invalid.Field("into_whistle_id", "is not a duplicate candidate of this whistle")
		}
		now := s.Now()
		next, _, err := intake.Cancel(whistlestatus.Status(w.Status))
		if err != nil {
			return err
		}
		if err := q.SetCandidateStates(ctx, store.SetCandidateStatesParams{WhistleID: w.ID, MergedInto: into}); err != nil {
			return fmt.Errorf("merge whistle %s: %w", w.ID, err)
		}
		if err := q.SetMergedInto(ctx, store.SetMergedIntoParams{ID: w.ID, MergedInto: into, UpdatedAt: now}); err != nil {
			return fmt.Errorf("merge whistle %s: %w", w.ID, err)
		}
		merged := &eventsv1.WhistleMerged{IntoWhistleId: into, MergedWhistleId: w.ID}
		for _, on := range []store.Whistle{w, target} {
			if err := outbox.Add(ctx, tx, mergedEvent(now, ActorOf(id), on, merged)); err != nil {
				return err
			}
		}
		w.Status = string(next)
		w.UpdatedAt = now
		w.MergedInto = into
		if _, err := q.UpdateWhistle(ctx, w.UpdateParams()); err != nil {
			return fmt.Errorf("merge whistle %s: %w", w.ID, err)
		}
		saved = w
		return outbox.Add(ctx, tx, cancelledEvent(now, ActorOf(id), w, "merged into "+into))
	})
	if err != nil {
		return nil, fmt.Errorf("resolve duplicates of whistle %s: %w", whistleID, err)
	}
	fresh, err := store.New(s.Pool).GetWhistle(ctx, saved.ID)
	if err != nil {
		return nil, fmt.Errorf("read whistle %s: %w", saved.ID, err)
	}
	return s.withDispatches(ctx, id, fresh)
}

// mergedEvent is whistle.merged, on the timeline of w (either of the two whistles).
func mergedEvent(at time.Time, actor *typesv1.Actor, w store.Whistle, m *eventsv1.WhistleMerged) *eventsv1.Event {
	ev := events.WhistleEnvelope(at, actor, w)
	ev.Payload = &eventsv1.Event_WhistleMerged{WhistleMerged: m}
	return ev
}

// keptEvent is whistle.duplicate_kept: the street keeps w despite a candidate.
func keptEvent(at time.Time, actor *typesv1.Actor, w store.Whistle, candidateOf string) *eventsv1.Event {
	ev := events.WhistleEnvelope(at, actor, w)
	ev.Payload = &eventsv1.Event_WhistleDuplicateKept{WhistleDuplicateKept: &eventsv1.WhistleDuplicateKept{CandidateOf: candidateOf}}
	return ev
}
