package grpcapi

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/bus/outbox"
	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"
	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
	typesv1 "github.com/chuishao/whistle/proto/gen/whistle/types/v1"

	"github.com/chuishao/whistle/services/intake/internal/events"
	"github.com/chuishao/whistle/services/intake/internal/intake"
	"github.com/chuishao/whistle/services/intake/internal/reports"
	"github.com/chuishao/whistle/services/intake/internal/store"
)

// IssueFollowUpToken gives the whistle's street a token for a resident (回访).
func (s *ReportServer) IssueFollowUpToken(ctx context.Context, req *intakev1.IssueFollowUpTokenRequest) (*intakev1.FollowUpToken, error) {
	out, err := s.issueToken(ctx, req.GetWhistleId())
	return answer(ctx, s.Whistles, out, err)
}

func (s *ReportServer) issueToken(ctx context.Context, whistleID string) (*intakev1.FollowUpToken, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if id.Role != auth.RoleStreet {
		return nil, fmt.Errorf("only the whistle's street issues follow-up tokens: %w", intake.ErrPermissionDenied)
	}
	q := store.New(s.Whistles.Pool)
	w, err := q.GetWhistle(ctx, whistleID)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && w.StreetID != id.StreetID) {
		return nil, intake.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("get whistle %s: %w", whistleID, err)
	}
	token, hash := reports.NewToken()
	if err := q.InsertFollowUpToken(ctx, store.InsertFollowUpTokenParams{TokenHash: hash, WhistleID: w.ID, IssuedAt: s.Whistles.now()}); err != nil {
		return nil, fmt.Errorf("follow-up token of whistle %s: %w", w.ID, err)
	}
	return &intakev1.FollowUpToken{Token: token}, nil
}

// followUp is a token with what it follows.
type followUp struct {
	token   store.FollowUpToken
	report  *store.Report
	whistle *store.Whistle
}

// check is when the followed report or whistle got its current result, and
// when this token last rated one.
func (fu followUp) check() reports.TokenCheck {
	var c reports.TokenCheck
	if fu.token.RatedAt.Valid {
		c.RatedAt = fu.token.RatedAt.Time
	}
	switch {
	case fu.report != nil:
		if fu.report.Status == string(reports.StatusClosed) && fu.report.ClosedAt.Valid {
			c.ResultAt = fu.report.ClosedAt.Time
		}
	case fu.whistle != nil:
		st := intake.Status(fu.whistle.Status)
		if (st == intake.StatusResolved || st == intake.StatusClosed) && fu.whistle.ResolvedAt.Valid {
			c.ResultAt = fu.whistle.ResolvedAt.Time
		}
	}
	return c
}

func (s *ReportServer) followUpTTL() time.Duration {
	if s.FollowUpTTL > 0 {
		return s.FollowUpTTL
	}
	return reports.DefaultFollowUpTTL
}

func (s *ReportServer) loadFollowUp(ctx context.Context, token string) (followUp, error) {
	var fu followUp
	if strings.TrimSpace(token) == "" {
		return fu, intake.Invalid("token", "is required")
	}
	q := store.New(s.Whistles.Pool)
	t, err := q.GetFollowUpToken(ctx, reports.HashToken(token))
	if errors.Is(err, pgx.ErrNoRows) {
		return fu, intake.ErrNotFound
	}
	if err != nil {
		return fu, fmt.Errorf("follow-up token: %w", err)
	}
	fu.token = t
	whistleID := t.WhistleID
	if t.ReportID != "" {
		r, err := q.GetReport(ctx, t.ReportID)
		if err != nil {
			return fu, fmt.Errorf("report of follow-up token: %w", err)
		}
		fu.report = &r
		whistleID = r.WhistleID
	}
	if whistleID != "" {
		w, err := q.GetWhistle(ctx, whistleID)
		if err != nil {
			return fu, fmt.Errorf("whistle of follow-up token: %w", err)
		}
		fu.whistle = &w
	}
	if c := fu.check(); c.Expired(s.Whistles.now(), s.followUpTTL()) {
		return fu, fmt.Errorf("%w: it worked until %s", reports.ErrTokenExpired,
			c.ResultAt.Add(s.followUpTTL()).In(beijing).Format("2006-01-02 15:04")+" Beijing time")
	}
	return fu, nil
}

