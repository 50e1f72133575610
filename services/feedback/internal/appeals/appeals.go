// Package appeals is what desks and supervisors do with appeals against
// breached SLA clocks: a desk files one against its own dispatch, a
// supervisor of the district decides it, and both list those in their
// scope. Filing and deciding are each one transaction with their event in
// the outbox; an accepted appeal excuses its clock in the scores.
package appeals

import (
	"context"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/bus/outbox"
	"github.com/chuishao/whistle/platform/clock"
	"github.com/chuishao/whistle/platform/postgres"

	"github.com/chuishao/whistle/services/feedback/internal/events"
	"github.com/chuishao/whistle/services/feedback/internal/feedback"
	"github.com/chuishao/whistle/services/feedback/internal/store"
)

// Service files, decides and lists appeals on behalf of a verified caller.
type Service struct {
	Pool  *pgxpool.Pool
	Clock clock.Clock
}

// Filing is what a desk's appeal says.
type Filing struct {
	DispatchID, Clock, ReasonCode, Reason string
}

// File records a desk's appeal against one breached clock of its dispatch.
// Filing the same clock again returns the appeal already open.
func (s *Service) File(ctx context.Context, caller auth.Identity, f Filing) (feedback.Appeal, error) {
	if caller.Role != auth.RoleDesk {
		return feedback.Appeal{}, feedback.ErrWrongRole
	}
	var v feedback.Violations
	if f.DispatchID == "" {
		v.Add("dispatch_id", "is required")
	}
	if !feedback.ValidClock(f.Clock) {
		v.Add("clock", "must be ack, arrive or resolve")
	}
	if !feedback.ValidReasonCode(f.ReasonCode) {
		v.Add("reason_code", "must be force_majeure, wrong_routing or other")
	}
	reason := feedback.TrimText(f.Reason)
	switch {
	case reason == "":
		v.Add("reason", "is required")
	case utf8.RuneCountInString(reason) > feedback.MaxReasonLen:
		v.Add("reason", "must be at most 2000 characters")
	}
	if err := v.Err(); err != nil {
		return feedback.Appeal{}, err
	}
	var out feedback.Appeal
	err := pgx.BeginTxFunc(ctx, s.Pool, pgx.TxOptions{}, func(tx pgx.Tx) error {
		q := store.New(tx)
		d, err := q.GetDispatchFact(ctx, f.DispatchID)
		if errors.Is(err, pgx.ErrNoRows) {
			return feedback.ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("dispatch %s: %w", f.DispatchID, err)
		}
		if err := feedback.CanAppeal(caller, d.Department, d.DistrictID); err != nil {
			return err
		}
		if levelOf(d, f.Clock) == 0 {
			return fmt.Errorf("appeal %s clock of dispatch %s: it did not breach: %w", f.Clock, d.DispatchID, feedback.ErrConflict)
		}
		existing, err := q.GetLiveAppeal(ctx, store.GetLiveAppealParams{DispatchID: d.DispatchID, Clock: f.Clock})
		if err == nil {
			out = appealOf(existing)
			return nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("appeals of dispatch %s: %w", d.DispatchID, err)
		}
		appealID := uuid.Must(uuid.NewV7()).String()
		err = q.InsertAppeal(ctx, store.InsertAppealParams{
			ID: appealID, DispatchID: d.DispatchID, WhistleID: d.WhistleID, DistrictID: d.DistrictID,
			Department: d.Department, Clock: f.Clock, ReasonCode: f.ReasonCode, Reason: reason,
			FiledByRole: caller.Role, FiledByID: caller.Subject, FiledAt: tstz(s.Clock.Now()),
		})
		if err != nil {
			return fmt.Errorf("file appeal on dispatch %s: %w", d.DispatchID, err)
		}
		row, err := q.GetAppealForUpdate(ctx, appealID)
		if err != nil {
			return fmt.Errorf("read appeal %s: %w", appealID, err)
		}
		out = appealOf(row)
		if err := outbox.Add(ctx, tx, events.AppealFiled(s.Clock.Now(), actorOf(caller), out)); err != nil {
			return fmt.Errorf("file appeal %s: %w", appealID, err)
		}
		return nil
	})
	return out, err
}

