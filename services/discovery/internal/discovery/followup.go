package discovery

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
	"github.com/chuishao/whistle/platform/invalid"
	"github.com/chuishao/whistle/platform/whistlestatus"
	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"
	typesv1 "github.com/chuishao/whistle/proto/gen/whistle/types/v1"

	"github.com/chuishao/whistle/services/discovery/internal/events"
	"github.com/chuishao/whistle/services/discovery/internal/reports"
	"github.com/chuishao/whistle/services/discovery/internal/store"
	"github.com/chuishao/whistle/services/discovery/internal/whistle"
)

// IssueFollowUpToken gives the whistle's street a token for a resident (回访).
func (s *Service) IssueFollowUpToken(ctx context.Context, id auth.Identity, whistleID string) (string, error) {
	if id.Role != auth.RoleStreet {
		return "", fmt.Errorf("only the whistle's street issues follow-up tokens: %w", whistle.ErrPermissionDenied)
	}
	w, err := s.Whistles.Get(ctx, id, whistleID)
	if err != nil {
		return "", err
	}
	if w.GetStreetId() != id.StreetID {
		return "", whistle.ErrNotFound
	}
	token, hash := reports.NewToken()
	err = pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
		q := store.New(tx)
		if err := remember(ctx, q, w); err != nil {
			return err
		}
		if err := q.InsertFollowUpToken(ctx, store.InsertFollowUpTokenParams{TokenHash: hash, WhistleID: w.GetId(), IssuedAt: s.Now()}); err != nil {
			return fmt.Errorf("follow-up token of whistle %s: %w", w.GetId(), err)
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	return token, nil
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
		st := whistlestatus.Status(fu.whistle.Status)
		if (st == whistlestatus.Resolved || st == whistlestatus.Closed) && fu.whistle.ResolvedAt.Valid {
			c.ResultAt = fu.whistle.ResolvedAt.Time
		}
	}
	return c
}

