// Package policy is the admins' side of the SLA engine: the working-day
// calendar and the limits per category x district.
package policy

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/clock"
	"github.com/chuishao/whistle/platform/postgres"
	"github.com/chuishao/whistle/services/response/internal/response"
	"github.com/chuishao/whistle/services/response/internal/store"
)

// Service edits the calendar and the policies on behalf of an admin.
type Service struct {
	Pool  *pgxpool.Pool
	Clock clock.Clock
}

// Day is one special day of the calendar.
type Day struct {
	// Date is in response.DateLayout.
	Date string
	Kind response.DayKind
	Name string
	// Provisional is a day seeded before the year's schedule was published.
	Provisional bool
}

// Rule is the policy of a category in a district ("" for every district).
type Rule struct {
	Category   string
	DistrictID string
	response.Policy
}

func admin(caller auth.Identity) error {
	if caller.Role != auth.RoleAdmin {
		return fmt.Errorf("%w: only an admin edits SLA calendars and policies, not role %q", response.ErrPermission, caller.Role)
	}
	return nil
}

// ListDays returns a year's special days in date order.
func (s *Service) ListDays(ctx context.Context, caller auth.Identity, year int) ([]Day, error) {
	if err := admin(caller); err != nil {
		return nil, err
	}
	if year < 2000 || year > 2100 {
		return nil, response.InvalidError{{Field: "year", Reason: "must be between 2000 and 2100"}}
	}
	from := time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC)
	rows, err := store.New(s.Pool).ListCalendarDays(ctx, store.ListCalendarDaysParams{FromDay: store.Date(from), ToDay: store.Date(from.AddDate(1, 0, 0))})
	if err != nil {
		return nil, fmt.Errorf("list calendar of %d: %w", year, err)
	}
	out := make([]Day, 0, len(rows))
	for _, r := range rows {
		out = append(out, Day{Date: store.DayOf(r.Day), Kind: response.DayKind(r.Kind), Name: r.Name, Provisional: r.Provisional})
	}
	return out, nil
}

// SetDay marks a day as a holiday or a make-up working day. Deadlines already
// computed keep their value; dispatches created afterwards use the new day.
func (s *Service) SetDay(ctx context.Context, caller auth.Identity, d Day) (Day, error) {
	if err := admin(caller); err != nil {
		return Day{}, err
	}
	var errs response.InvalidError
	day, err := time.Parse(response.DateLayout, d.Date)
	if err != nil {
		errs = append(errs, response.FieldError{Field: "day.date", Reason: "must be a date YYYY-MM-DD"})
	}
	if d.Kind != response.Holiday && d.Kind != response.Workday {
		errs = append(errs, response.FieldError{Field: "day.kind", Reason: "must be HOLIDAY or WORKDAY"})
	}
	if len(errs) > 0 {
		return Day{}, errs
	}
	// In a transaction, so that an audited call commits with its record.
	var row store.CalendarDay
	err = postgres.InTx(ctx, s.Pool, func(tx pgx.Tx) error {
		var err error
		row, err = store.New(tx).SetCalendarDay(ctx, store.SetCalendarDayParams{Day: store.Date(day), Kind: string(d.Kind), Name: d.Name})
		return err
	})
	if err != nil {
		return Day{}, fmt.Errorf("set calendar day %s: %w", d.Date, err)
	}
	return Day{Date: store.DayOf(row.Day), Kind: response.DayKind(row.Kind), Name: row.Name, Provisional: row.Provisional}, nil
}

// DeleteDay returns a day to the Monday-to-Friday rule.
func (s *Service) DeleteDay(ctx context.Context, caller auth.Identity, date string) error {
	if err := admin(caller); err != nil {
		return err
	}
	day, err := time.Parse(response.DateLayout, date)
	if err != nil {
		return response.InvalidError{{Field: "date", Reason: "must be a date YYYY-MM-DD"}}
	}
	err = postgres.InTx(ctx, s.Pool, func(tx pgx.Tx) error {
		_, err := store.New(tx).DeleteCalendarDay(ctx, store.Date(day))
		return err
	})
	if err != nil {
		return fmt.Errorf("delete calendar day %s: %w", date, err)
	}
	return nil
}

// ListRules returns every policy.
func (s *Service) ListRules(ctx context.Context, caller auth.Identity) ([]Rule, error) {
	if err := admin(caller); err != nil {
		return nil, err
	}
	rows, err := store.New(s.Pool).ListPolicies(ctx)
	if err != nil {
		return nil, fmt.Errorf("list policies: %w", err)
	}
	out := make([]Rule, 0, len(rows))
	for _, r := range rows {
		out = append(out, Rule{Category: r.Category, DistrictID: r.DistrictID, Policy: r.DomainPolicy()})
	}
	return out, nil
}

// SetRule sets the policy of a category in a district; zero limits keep
// what routing's request says. It applies to dispatches created afterwards.
func (s *Service) SetRule(ctx context.Context, caller auth.Identity, r Rule) (Rule, error) {
	if err := admin(caller); err != nil {
		return Rule{}, err
	}
	var errs response.InvalidError
	if r.Category == "" {
		errs = append(errs, response.FieldError{Field: "policy.category", Reason: "is required"})
	}
	for _, f := range []struct {
		name string
		d    time.Duration
	}{{"policy.ack_within", r.AckWithin}, {"policy.arrive_within", r.ArriveWithin}, {"policy.resolve_within", r.ResolveWithin}} {
		if f.d < 0 || f.d%time.Second != 0 {
			errs = append(errs, response.FieldError{Field: f.name, Reason: "must be zero (keep routing's limit) or a whole number of seconds"})
		}
	}
	if r.ResolveWorkingDays < 0 || r.ResolveWorkingDays > 365 {
		errs = append(errs, response.FieldError{Field: "policy.resolve_working_days", Reason: "must be between 0 and 365"})
	}
	if len(errs) > 0 {
		return Rule{}, errs
	}
	// In a transaction, so that an audited call commits with its record.
	var row store.Policy
	err := postgres.InTx(ctx, s.Pool, func(tx pgx.Tx) error {
		var err error
		row, err = store.New(tx).SetPolicy(ctx, store.SetPolicyParams{
			Category: r.Category, DistrictID: r.DistrictID,
			AckWithinS: int64(r.AckWithin / time.Second), ArriveWithinS: int64(r.ArriveWithin / time.Second),
			ResolveWithinS: int64(r.ResolveWithin / time.Second), ResolveWorkingDays: int32(r.ResolveWorkingDays),
			UpdatedAt: s.Clock.Now(),
		})
		return err
	})
	if err != nil {
		return Rule{}, fmt.Errorf("set policy of %s in %q: %w", r.Category, r.DistrictID, err)
	}
	return Rule{Category: row.Category, DistrictID: row.DistrictID, Policy: row.DomainPolicy()}, nil
}