// Decide accepts or rejects a pending appeal. An accepted appeal excuses
// its clock in the scores; the breach stays in the report as excused.
// Deciding the same way twice returns the appeal; the other way is a
// conflict.
func (s *Service) Decide(ctx context.Context, caller auth.Identity, appealID string, accept bool, note string) (feedback.Appeal, error) {
	if caller.Role != auth.RoleSupervisor {
		return feedback.Appeal{}, feedback.ErrWrongRole
	}
	if appealID == "" {
		return feedback.Appeal{}, feedback.Invalid("id", "is required")
	}
	note = feedback.TrimText(note)
	if utf8.RuneCountInString(note) > feedback.MaxReasonLen {
		return feedback.Appeal{}, feedback.Invalid("note", "must be at most 2000 characters")
	}
	var out feedback.Appeal
	err := postgres.InTx(ctx, s.Pool, func(tx pgx.Tx) error {
		q := store.New(tx)
		a, err := q.GetAppealForUpdate(ctx, appealID)
		if errors.Is(err, pgx.ErrNoRows) {
			return feedback.ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("appeal %s: %w", appealID, err)
		}
		if err := feedback.CanDecideAppeal(caller, a.DistrictID); err != nil {
			return err
		}
		want := feedback.Decision(accept)
		if a.Status != feedback.AppealPending {
			if a.Status == want {
				out = appealOf(a)
				return nil
			}
			return fmt.Errorf("decide appeal %s: already %s: %w", a.ID, a.Status, feedback.ErrConflict)
		}
		decided, err := q.DecideAppeal(ctx, store.DecideAppealParams{
			ID: a.ID, Status: want, DecidedByRole: caller.Role, DecidedByID: caller.Subject,
			DecidedAt: tstz(s.Clock.Now()), DecisionNote: note,
		})
		if err != nil {
			return fmt.Errorf("decide appeal %s: %w", a.ID, err)
		}
		out = appealOf(decided)
		if want == feedback.AppealAccepted {
			if err := q.ExcuseClock(ctx, store.ExcuseClockParams{Clock: a.Clock, DispatchID: a.DispatchID}); err != nil {
				return fmt.Errorf("decide appeal %s: excuse: %w", a.ID, err)
			}
		}
		if err := outbox.Add(ctx, tx, events.AppealDecided(s.Clock.Now(), actorOf(caller), out)); err != nil {
			return fmt.Errorf("decide appeal %s: %w", a.ID, err)
		}
		return nil
	})
	return out, err
}

// List lists the appeals in the caller's scope with status ("" for any),
// newest first.
func (s *Service) List(ctx context.Context, caller auth.Identity, status string) ([]feedback.Appeal, error) {
	district, department, err := feedback.AppealFilter(caller)
	if err != nil {
		return nil, err
	}
	rows, err := store.New(s.Pool).ListAppeals(ctx, store.ListAppealsParams{DistrictID: district, Department: department, Status: status})
	if err != nil {
		return nil, fmt.Errorf("list appeals: %w", err)
	}
	out := make([]feedback.Appeal, 0, len(rows))
	for _, a := range rows {
		out = append(out, appealOf(a))
	}
	return out, nil
}

func levelOf(d store.GetDispatchFactRow, clock string) int16 {
	switch clock {
	case "ack":
		return d.AckLevel
	case "arrive":
		return d.ArriveLevel
	case "resolve":
		return d.ResolveLevel
	}
	return 0
}

func appealOf(a store.Appeal) feedback.Appeal {
	out := feedback.Appeal{
		ID: a.ID, DispatchID: a.DispatchID, WhistleID: a.WhistleID, DistrictID: a.DistrictID,
		Department: a.Department, Clock: a.Clock, ReasonCode: a.ReasonCode, Reason: a.Reason, Status: a.Status,
		FiledBy: feedback.Actor{Role: a.FiledByRole, ID: a.FiledByID}, FiledAt: a.FiledAt.Time,
		DecisionNote: a.DecisionNote,
	}
	if a.DecidedAt.Valid {
		out.DecidedBy, out.DecidedAt = feedback.Actor{Role: a.DecidedByRole, ID: a.DecidedByID}, a.DecidedAt.Time
	}
	return out
}

func actorOf(id auth.Identity) feedback.Actor { return feedback.Actor{Role: id.Role, ID: id.Subject} }

func tstz(t time.Time) pgtype.Timestamptz { return pgtype.Timestamptz{Time: t, Valid: true} }
