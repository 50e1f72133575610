package duty

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/services/response/internal/dutystore"
	"github.com/chuishao/whistle/services/response/internal/response"
	"github.com/chuishao/whistle/services/response/internal/sla"
)

// Heartbeat records that a desk of the caller's department and district is
// live now; desk names it (a console tab, a system) and defaults to the caller.
// It returns who is on duty now.
func (s *Service) Heartbeat(ctx context.Context, caller auth.Identity, desk string) ([]Shift, error) {
	if caller.Role != auth.RoleDesk || caller.Department == "" || caller.DistrictID == "" {
		return nil, fmt.Errorf("%w: only a duty desk sends heartbeats, not role %q", response.ErrPermission, caller.Role)
	}
	if err := s.CheckAccount(ctx, caller); err != nil {
		return nil, err
	}
	desk = strings.TrimSpace(desk)
	if desk == "" {
		desk = caller.Subject
	}
	if utf8.RuneCountInString(desk) > 128 {
		return nil, response.InvalidError{{Field: "desk", Reason: "must be at most 128 characters"}}
	}
	now := s.Clock.Now()
	if err := dutystore.New(s.Pool).Heartbeat(ctx, dutystore.HeartbeatParams{
		Department: caller.Department, DistrictID: caller.DistrictID, Desk: desk, Seen: now,
	}); err != nil {
		return nil, fmt.Errorf("record heartbeat: %w", err)
	}
	d := Desk{Department: caller.Department, DistrictID: caller.DistrictID}
	on, err := s.OnDuty(ctx, []Desk{d}, now)
	return on[d], err
}

// Beat is a desk's last heartbeat.
type Beat struct {
	Desk
	Name     string
	LastSeen time.Time
	Live     bool
}

// Heartbeats lists the desks' last heartbeats in the caller's scope.
func (s *Service) Heartbeats(ctx context.Context, caller auth.Identity, filter Desk) ([]Beat, error) {
	scope, err := adminScope(caller)
	if err != nil {
		return nil, err
	}
	district, ok := narrow(scope, filter.DistrictID)
	if !ok {
		return nil, nil
	}
	rows, err := dutystore.New(s.Pool).ListHeartbeats(ctx, dutystore.ListHeartbeatsParams{Department: filter.Department, DistrictID: district})
	if err != nil {
		return nil, fmt.Errorf("list heartbeats: %w", err)
	}
	now := s.Clock.Now()
	out := make([]Beat, len(rows))
	for i, r := range rows {
		out[i] = Beat{
			Desk: Desk{Department: r.Department, DistrictID: r.DistrictID}, Name: r.Desk, LastSeen: r.LastSeen.UTC(),
			Live: s.Window > 0 && now.Sub(r.LastSeen) <= s.Window,
		}
	}
	return out, nil
}

// Unstaffed reports whether nobody staffs department's desk in district at
// now, and why. Only desks that take part in duty tracking can be unstaffed:
// one that has a roster or has ever sent a heartbeat. A desk never heard of
// is not escalated, so that turning the feature on changes nothing until a
// department starts using it.
func (s *Service) Unstaffed(ctx context.Context, q *dutystore.Queries, d Desk, now time.Time) (bool, string, error) {
	if s.Window <= 0 {
		return false, "", nil
	}
	st, err := q.DeskStaffing(ctx, dutystore.DeskStaffingParams{Department: d.Department, DistrictID: d.DistrictID})
	switch {
	case err != nil:
		return false, "", fmt.Errorf("staffing of %s@%s: %w", d.Department, d.DistrictID, err)
	case st.Seen && now.Sub(st.LastSeen) <= s.Window:
		return false, "", nil
	case !st.Seen && !st.Rostered:
		return false, "", nil // a desk never rostered nor seen is not expected to be staffed
	}
	last := "never"
	if st.Seen {
		last = shanghai(st.LastSeen)
	}
	reason := fmt.Sprintf("值班台无人值守，直接督办 (unstaffed: no %s desk heartbeat in %s within %s; last heartbeat %s)",
		d.Department, d.DistrictID, s.Window, last)
	return true, reason, nil
}

// EscalateIfUnstaffed is the hook run when a dispatch is created, in its
// transaction: a dispatch to an unstaffed desk goes straight to 督办.
func (s *Service) EscalateIfUnstaffed(ctx context.Context, tx pgx.Tx, d response.Dispatch, now time.Time) error {
	unstaffed, reason, err := s.Unstaffed(ctx, dutystore.New(tx), Desk{Department: d.Department, DistrictID: d.DistrictID}, now)
	if err != nil || !unstaffed {
		return err
	}
	_, err = sla.EscalateUnstaffed(ctx, tx, d, reason, now)
	return err
}
