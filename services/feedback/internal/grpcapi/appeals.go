package grpcapi

import (
	"context"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/bus/outbox"
	"github.com/chuishao/whistle/platform/postgres"
	"github.com/chuishao/whistle/platform/rpcerr"
	"github.com/chuishao/whistle/proto/events"
	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"
	feedbackv1 "github.com/chuishao/whistle/proto/gen/whistle/feedback/v1"
	typesv1 "github.com/chuishao/whistle/proto/gen/whistle/types/v1"

	"github.com/chuishao/whistle/services/feedback/internal/feedback"
	"github.com/chuishao/whistle/services/feedback/internal/store"
)

// FileAppeal records a desk's appeal against one breached clock of its
// dispatch. Filing the same clock again returns the appeal already open.
func (s *Server) FileAppeal(ctx context.Context, req *feedbackv1.FileAppealRequest) (*feedbackv1.Appeal, error) {
	id, ok := auth.FromContext(ctx)
	if !ok {
		return nil, status.Error(codes.Unauthenticated, "missing identity")
	}
	if id.Role != auth.RoleDesk {
		return nil, s.toStatus(ctx, feedback.ErrWrongRole)
	}
	var v rpcerr.Violations
	if req.GetDispatchId() == "" {
		v.Add("dispatch_id", "is required")
	}
	if !feedback.ValidClock(req.GetClock()) {
		v.Add("clock", "must be ack, arrive or resolve")
	}
	if !feedback.ValidReasonCode(req.GetReasonCode()) {
		v.Add("reason_code", "must be force_majeure, wrong_routing or other")
	}
	reason := feedback.TrimText(req.GetReason())
	switch {
	case reason == "":
		v.Add("reason", "is required")
	case utf8.RuneCountInString(reason) > feedback.MaxReasonLen:
		v.Add("reason", "must be at most 2000 characters")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	var out store.Appeal
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{}, func(tx pgx.Tx) error {
		q := store.New(tx)
		d, err := q.GetDispatchFact(ctx, req.GetDispatchId())
		if errors.Is(err, pgx.ErrNoRows) {
			return feedback.ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("dispatch %s: %w", req.GetDispatchId(), err)
		}
		if err := feedback.CanAppeal(id, d.Department, d.DistrictID); err != nil {
			return err
		}
		if levelOf(d, req.GetClock()) == 0 {
			return fmt.Errorf("appeal %s clock of dispatch %s: it did not breach: %w", req.GetClock(), d.DispatchID, feedback.ErrConflict)
		}
		existing, err := q.GetLiveAppeal(ctx, store.GetLiveAppealParams{DispatchID: d.DispatchID, Clock: req.GetClock()})
		if err == nil {
			out = existing
			return nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("appeals of dispatch %s: %w", d.DispatchID, err)
		}
		appealID := uuid.Must(uuid.NewV7()).String()
		now := s.clock.Now()
		err = q.InsertAppeal(ctx, store.InsertAppealParams{
			ID: appealID, DispatchID: d.DispatchID, WhistleID: d.WhistleID, DistrictID: d.DistrictID,
			Department: d.Department, Clock: req.GetClock(), ReasonCode: req.GetReasonCode(), Reason: reason,
			FiledByRole: id.Role, FiledByID: id.Subject, FiledAt: tstz(now),
		})
		if err != nil {
			return fmt.Errorf("file appeal on dispatch %s: %w", d.DispatchID, err)
		}
		out, err = q.GetAppealForUpdate(ctx, appealID)
		if err != nil {
			return fmt.Errorf("read appeal %s: %w", appealID, err)
		}
		ev := s.appealEvent(id, out)
		ev.Payload = &eventsv1.Event_FeedbackAppealFiled{FeedbackAppealFiled: &eventsv1.AppealFiled{Appeal: appealProto(out)}}
		if err := outbox.Add(ctx, tx, ev); err != nil {
			return fmt.Errorf("file appeal %s: %w", appealID, err)
		}
		return nil
	})
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	return appealProto(out), nil
}