func (s *Service) loadFollowUp(ctx context.Context, token string) (followUp, error) {
	var fu followUp
	if strings.TrimSpace(token) == "" {
		return fu, invalid.Field("token", "is required")
	}
	q := store.New(s.Pool)
	t, err := q.GetFollowUpToken(ctx, reports.HashToken(token))
	if errors.Is(err, pgx.ErrNoRows) {
		return fu, whistle.ErrNotFound
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
	if c := fu.check(); c.Expired(s.Now(), s.followUpTTL()) {
		return fu, fmt.Errorf("%w: it worked until %s", reports.ErrTokenExpired,
			c.ResultAt.Add(s.followUpTTL()).In(Beijing).Format("2006-01-02 15:04")+" Beijing time")
	}
	return fu, nil
}

// FollowUp is the reporter's view of what a token follows (a "report" or a
// "whistle"): status and result, nothing personal.
type FollowUp struct {
	Kind, ReportID, Category, Status, Result, WhistleStatus string
	ReceivedAt                                              time.Time
	ClosedAt                                                time.Time // zero while open
	CanRate                                                 bool
	Satisfaction                                            int32
	Fixed                                                   bool
}

// GetFollowUp is the reporter's view through its token.
func (s *Service) GetFollowUp(ctx context.Context, token string) (FollowUp, error) {
	fu, err := s.loadFollowUp(ctx, token)
	if err != nil {
		return FollowUp{}, err
	}
	return s.followUpView(ctx, fu)
}

func (s *Service) followUpView(ctx context.Context, fu followUp) (FollowUp, error) {
	out := FollowUp{Satisfaction: fu.token.Satisfaction, Fixed: fu.token.Fixed}
	if fu.whistle != nil {
		out.WhistleStatus = fu.whistle.Status
	}
	if r := fu.report; r != nil {
		out.Kind, out.ReportID, out.Category, out.Status, out.Result = "report", r.ID, r.Category, r.Status, r.Result
		out.ReceivedAt = r.ReceivedAt
		if r.ClosedAt.Valid {
			out.ClosedAt = r.ClosedAt.Time
		}
		out.CanRate = r.Status == string(reports.StatusClosed) && !fu.check().Rated()
		return out, nil
	}
	w := fu.whistle
	out.Kind, out.Category, out.Status = "whistle", w.Category, w.Status
	out.ReceivedAt = w.RaisedAt
	if w.ResolvedAt.Valid {
		out.ClosedAt = w.ResolvedAt.Time
	}
	st := whistlestatus.Status(w.Status)
	out.CanRate = (st == whistlestatus.Resolved || st == whistlestatus.Closed) && !fu.check().Rated()
	if st == whistlestatus.Resolved || st == whistlestatus.Closed {
		result, err := events.ResultOf(ctx, store.New(s.Pool), w.ID)
		if err != nil {
			return FollowUp{}, err
		}
		out.Result = result
	}
	return out, nil
}

// Rating is a reporter's answer through its token; Fixed is nil when the
// request did not say.
type Rating struct {
	Token        string
	Satisfaction int32
	Fixed        *bool
	Comment      string
}

// RateFollowUp records the reporter's rating. "Not fixed" reopens: the
// linked whistle through the whistle side's reopen (round 2 for the same
// departments), a locally handled report back into the street's inbox. A
// "fixed" rating of a resolved whistle closes it with that rating, like the
// street's 回访 — whichever answer comes first closes it.
func (s *Service) RateFollowUp(ctx context.Context, in Rating) (FollowUp, error) {
	var f invalid.Violations
	f.Merge(whistle.ValidateFeedback(in.Satisfaction, in.Comment))
	if in.Fixed == nil {
		f.Add("fixed", "is required: true (fixed) or false (not fixed)")
	}
	if err := f.Err(); err != nil {
		return FollowUp{}, err
	}
	fu, err := s.loadFollowUp(ctx, in.Token)
	if err != nil {
		return FollowUp{}, err
	}
	view, err := s.followUpView(ctx, fu)
	if err != nil {
		return FollowUp{}, err
	}
	if fu.check().Rated() {
		return FollowUp{}, reports.ErrAlreadyRated
	}
	if !view.CanRate {
		return FollowUp{}, &whistlestatus.StateError{Status: whistlestatus.Status(view.Status), Reason: "the result can be rated once it is closed"}
	}
	fixed := *in.Fixed
	actor := &typesv1.Actor{Role: "resident", Id: "follow-up-" + fu.token.TokenHash[:8]}
	if fu.report != nil {
		actor.Id = fu.report.ReportedByID
		actor.Role = strings.ToLower(fu.report.Source)
	}
	if err := s.rate(ctx, fu, in, actor); err != nil {
		return FollowUp{}, err
	}
	if w := fu.whistle; w != nil {
		switch {
		case !fixed:
			reason := "举报人回访：未解决 (not fixed)"
			if c := strings.TrimSpace(in.Comment); c != "" {
				reason += "：" + c
			}
			err = s.Whistles.Reopen(ctx, w.ID, actor, truncate(reason, whistle.MaxReason))
		case whistlestatus.Status(w.Status) == whistlestatus.Resolved:
			err = s.Whistles.Close(ctx, w.ID, actor, in.Satisfaction, in.Comment)
		}
		if err != nil {
			return FollowUp{}, fmt.Errorf("follow-up of whistle %s: %w", w.ID, err)
		}
	}
	return s.GetFollowUp(ctx, in.Token)
}

// rate stores the rating on the token (and on the report it follows, which
// "not fixed" sends back to the inbox when the street handled it itself)
// with its events, in one transaction.
func (s *Service) rate(ctx context.Context, fu followUp, in Rating, actor *typesv1.Actor) error {
	fixed := *in.Fixed
	now := s.Now()
	at := pgtype.Timestamptz{Time: now, Valid: true}
	return pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
		q := store.New(tx)
		locked, err := q.LockFollowUpToken(ctx, fu.token.TokenHash)
		if err != nil {
			return fmt.Errorf("lock follow-up token: %w", err)
		}
		if fresh := (followUp{token: locked, report: fu.report, whistle: fu.whistle}); fresh.check().Rated() {
			return reports.ErrAlreadyRated // a concurrent rating of the same token won
		}
		if err := q.RateFollowUpToken(ctx, store.RateFollowUpTokenParams{TokenHash: fu.token.TokenHash,
			Satisfaction: in.Satisfaction, Fixed: fixed, Comment: in.Comment, RatedAt: at}); err != nil {
			return fmt.Errorf("rate: %w", err)
		}
		rated := &eventsv1.ReportRated{Satisfaction: in.Satisfaction, Fixed: fixed, Comment: in.Comment}
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
			rep.Satisfaction, rep.Fixed, rep.RatedAt = in.Satisfaction, fixed, at
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
}
