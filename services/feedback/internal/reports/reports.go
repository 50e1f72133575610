// Package reports is what supervisors and admins read of a district's work:
// the SLA report and its CSV, the departments' and streets' scorecards and
// their weights, hotspots, a drill's report beside the real period's, and
// the monthly scorecard page. Every district report begins with the same
// checks (districtScope, span).
package reports

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/clock"

	"github.com/chuishao/whistle/services/feedback/internal/feedback"
	"github.com/chuishao/whistle/services/feedback/internal/refnames"
)

// Service reads the supervision read model on behalf of a verified caller.
type Service struct {
	Pool  *pgxpool.Pool
	Clock clock.Clock
	// Names names the streets and categories the printed reports show.
	Names refnames.Lookup
	// Rebuilder replays the event stream into a fresh read model.
	Rebuilder func(ctx context.Context) (events, dispatches int64, err error)
}

// Period is a district report's district and [From, To).
type Period struct {
	District string
	From, To time.Time
}

// districtScope is the district a report covers for caller, given the one
// the request names: ErrWrongRole or ErrOutOfScope when caller may not read
// it, and "district is required" added to v when neither names one.
func districtScope(caller auth.Identity, district string, v *feedback.Violations) (string, error) {
	d, err := feedback.ReportScope(caller, district)
	if err != nil {
		return "", err
	}
	if d == "" {
		v.Add("district", "is required")
	}
	return d, nil
}

// span checks a report's period [from, to), named by the fields fromField
// and toField (nil when the request leaves one out), adding what is wrong
// to v.
func span(v *feedback.Violations, fromField, toField string, from, to *time.Time) {
	if from == nil {
		v.Add(fromField, "is required")
	}
	if to == nil {
		v.Add(toField, "is required")
	}
	if from == nil || to == nil {
		return
	}
	switch {
	case !to.After(*from):
		v.Addf(toField, "must be after %s", fromField)
	case to.Sub(*from) > feedback.MaxPeriod:
		v.Addf(toField, "must be at most 366 days after %s", fromField)
	}
}

// period is the checked district and period of a report request.
func period(caller auth.Identity, district string, from, to *time.Time) (Period, error) {
	var v feedback.Violations
	d, err := districtScope(caller, district, &v)
	if err != nil {
		return Period{}, err
	}
	span(&v, "from", "to", from, to)
	if err := v.Err(); err != nil {
		return Period{}, err
	}
	return Period{District: d, From: *from, To: *to}, nil
}

// Rebuild replays the whole event stream into a fresh read model (admin
// only); reports afterwards give the same numbers.
func (s *Service) Rebuild(ctx context.Context, caller auth.Identity) (events, dispatches int64, err error) {
	if caller.Role != auth.RoleAdmin {
		return 0, 0, feedback.ErrWrongRole
	}
	return s.Rebuilder(ctx)
}

func tstz(t time.Time) pgtype.Timestamptz { return pgtype.Timestamptz{Time: t, Valid: true} }
