package discovery

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
	"github.com/chuishao/whistle/platform/invalid"
	"github.com/chuishao/whistle/platform/whistlestatus"
	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"

	"github.com/chuishao/whistle/services/discovery/internal/events"
	"github.com/chuishao/whistle/services/discovery/internal/reports"
	"github.com/chuishao/whistle/services/discovery/internal/store"
	"github.com/chuishao/whistle/services/discovery/internal/whistle"
)

// TicketFollowUp is the follow-up call's outcome on a ticket of Source
// (the caller's street's, or Street's when a supervisor names one).
type TicketFollowUp struct {
	Source, ExternalNumber, Street string
	Satisfaction                   int32
	// Fixed is nil when the request did not say.
	Fixed   *bool
	Comment string
}

// RecordTicketFollowUp records the follow-up call's outcome on a closed
// ticket: the ticket's street, or a supervisor of its district (or the
// city). The outcome goes back to the hotline with the result; a "not fixed"
// does not reopen anything here, since the hotline decides whether to send
// the ticket again.
func (s *Service) RecordTicketFollowUp(ctx context.Context, id auth.Identity, in TicketFollowUp) (store.Report, error) {
	if id.Role != auth.RoleStreet && id.Role != auth.RoleSupervisor {
		return store.Report{}, fmt.Errorf("role %s records no follow-up calls: %w", id.Role, whistle.ErrPermissionDenied)
	}
	var f invalid.Violations
	f.Merge(whistle.ValidateFeedback(in.Satisfaction, in.Comment))
	if in.Fixed == nil {
		f.Add("fixed", "is required: true (fixed) or false (not fixed)")
	}
	number := strings.TrimSpace(in.ExternalNumber)
	if number == "" {
		f.Add("external_number", "is required")
	}
	if err := f.Err(); err != nil {
		return store.Report{}, err
	}
	// Only the caller's scope is searched: a ticket elsewhere answers as unknown.
	p := store.FindTicketParams{ExternalSource: TicketSource(in.Source), ExternalNumber: number}
	switch {
	case id.Role == auth.RoleStreet:
		if in.Street != "" && in.Street != id.StreetID {
			return store.Report{}, whistle.ErrNotFound
		}
		p.StreetID = pgtype.Text{String: id.StreetID, Valid: true}
	case in.Street != "":
		p.StreetID = pgtype.Text{String: in.Street, Valid: true}
	}
	if id.Role == auth.RoleSupervisor && id.DistrictID != "" {
		p.DistrictID = pgtype.Text{String: id.DistrictID, Valid: true}
	}
	var saved store.Report
	err := pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
		q := store.New(tx)
		found, err := q.FindTicket(ctx, p)
		if errors.Is(err, pgx.ErrNoRows) || (err == nil && !ReportVisible(id, found)) {
			return whistle.ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("find ticket %s: %w", p.ExternalNumber, err)
		}
		locked, err := q.LockReports(ctx, []string{found.ID})
		if err != nil || len(locked) != 1 {
			return fmt.Errorf("lock ticket %s: %w", found.ID, err)
		}
		if locked[0].Status != string(reports.StatusClosed) {
			return &whistlestatus.StateError{Status: whistlestatus.Status("report " + locked[0].Status), Reason: "a ticket is followed up once it is closed"}
		}
		now := s.Now()
		saved, err = q.RecordTicketFollowUp(ctx, store.RecordTicketFollowUpParams{ID: found.ID, Satisfaction: in.Satisfaction,
			Fixed: *in.Fixed, Comment: in.Comment, RatedAt: pgtype.Timestamptz{Time: now, Valid: true}})
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
	return saved, err
}

// Return listing bounds.
const (
	defaultReturnsPage = 1000
	maxReturnsPage     = 5000
	// defaultReturnsPeriod is the period listed when from is not given.
	defaultReturnsPeriod = 30 * 24 * time.Hour
	returnsTokenPrefix   = "r1:"
)

// ReturnsQuery asks for a district's ticket returns of Source in [From, To)
// (To now, From 30 days before To, when zero), PageSize (1000 when zero) at
// a time after PageToken.
type ReturnsQuery struct {
	District, Source, PageToken string
	PageSize                    int32
	From, To                    time.Time
}

// TicketReturns is a page of returns and the next page's token ("" on the last).
type TicketReturns struct {
	Returns       []store.Report
	NextPageToken string
}

// ListTicketReturns lists a district's tickets closed or followed up in a
// period, for the hotline's return format. Supervisors only: a district
// supervisor its own district (another district is NotFound), the city
// supervisor any.
func (s *Service) ListTicketReturns(ctx context.Context, id auth.Identity, in ReturnsQuery) (TicketReturns, error) {
	if id.Role != auth.RoleSupervisor {
		return TicketReturns{}, fmt.Errorf("role %s exports no ticket returns: %w", id.Role, whistle.ErrPermissionDenied)
	}
	var f invalid.Violations
	district := in.District
	if district == "" {
		f.Add("district_id", "is required")
	}
	size := in.PageSize
	switch {
	case size == 0:
		size = defaultReturnsPage
	case size < 1 || size > maxReturnsPage:
		f.Add("page_size", fmt.Sprintf("must be between 1 and %d", maxReturnsPage))
	}
	after := ""
	if tok := in.PageToken; tok != "" {
		raw, err := base64.RawURLEncoding.DecodeString(tok)
		var ok bool
		if after, ok = strings.CutPrefix(string(raw), returnsTokenPrefix); err != nil || !ok || after == "" {
			f.Add("page_token", "is not a token this API returned")
		}
	}
	// Without to, everything up to now counts, now included (times are kept
	// to the microsecond).
	to := s.Now().Add(time.Microsecond)
	if !in.To.IsZero() {
		to = in.To
	}
	from := to.Add(-defaultReturnsPeriod)
	if !in.From.IsZero() {
		from = in.From
	}
	if !from.Before(to) {
		f.Add("from", "must be before to")
	}
	if err := f.Err(); err != nil {
		return TicketReturns{}, err
	}
	if id.DistrictID != "" && district != id.DistrictID {
		return TicketReturns{}, whistle.ErrNotFound // another district answers like an unknown one
	}
	rows, err := store.New(s.Pool).TicketReturns(ctx, store.TicketReturnsParams{DistrictID: district,
		ExternalSource: TicketSource(in.Source), After: after,
		Since: pgtype.Timestamptz{Time: from, Valid: true}, Until: pgtype.Timestamptz{Time: to, Valid: true}, PageSize: size})
	if err != nil {
		return TicketReturns{}, fmt.Errorf("ticket returns of district %s: %w", district, err)
	}
	out := TicketReturns{Returns: rows}
	if len(rows) == int(size) {
		out.NextPageToken = base64.RawURLEncoding.EncodeToString([]byte(returnsTokenPrefix + rows[len(rows)-1].ID))
	}
	return out, nil
}