// DecideAppeal accepts or rejects a pending appeal. An accepted appeal
// excuses its clock in the scores; the breach stays in the report as excused.
// Deciding the same way twice returns the appeal; the other way is a conflict.
func (s *Server) DecideAppeal(ctx context.Context, req *feedbackv1.DecideAppealRequest) (*feedbackv1.Appeal, error) {
	id, ok := auth.FromContext(ctx)
	if !ok {
		return nil, status.Error(codes.Unauthenticated, "missing identity")
	}
	if id.Role != auth.RoleSupervisor {
		return nil, s.toStatus(ctx, feedback.ErrWrongRole)
	}
	if req.GetId() == "" {
		return nil, rpcerr.Invalid("id", "is required")
	}
	note := feedback.TrimText(req.GetNote())
	if utf8.RuneCountInString(note) > feedback.MaxReasonLen {
		return nil, rpcerr.Invalid("note", "must be at most 2000 characters")
	}
	var out store.Appeal
	err := postgres.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		q := store.New(tx)
		a, err := q.GetAppealForUpdate(ctx, req.GetId())
		if errors.Is(err, pgx.ErrNoRows) {
			return feedback.ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("appeal %s: %w", req.GetId(), err)
		}
		if err := feedback.CanDecideAppeal(id, a.DistrictID); err != nil {
			return err
		}
		want := feedback.Decision(req.GetAccept())
		if a.Status != feedback.AppealPending {
			if a.Status == want {
				out = a
				return nil
			}
			return fmt.Errorf("decide appeal %s: already %s: %w", a.ID, a.Status, feedback.ErrConflict)
		}
		out, err = q.DecideAppeal(ctx, store.DecideAppealParams{
			ID: a.ID, Status: want, DecidedByRole: id.Role, DecidedByID: id.Subject,
			DecidedAt: tstz(s.clock.Now()), DecisionNote: note,
		})
		if err != nil {
			return fmt.Errorf("decide appeal %s: %w", a.ID, err)
		}
		if want == feedback.AppealAccepted {
			if err := q.ExcuseClock(ctx, store.ExcuseClockParams{Clock: a.Clock, DispatchID: a.DispatchID}); err != nil {
				return fmt.Errorf("decide appeal %s: excuse: %w", a.ID, err)
			}
		}
		ev := s.appealEvent(id, out)
		ev.Payload = &eventsv1.Event_FeedbackAppealDecided{FeedbackAppealDecided: &eventsv1.AppealDecided{Appeal: appealProto(out)}}
		if err := outbox.Add(ctx, tx, ev); err != nil {
			return fmt.Errorf("decide appeal %s: %w", a.ID, err)
		}
		return nil
	})
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	return appealProto(out), nil
}

// ListAppeals lists the appeals in the caller's scope, newest first.
func (s *Server) ListAppeals(ctx context.Context, req *feedbackv1.ListAppealsRequest) (*feedbackv1.ListAppealsResponse, error) {
	id, ok := auth.FromContext(ctx)
	if !ok {
		return nil, status.Error(codes.Unauthenticated, "missing identity")
	}
	district, department, err := feedback.AppealFilter(id)
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	st := ""
	if req.GetStatus() != feedbackv1.Appeal_STATUS_UNSPECIFIED {
		st = req.GetStatus().String()
	}
	rows, err := store.New(s.pool).ListAppeals(ctx, store.ListAppealsParams{DistrictID: district, Department: department, Status: st})
	if err != nil {
		return nil, s.toStatus(ctx, fmt.Errorf("list appeals: %w", err))
	}
	resp := &feedbackv1.ListAppealsResponse{Appeals: make([]*feedbackv1.Appeal, 0, len(rows))}
	for _, a := range rows {
		resp.Appeals = append(resp.Appeals, appealProto(a))
	}
	return resp, nil
}

// appealEvent is the envelope of an appeal's event, on its whistle's
// timeline (so the appeal stays visible there) and its district's subject.
func (s *Server) appealEvent(id auth.Identity, a store.Appeal) *eventsv1.Event {
	ev := events.New(s.clock.Now(), &typesv1.Actor{Role: id.Role, Id: id.Subject})
	ev.WhistleId = a.WhistleID
	ev.DistrictId = a.DistrictID
	ev.DispatchId = a.DispatchID
	ev.Department = a.Department
	return ev
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

func appealProto(a store.Appeal) *feedbackv1.Appeal {
	p := &feedbackv1.Appeal{
		Id: a.ID, DispatchId: a.DispatchID, WhistleId: a.WhistleID, DistrictId: a.DistrictID,
		Department: a.Department, Clock: a.Clock, ReasonCode: a.ReasonCode, Reason: a.Reason,
		Status:       feedbackv1.Appeal_Status(feedbackv1.Appeal_Status_value[a.Status]),
		FiledBy:      &typesv1.Actor{Role: a.FiledByRole, Id: a.FiledByID},
		FiledAt:      timestamppb.New(a.FiledAt.Time),
		DecisionNote: a.DecisionNote,
	}
	if a.DecidedAt.Valid {
		p.DecidedBy = &typesv1.Actor{Role: a.DecidedByRole, Id: a.DecidedByID}
		p.DecidedAt = timestamppb.New(a.DecidedAt.Time)
	}
	return p
}