// GetFollowUp is the reporter's view: status and result, nothing personal.
func (s *ReportServer) GetFollowUp(ctx context.Context, req *intakev1.GetFollowUpRequest) (*intakev1.FollowUp, error) {
	out, err := s.getFollowUp(ctx, req.GetToken())
	return answer(ctx, s.Whistles, out, err)
}

func (s *ReportServer) getFollowUp(ctx context.Context, token string) (*intakev1.FollowUp, error) {
	fu, err := s.loadFollowUp(ctx, token)
	if err != nil {
		return nil, err
	}
	return s.followUpView(ctx, fu)
}

func (s *ReportServer) followUpView(ctx context.Context, fu followUp) (*intakev1.FollowUp, error) {
	out := &intakev1.FollowUp{Satisfaction: fu.token.Satisfaction, Fixed: fu.token.Fixed}
	if fu.whistle != nil {
		out.WhistleStatus = fu.whistle.Status
	}
	if r := fu.report; r != nil {
		out.Kind, out.ReportId, out.Category, out.Status, out.Result = "report", r.ID, r.Category, r.Status, r.Result
		out.ReceivedAt = timestamppb.New(r.ReceivedAt)
		if r.ClosedAt.Valid {
			out.ClosedAt = timestamppb.New(r.ClosedAt.Time)
		}
		out.CanRate = r.Status == string(reports.StatusClosed) && !fu.check().Rated()
		return out, nil
	}
	w := fu.whistle
	out.Kind, out.Category, out.Status = "whistle", w.Category, w.Status
	out.ReceivedAt = timestamppb.New(w.RaisedAt)
	if w.ResolvedAt.Valid {
		out.ClosedAt = timestamppb.New(w.ResolvedAt.Time)
	}
	st := intake.Status(w.Status)
	out.CanRate = (st == intake.StatusResolved || st == intake.StatusClosed) && !fu.check().Rated()
	if st == intake.StatusResolved || st == intake.StatusClosed {
		result, err := events.ResultOf(ctx, store.New(s.Whistles.Pool), w.ID)
		if err != nil {
			return nil, err
		}
		out.Result = result
	}
	return out, nil
}

// RateFollowUp records the reporter's rating. "Not fixed" reopens: the
// linked whistle through the street's own reopen (round 2 for the same
// departments), a locally handled report back into the street's inbox. A
// "fixed" rating of a resolved whistle closes it with that rating, like the
// street's 回访 — whichever answer comes first closes it.
func (s *ReportServer) RateFollowUp(ctx context.Context, req *intakev1.RateFollowUpRequest) (*intakev1.FollowUp, error) {
	out, err := s.rate(ctx, req)
	return answer(ctx, s.Whistles, out, err)
}

