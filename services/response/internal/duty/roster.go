package duty

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/postgres"
	"github.com/chuishao/whistle/services/response/internal/channels"
	"github.com/chuishao/whistle/services/response/internal/dutystore"
	"github.com/chuishao/whistle/services/response/internal/response"
)

// Limits of a shift.
const (
	MaxShift     = 7 * 24 * time.Hour
	maxNameRunes = 64
	defaultSpan  = 7 * 24 * time.Hour
	maxShifts    = 2000
)

// Shift is one seat of a desk held by one person over [StartsAt, EndsAt).
// Shifts of one seat never overlap; a hand-over is one shift ending when the
// next begins. Two people on duty at once hold two seats.
type Shift struct {
	ID, Department, DistrictID string
	Seat, Person, Phone, Email string
	StartsAt, EndsAt           time.Time
	CreatedBy                  string
}

func shiftOf(r dutystore.RosterShift) Shift {
	return Shift{
		ID: r.ID, Department: r.Department, DistrictID: r.DistrictID, Seat: r.Seat, Person: r.Person, Phone: r.Phone, Email: r.Email,
		StartsAt: r.StartsAt.UTC(), EndsAt: r.EndsAt.UTC(), CreatedBy: r.CreatedBy,
	}
}

// phoneNumber is what a roster accepts as a phone: 13812345678, +86 138 1234 5678, 010-12345678.
var phoneNumber = regexp.MustCompile(`^\+?[0-9][0-9 -]{2,30}$`)

// Desk names a department in a district.
type Desk struct{ Department, DistrictID string }

func (s Shift) check() response.InvalidError {
	var invalid response.InvalidError
	checkDesk(&invalid, "shift.", s.Department, s.DistrictID)
	text := func(field, v string, required bool, limit int) {
		switch {
		case required && strings.TrimSpace(v) == "":
			invalid = append(invalid, response.FieldError{Field: "shift." + field, Reason: "is required"})
		case utf8.RuneCountInString(v) > limit:
			invalid = append(invalid, response.FieldError{Field: "shift." + field, Reason: fmt.Sprintf("must be at most %d characters", limit)})
		}
	}
	text("seat", s.Seat, true, 32)
	text("person", s.Person, true, maxNameRunes)
	text("phone", s.Phone, false, 32)
	if s.Phone != "" && !phoneNumber.MatchString(s.Phone) {
		invalid = append(invalid, response.FieldError{Field: "shift.phone", Reason: "must be a phone number: digits, with an optional leading + and - or spaces"})
	}
	if s.Email != "" {
		if a, err := mail.ParseAddress(s.Email); err != nil || a.Address != s.Email || len(s.Email) > 254 {
			invalid = append(invalid, response.FieldError{Field: "shift.email", Reason: "must be a bare e-mail address such as zhang.san@example.gov.cn"})
		}
	}
	switch {
	case s.StartsAt.IsZero():
		invalid = append(invalid, response.FieldError{Field: "shift.starts_at", Reason: "is required"})
	case s.EndsAt.IsZero():
		invalid = append(invalid, response.FieldError{Field: "shift.ends_at", Reason: "is required"})
	case !s.EndsAt.After(s.StartsAt):
		invalid = append(invalid, response.FieldError{Field: "shift.ends_at", Reason: "must be after starts_at"})
	case s.EndsAt.Sub(s.StartsAt) > MaxShift:
		invalid = append(invalid, response.FieldError{Field: "shift.ends_at", Reason: "a shift lasts at most 7 days"})
	}
	return invalid
}

// AddShift adds a shift to the roster of its department x district. A
// supervisor edits its own district's roster only.
func (s *Service) AddShift(ctx context.Context, caller auth.Identity, sh Shift) (Shift, error) {
	scope, err := adminScope(caller)
	if err != nil {
		return Shift{}, err
	}
	sh.Seat, sh.Person, sh.Phone, sh.Email = strings.TrimSpace(sh.Seat), strings.TrimSpace(sh.Person), strings.TrimSpace(sh.Phone), strings.TrimSpace(sh.Email)
	if invalid := sh.check(); len(invalid) > 0 {
		return Shift{}, invalid
	}
	if !inScope(scope, sh.DistrictID) {
		return Shift{}, fmt.Errorf("%w: a district supervisor edits its own district's roster", response.ErrPermission)
	}
	var out Shift
	err = postgres.InTx(ctx, s.Pool, func(tx pgx.Tx) error {
		q := dutystore.New(tx)
		if err := q.LockDesk(ctx, dutystore.LockDeskParams{Department: sh.Department, DistrictID: sh.DistrictID}); err != nil {
			return fmt.Errorf("lock roster: %w", err)
		}
		clash, err := q.OverlappingShift(ctx, dutystore.OverlappingShiftParams{
			Department: sh.Department, DistrictID: sh.DistrictID, Seat: sh.Seat, StartsAt: sh.StartsAt, EndsAt: sh.EndsAt,
		})
		if err == nil {
			return response.InvalidError{{Field: "shift.starts_at", Reason: fmt.Sprintf(
				"overlaps shift %s of %s on seat %s (%s – %s, Asia/Shanghai); end one where the next begins, or use another seat",
				clash.ID, clash.Person, clash.Seat, shanghai(clash.StartsAt), shanghai(clash.EndsAt))}}
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("check overlap: %w", err)
		}
		row, err := q.AddShift(ctx, dutystore.AddShiftParams{
			ID: uuid.Must(uuid.NewV7()).String(), Department: sh.Department, DistrictID: sh.DistrictID,
			Seat: sh.Seat, Person: sh.Person, Phone: sh.Phone, Email: sh.Email, StartsAt: sh.StartsAt, EndsAt: sh.EndsAt,
			CreatedBy: caller.Subject, CreatedAt: s.Clock.Now(),
		})
		if err != nil {
			return fmt.Errorf("add shift: %w", err)
		}
		out = shiftOf(row)
		return nil
	})
	return out, err
}

