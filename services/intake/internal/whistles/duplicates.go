package whistles

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/bus/outbox"
	"github.com/chuishao/whistle/platform/drill"
	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"
	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
	typesv1 "github.com/chuishao/whistle/proto/gen/whistle/types/v1"

	"github.com/chuishao/whistle/services/intake/internal/events"
	"github.com/chuishao/whistle/services/intake/internal/intake"
	"github.com/chuishao/whistle/services/intake/internal/store"
)

// link is a new whistle's link to an open whistle it may duplicate.
type link struct {
	whistle     store.Whistle
	candidateOf string
	distanceM   float64
}

// duplicateEvent is whistle.duplicate_candidate of a new whistle's links (all
// of one whistle, at least one), by actor.
func duplicateEvent(actor *typesv1.Actor, links []link) *eventsv1.Event {
	c := &eventsv1.WhistleDuplicateCandidate{CandidateOf: links[0].candidateOf, DistanceM: links[0].distanceM}
	for _, l := range links {
		c.Candidates = append(c.Candidates, &eventsv1.DuplicateLink{CandidateOf: l.candidateOf, DistanceM: l.distanceM})
	}
	w := links[0].whistle
	return events.Duplicate(w.RaisedAt, actor, w, c)
}

// findDuplicates finds, in one statement, the open whistles each of the new
// whistles raised (in arrival order) may duplicate: those of its street and
// category raised nearby recently, including the group's whistles raised
// before it, as raising them one by one would. Only the raising street's own
// whistles are candidates, wherever the point lies: the street may read and
// merge into them, and nothing of another street is shown to it. The links of
// raised[j] are found[j], in the search's order (oldest first).
func (s *Service) findDuplicates(ctx context.Context, q *store.Queries, raised []store.Whistle) ([][]link, error) {
	radius, window := s.DuplicateRadiusM, s.DuplicateWindow
	if radius <= 0 {
		radius = intake.DefaultDuplicateRadiusM
	}
	if window <= 0 {
		window = intake.DefaultDuplicateWindow
	}
	var p store.NearbyOpenWhistlesParams
	for j, w := range raised {
		p.Ids = append(p.Ids, w.ID)
		minLat, maxLat, minLng, maxLng := intake.Box(w.Lat, w.Lng, radius)
		for _, c := range intake.Cells(minLat, maxLat, minLng, maxLng) {
			p.Whistles = append(p.Whistles, int32(j+1))
			p.Cells = append(p.Cells, c)
			p.StreetIds = append(p.StreetIds, w.StreetID)
			p.Categories = append(p.Categories, w.Category)
			p.Since = append(p.Since, w.RaisedAt.Add(-window))
			p.MinLats, p.MaxLats = append(p.MinLats, minLat), append(p.MaxLats, maxLat)
			p.MinLngs, p.MaxLngs = append(p.MinLngs, minLng), append(p.MaxLngs, maxLng)
		}
	}
	rows, err := q.NearbyOpenWhistles(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("find duplicates of %d whistles: %w", len(raised), err)
	}
	found := make([][]link, len(raised))
	for _, r := range rows {
		j := int(r.Whistle) - 1
		w := raised[j]
		if drill.Of(w.ID) != drill.Of(r.ID) {
			continue // a drill whistle and a real one are never each other's duplicates
		}
		d := intake.DistanceM(w.Lat, w.Lng, r.Lat, r.Lng)
		if d > radius {
			continue
		}
		found[j] = append(found[j], link{whistle: w, candidateOf: r.ID, distanceM: d})
	}
	return found, nil
}

// insertLinks saves links in one statement (none when there are none).
func insertLinks(ctx context.Context, q *store.Queries, links []link) error {
	if len(links) == 0 {
		return nil
	}
	var p store.InsertDuplicateCandidatesParams
	for _, l := range links {
		p.WhistleIds = append(p.WhistleIds, l.whistle.ID)
		p.CandidateOfs = append(p.CandidateOfs, l.candidateOf)
		p.Distances = append(p.Distances, l.distanceM)
		p.FoundAts = append(p.FoundAts, l.whistle.RaisedAt)
	}
	if err := q.InsertDuplicateCandidates(ctx, p); err != nil {
		return fmt.Errorf("link %d duplicate candidates: %w", len(links), err)
	}
	return nil
}

// candidates are a new whistle's links as its answer shows them, in the
// order DuplicateCandidates reads them back.
func candidates(links []link) []*intakev1.DuplicateCandidate {
	var out []*intakev1.DuplicateCandidate
	for _, l := range links {
		out = append(out, &intakev1.DuplicateCandidate{WhistleId: l.candidateOf, DistanceM: l.distanceM, State: candidateState})
	}
	slices.SortStableFunc(out, func(a, b *intakev1.DuplicateCandidate) int {
		return cmp.Or(cmp.Compare(a.DistanceM, b.DistanceM), strings.Compare(a.WhistleId, b.WhistleId))
	})
	return out
}

// candidateState is a new duplicate link's state (the column's default).
const candidateState = "candidate"

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
		return nil, intake.Invalid("into_whistle_id", "is required")
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
			return &intake.StateError{Status: intake.Status(w.Status), Reason: "the whistle was merged into " + w.MergedInto + " already"}
		}
		if !merge {
			if err := q.SetCandidateStates(ctx, store.SetCandidateStatesParams{WhistleID: w.ID}); err != nil {
				return fmt.Errorf("keep whistle %s: %w", w.ID, err)
			}
			for _, c := range candidates {
				if c.State == intake.CandidateOpen {
					ev := events.Kept(s.Now(), ActorOf(id), w, c.CandidateOf)
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
			return intake.Invalid("into_whistle_id", "is not a duplicate candidate of this whistle")
		}
		now := s.Now()
		next, _, err := intake.Cancel(intake.Status(w.Status))
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
			if err := outbox.Add(ctx, tx, events.Merged(now, ActorOf(id), on, merged)); err != nil {
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
		return outbox.Add(ctx, tx, events.Cancelled(now, ActorOf(id), w, "merged into "+into))
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
