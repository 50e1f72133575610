package grpcapi

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/bus/outbox"
	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"
	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"

	"github.com/chuishao/whistle/services/intake/internal/events"
	"github.com/chuishao/whistle/services/intake/internal/intake"
	"github.com/chuishao/whistle/services/intake/internal/reports"
	"github.com/chuishao/whistle/services/intake/internal/store"
)

// RecordTicketFollowUp records the follow-up call's outcome on a closed
// ticket: the ticket's street, or a supervisor of its district (or the
// city). The outcome goes back to the hotline with the result; a "not fixed"
// does not reopen anything here, since the hotline decides whether to send
// the ticket again.
func (s *ReportServer) RecordTicketFollowUp(ctx context.Context, req *intakev1.RecordTicketFollowUpRequest) (*intakev1.Report, error) {
	return handle(ctx, s.Whistles, req, s.recordTicketFollowUp)
}

func (s *ReportServer) recordTicketFollowUp(ctx context.Context, id auth.Identity, req *intakev1.RecordTicketFollowUpRequest) (*intakev1.Report, error) {
	if id.Role != auth.RoleStreet && id.Role != auth.RoleSupervisor {
		return nil, fmt.Errorf("role %s records no follow-up calls: %w", id.Role, intake.ErrPermissionDenied)
	}
	var f intake.Fields
	f.Merge(intake.ValidateFeedback(req.GetSatisfaction(), req.GetComment()))
	if req.Fixed == nil {
		f.Add("fixed", "is required: true (fixed) or false (not fixed)")
	}
	if strings.TrimSpace(req.GetExternalNumber()) == "" {
		f.Add("external_number", "is required")
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	// Only the caller's scope is searched: a ticket elsewhere answers as unknown.
	p := store.FindTicketParams{ExternalSource: ticketSource(req.GetSource()), ExternalNumber: strings.TrimSpace(req.GetExternalNumber())}
	switch {
	case id.Role == auth.RoleStreet:
		if req.GetStreetId() != "" && req.GetStreetId() != id.StreetID {
			return nil, intake.ErrNotFound
		}
		p.StreetID = pgtype.Text{String: id.StreetID, Valid: true}
	case req.GetStreetId() != "":
		p.StreetID = pgtype.Text{String: req.GetStreetId(), Valid: true}
	}
	if id.Role == auth.RoleSupervisor && id.DistrictID != "" {
		p.DistrictID = pgtype.Text{String: id.DistrictID, Valid: true}
	}
	var saved store.Report
	err := pgx.BeginFunc(ctx, s.Whistles.Pool, func(tx pgx.Tx) error {
		q := store.New(tx)
		found, err := q.FindTicket(ctx, p)
		if errors.Is(err, pgx.ErrNoRows) || (err == nil && !reportVisible(id, found)) {
			return intake.ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("find ticket %s: %w", p.ExternalNumber, err)
		}
		locked, err := q.LockReports(ctx, []string{found.ID})
		if err != nil || len(locked) != 1 {
			return fmt.Errorf("lock ticket %s: %w", found.ID, err)
		}
		if locked[0].Status != string(reports.StatusClosed) {
			return &intake.StateError{Status: intake.Status("report " + locked[0].Status), Reason: "a ticket is followed up once it is closed"}
		}
		now := s.Whistles.now()
		saved, err = q.RecordTicketFollowUp(ctx, store.RecordTicketFollowUpParams{ID: found.ID, Satisfaction: req.GetSatisfaction(),
			Fixed: req.GetFixed(), Comment: req.GetComment(), RatedAt: pgtype.Timestamptz{Time: now, Valid: true}})
		if err != nil {
			return fmt.Errorf("record follow-up of ticket %s: %w", found.ID, err)
		}
		actor := actorOf(id)
		rated := &eventsv1.ReportRated{ReportId: saved.ID, Satisfaction: saved.Satisfaction, Fixed: saved.Fixed, Comment: saved.FollowUpComment}
		if err := outbox.Add(ctx, tx, events.ReportRated(now, actor, saved.WhistleID, saved.DistrictID, saved.StreetID, rated)); err != nil {
			return err
		}
		return events.AddTicketReturned(ctx, tx, now, actor, saved)
	})
	if err != nil {
		return nil, err
	}
	return s.proto(saved), nil
}

// Return listing bounds.
const (
	defaultReturnsPage = 1000
	maxReturnsPage     = 5000
	// defaultReturnsPeriod is the period listed when from is not given.
	defaultReturnsPeriod = 30 * 24 * time.Hour
	returnsTokenPrefix   = "r1:"
)

// ListTicketReturns lists a district's tickets closed or followed up in a
// period, in the hotline's return format's fields. Supervisors only: a
// district supervisor its own district (another district is NotFound), the
// city supervisor any.
func (s *ReportServer) ListTicketReturns(ctx context.Context, req *intakev1.ListTicketReturnsRequest) (*intakev1.ListTicketReturnsResponse, error) {
	return handle(ctx, s.Whistles, req, s.listTicketReturns)
}

func (s *ReportServer) listTicketReturns(ctx context.Context, id auth.Identity, req *intakev1.ListTicketReturnsRequest) (*intakev1.ListTicketReturnsResponse, error) {
	if id.Role != auth.RoleSupervisor {
		return nil, fmt.Errorf("role %s exports no ticket returns: %w", id.Role, intake.ErrPermissionDenied)
	}
	var f intake.Fields
	district := req.GetDistrictId()
	if district == "" {
		f.Add("district_id", "is required")
	}
	size := req.GetPageSize()
	switch {
	case size == 0:
		size = defaultReturnsPage
	case size < 1 || size > maxReturnsPage:
		f.Add("page_size", fmt.Sprintf("must be between 1 and %d", maxReturnsPage))
	}
	after := ""
	if tok := req.GetPageToken(); tok != "" {
		raw, err := base64.RawURLEncoding.DecodeString(tok)
		var ok bool
		if after, ok = strings.CutPrefix(string(raw), returnsTokenPrefix); err != nil || !ok || after == "" {
			f.Add("page_token", "is not a token this API returned")
		}
	}
	// Without to, everything up to now counts, now included (times are kept
	// to the microsecond).
	to := s.Whistles.now().Add(time.Microsecond)
	if req.GetTo() != nil {
		to = req.GetTo().AsTime()
	}
	from := to.Add(-defaultReturnsPeriod)
	if req.GetFrom() != nil {
		from = req.GetFrom().AsTime()
	}
	if !from.Before(to) {
		f.Add("from", "must be before to")
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	if id.DistrictID != "" && district != id.DistrictID {
		return nil, intake.ErrNotFound // another district answers like an unknown one
	}
	rows, err := store.New(s.Whistles.Pool).TicketReturns(ctx, store.TicketReturnsParams{DistrictID: district,
		ExternalSource: ticketSource(req.GetSource()), After: after,
		Since: pgtype.Timestamptz{Time: from, Valid: true}, Until: pgtype.Timestamptz{Time: to, Valid: true}, PageSize: size})
	if err != nil {
		return nil, fmt.Errorf("ticket returns of district %s: %w", district, err)
	}
	out := &intakev1.ListTicketReturnsResponse{}
	for _, r := range rows {
		out.Returns = append(out.Returns, events.TicketReturn(r))
	}
	if len(rows) == int(size) {
		out.NextPageToken = base64.RawURLEncoding.EncodeToString([]byte(returnsTokenPrefix + rows[len(rows)-1].ID))
	}
	return out, nil
}