// DeleteShift removes a shift in the caller's scope.
func (s *Service) DeleteShift(ctx context.Context, caller auth.Identity, id string) error {
	scope, err := adminScope(caller)
	if err != nil {
		return err
	}
	// In a transaction, so that the admin action's audit record joins it.
	return postgres.InTx(ctx, s.Pool, func(tx pgx.Tx) error {
		q := dutystore.New(tx)
		row, err := q.GetShift(ctx, id)
		if errors.Is(err, pgx.ErrNoRows) || (err == nil && !inScope(scope, row.DistrictID)) {
			return ErrShiftNotFound
		}
		if err != nil {
			return fmt.Errorf("get shift %s: %w", id, err)
		}
		if _, err := q.DeleteShift(ctx, id); err != nil {
			return fmt.Errorf("delete shift %s: %w", id, err)
		}
		return nil
	})
}

// Period is [From, To); zero From means now, zero To a week after From.
type Period struct{ From, To time.Time }

// ListShifts returns the shifts of the filter in the caller's scope that
// overlap the period. Desks may read their own roster.
func (s *Service) ListShifts(ctx context.Context, caller auth.Identity, filter Desk, p Period) ([]Shift, error) {
	var district string
	ok := true
	if caller.Role == auth.RoleDesk {
		filter = Desk{Department: caller.Department, DistrictID: caller.DistrictID}
		district = caller.DistrictID
	} else {
		scope, err := adminScope(caller)
		if err != nil {
			return nil, err
		}
		district, ok = narrow(scope, filter.DistrictID)
	}
	if !ok {
		return nil, nil
	}
	if p.From.IsZero() {
		p.From = s.Clock.Now()
	}
	if p.To.IsZero() {
		p.To = p.From.Add(defaultSpan)
	}
	if !p.To.After(p.From) {
		return nil, response.InvalidError{{Field: "to", Reason: "must be after from"}}
	}
	rows, err := dutystore.New(s.Pool).ListShifts(ctx, dutystore.ListShiftsParams{
		Department: filter.Department, DistrictID: district, Since: p.From, Until: p.To, MaxRows: maxShifts,
	})
	if err != nil {
		return nil, fmt.Errorf("list shifts: %w", err)
	}
	out := make([]Shift, len(rows))
	for i, r := range rows {
		out[i] = shiftOf(r)
	}
	return out, nil
}

// OnDuty is who is on duty at at for each desk, by the roster.
func (s *Service) OnDuty(ctx context.Context, desks []Desk, at time.Time) (map[Desk][]Shift, error) {
	out := map[Desk][]Shift{}
	if len(desks) == 0 {
		return out, nil
	}
	seen := map[Desk]bool{}
	var params dutystore.OnDutyAtParams
	for _, d := range desks {
		if seen[d] {
			continue
		}
		seen[d] = true
		params.Departments = append(params.Departments, d.Department)
		params.DistrictIds = append(params.DistrictIds, d.DistrictID)
	}
	params.At = at
	rows, err := dutystore.New(s.Pool).OnDutyAt(ctx, params)
	if err != nil {
		return nil, fmt.Errorf("who is on duty: %w", err)
	}
	for _, r := range rows {
		d := Desk{Department: r.Department, DistrictID: r.DistrictID}
		out[d] = append(out[d], shiftOf(r))
	}
	return out, nil
}

// ForReader is the shifts as caller may read them: whole for admins and the
// district's supervisors (who manage the contacts), with phone and e-mail
// masked for anyone else (a desk reading its own roster or a dispatch).
func ForReader(caller auth.Identity, list []Shift) []Shift {
	out := make([]Shift, len(list))
	for i, sh := range list {
		scope, err := adminScope(caller)
		if err != nil || !inScope(scope, sh.DistrictID) {
			sh.Phone, sh.Email = mask(sh.Phone), mask(sh.Email)
		}
		out[i] = sh
	}
	return out
}

func mask(contact string) string {
	if contact == "" {
		return ""
	}
	return channels.Mask(contact)
}