func (s *ReportServer) rate(ctx context.Context, req *intakev1.RateFollowUpRequest) (*intakev1.FollowUp, error) {
	var f intake.Fields
	f.Merge(intake.ValidateFeedback(req.GetSatisfaction(), req.GetComment()))
	if req.Fixed == nil {
		f.Add("fixed", "is required: true (fixed) or false (not fixed)")
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	fu, err := s.loadFollowUp(ctx, req.GetToken())
	if err != nil {
		return nil, err
	}
	view, err := s.followUpView(ctx, fu)
	if err != nil {
		return nil, err
	}
	if fu.check().Rated() {
		return nil, reports.ErrAlreadyRated
	}
	if !view.GetCanRate() {
		return nil, &intake.StateError{Status: intake.Status(view.GetStatus()), Reason: "the result can be rated once it is closed"}
	}
	fixed := req.GetFixed()
	actor := &typesv1.Actor{Role: "resident", Id: "follow-up-" + fu.token.TokenHash[:8]}
	if fu.report != nil {
		actor.Id = fu.report.ReportedByID
		actor.Role = strings.ToLower(fu.report.Source)
	}
	now := s.Whistles.now()
	at := pgtype.Timestamptz{Time: now, Valid: true}
	err = pgx.BeginFunc(ctx, s.Whistles.Pool, func(tx pgx.Tx) error {
		q := store.New(tx)
		locked, err := q.LockFollowUpToken(ctx, fu.token.TokenHash)
		if err != nil {
			return fmt.Errorf("lock follow-up token: %w", err)
		}
		if fresh := (followUp{token: locked, report: fu.report, whistle: fu.whistle}); fresh.check().Rated() {
			return reports.ErrAlreadyRated // a concurrent rating of the same token won
		}
		if err := q.RateFollowUpToken(ctx, store.RateFollowUpTokenParams{TokenHash: fu.token.TokenHash,
			Satisfaction: req.GetSatisfaction(), Fixed: fixed, Comment: req.GetComment(), RatedAt: at}); err != nil {
			return fmt.Errorf("rate: %w", err)
		}
		rated := &eventsv1.ReportRated{Satisfaction: req.GetSatisfaction(), Fixed: fixed, Comment: req.GetComment()}
		whistleID, district, street := "", "", ""
		if fu.whistle != nil {
			whistleID, district, street = fu.whistle.ID, fu.whistle.DistrictID, fu.whistle.StreetID
		}
		if r := fu.report; r != nil {
			rated.ReportId = r.ID
			district, street = r.DistrictID, r.StreetID
			locked, err := q.LockReports(ctx, []string{r.ID})
			if err != nil || len(locked) != 1 {
				return fmt.Errorf("lock report %s: %w", r.ID, err)
			}
			rep := locked[0]
			rep.Satisfaction, rep.Fixed, rep.RatedAt = req.GetSatisfaction(), fixed, at
			if !fixed && rep.WhistleID == "" {
				// Handled locally but not fixed: back into the street's inbox.
				rep.Status, rep.Triage, rep.Result = string(reports.StatusReceived), "", ""
				rep.TriagedAt, rep.ClosedAt = pgtype.Timestamptz{}, pgtype.Timestamptz{}
			}
			updated, err := q.UpdateReport(ctx, rep.UpdateParams())
			if err != nil {
				return fmt.Errorf("rate report %s: %w", r.ID, err)
			}
			if updated.Status == string(reports.StatusReceived) {
				if err := q.RestartTriage(ctx, store.RestartTriageParams{ID: r.ID, TriageFrom: now, TriageBy: now.Add(s.triageLimit())}); err != nil {
					return fmt.Errorf("reopen report %s: %w", r.ID, err)
				}
				updated.TriageFrom, updated.TriageBy = now, now.Add(s.triageLimit())
				if err := outbox.Add(ctx, tx, events.ReportReopened(now, actor, s.proto(updated))); err != nil {
					return err
				}
			}
		}
		return outbox.Add(ctx, tx, events.ReportRated(now, actor, whistleID, district, street, rated))
	})
	if err != nil {
		return nil, err
	}
	if fu.whistle != nil {
		w := fu.whistle
		inScope := func(store.Whistle) bool { return true } // the token is the scope
		switch {
		case !fixed:
			reason := "举报人回访：未解决 (not fixed)"
			if c := strings.TrimSpace(req.GetComment()); c != "" {
				reason += "：" + c
			}
			_, err = s.Whistles.actAs(ctx, "reopen", w.ID, actor, inScope, reopenWith(truncate(reason, intake.MaxReason)))
		case intake.Status(w.Status) == intake.StatusResolved:
			_, err = s.Whistles.actAs(ctx, "give feedback on", w.ID, actor, inScope, closeWith(req.GetSatisfaction(), req.GetComment()))
		}
		if err != nil {
			return nil, fmt.Errorf("follow-up of whistle %s: %w", w.ID, err)
		}
	}
	return s.getFollowUp(ctx, req.GetToken())
}
