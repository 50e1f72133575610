// Package whistles is what callers read of one whistle, each within the
// access rules of feedback.CanRead: its timeline (continued by the whistles
// it was merged into), its 向上级报告 and its ETA; and the audit of the
// timelines' hash chains.
package whistles

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/clock"
	"github.com/chuishao/whistle/platform/drill"

	"github.com/chuishao/whistle/services/feedback/internal/feedback"
	"github.com/chuishao/whistle/services/feedback/internal/refnames"
	"github.com/chuishao/whistle/services/feedback/internal/store"
	"github.com/chuishao/whistle/services/feedback/internal/timeline"
)

// Service reads whistles on behalf of a verified caller.
type Service struct {
	Pool  *pgxpool.Pool
	Log   *slog.Logger
	Clock clock.Clock
	// Keys verify the timelines' hash chains.
	Keys timeline.Keys
	// Names names the street and category of an upward report.
	Names refnames.Lookup
}

// Timeline is a whistle's entries that caller sees, in time order: its own,
// then those of the whistles it was merged into that caller may read (each
// entry names its whistle). A broken hash chain is served as stored and
// logged for the operators.
func (s *Service) Timeline(ctx context.Context, caller auth.Identity, whistleID string) ([]timeline.Entry, error) {
	chains, err := s.sharedChains(ctx, caller, whistleID)
	if err != nil {
		return nil, err
	}
	for _, chain := range chains {
		if b, broken := s.Keys.VerifyChain(chain); broken {
			s.Log.ErrorContext(ctx, "timeline hash chain broken", "whistle_id", chain[0].WhistleID, "first_broken_seq", b.Seq, "reason", b.Reason)
		}
	}
	// Each chain verifies on its own (whistle_id, seq, prev_hash); joined, the
	// entries are in time order.
	var out []timeline.Entry
	for _, e := range timeline.Join(chains...) {
		if feedback.MaySeeEntry(caller, e.Type) {
			out = append(out, e)
		}
	}
	return out, nil
}

// sharedChains are the hash chains caller reads for a whistle: its own
// first, then those of the whistles it was merged into that caller may read.
func (s *Service) sharedChains(ctx context.Context, caller auth.Identity, whistleID string) ([][]timeline.Entry, error) {
	if !feedback.MayReadTimelines(caller.Role) {
		return nil, feedback.ErrWrongRole
	}
	if whistleID == "" {
		return nil, feedback.Invalid("whistle_id", "is required")
	}
	var own []timeline.Entry
	// Access and entries in one snapshot, so the scope checked is the scope
	// of the entries returned.
	err := pgx.BeginTxFunc(ctx, s.Pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		var err error
		own, err = readableEntries(ctx, store.New(tx), caller, whistleID)
		return err
	})
	if err != nil {
		return nil, err
	}
	merged, err := s.mergedChains(ctx, caller, whistleID, own)
	if err != nil {
		return nil, err
	}
	return append([][]timeline.Entry{own}, merged...), nil
}

// readableEntries is a whistle's hash chain if caller may read it:
// ErrNotFound for an unknown whistle or one outside caller's scope.
func readableEntries(ctx context.Context, q *store.Queries, caller auth.Identity, whistleID string) ([]timeline.Entry, error) {
	scope, err := q.GetWhistleScope(ctx, whistleID)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, feedback.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("scope of whistle %s: %w", whistleID, err)
	}
	w := feedback.Whistle{StreetID: scope.StreetID, DistrictID: scope.DistrictID, Drill: drill.Is(whistleID)}
	if caller.Role == auth.RoleDesk {
		desks, err := q.ListDispatchDepartments(ctx, whistleID)
		if err != nil {
			return nil, fmt.Errorf("departments of whistle %s: %w", whistleID, err)
		}
		for _, d := range desks {
			w.Desks = append(w.Desks, feedback.DeskScope{Department: d.Department, DistrictID: d.DistrictID})
		}
	}
	all, err := listEntries(ctx, q, whistleID)
	if err != nil {
		return nil, err
	}
	if caller.Role == auth.RoleStreet {
		// A neighbouring street informed by the map check reads it too.
		w.Neighbours = timeline.Neighbours(all)
	}
	if err := feedback.CanRead(caller, w); err != nil {
		return nil, err
	}
	return all, nil
}

// listEntries reads one whistle's hash chain in seq order.
func listEntries(ctx context.Context, q *store.Queries, whistleID string) ([]timeline.Entry, error) {
	rows, err := q.ListTimeline(ctx, whistleID)
	if err != nil {
		return nil, fmt.Errorf("timeline of whistle %s: %w", whistleID, err)
	}
	entries := make([]timeline.Entry, 0, len(rows))
	for _, r := range rows {
		entries = append(entries, timeline.Entry{
			WhistleID:  whistleID,
			Seq:        r.Seq,
			Type:       r.Type,
			At:         r.At.Time,
			Actor:      timeline.Actor{Role: r.ActorRole, ID: r.ActorID},
			DispatchID: r.DispatchID,
			Department: r.Department,
			EventID:    r.EventID,
			Data:       r.Data,
			PrevHash:   r.PrevHash,
			Hash:       r.Hash,
			KeyID:      r.KeyID,
		})
	}
	return entries, nil
}

// maxMergeHops bounds how far a merged whistle's timeline follows merges (a
// whistle merged into one that was merged in turn).
const maxMergeHops = 4

// mergedChains are the hash chains of the whistles that whistleID was merged
// into, in merge order: the merge shares the timeline with whoever may read
// both whistles. A link is followed only to a whistle the caller may read on
// its own; the chain stops at the first one it may not.
func (s *Service) mergedChains(ctx context.Context, caller auth.Identity, whistleID string, own []timeline.Entry) ([][]timeline.Entry, error) {
	var chains [][]timeline.Entry
	seen := map[string]bool{whistleID: true}
	err := pgx.BeginTxFunc(ctx, s.Pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		q := store.New(tx)
		from, entries := whistleID, own
		for range maxMergeHops {
			into := timeline.MergedInto(from, entries)
			if into == "" || seen[into] {
				return nil
			}
			seen[into] = true
			next, err := readableEntries(ctx, q, caller, into)
			if errors.Is(err, feedback.ErrNotFound) {
				return nil // out of the caller's scope: left out
			}
			if err != nil {
				return err
			}
			chains = append(chains, next)
			from, entries = into, next
		}
		return nil
	})
	return chains, err
}
